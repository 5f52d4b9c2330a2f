#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Requests sent at full rate while swaps keep the sender key
# (selftests/path_swapexhaust.py).
. selftests/lib.sh

pair_setup 0.68 || exit 1

python3 selftests/path_swapexhaust.py "$CLI" "$SRV"
