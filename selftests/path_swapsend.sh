#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Requests sent while a swap keeps the sender key
# (selftests/path_swapsend.py).
. selftests/lib.sh

pair_setup 0.62 || exit 1

python3 selftests/path_swapsend.py "$CLI" "$SRV"
