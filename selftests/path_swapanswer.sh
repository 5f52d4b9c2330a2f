#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Answers to requests verified while a swap is under way
# (selftests/path_swapanswer.py).
. selftests/lib.sh

pair_setup 0.23 || exit 1

python3 selftests/path_swapanswer.py "$CLI" "$SRV"
