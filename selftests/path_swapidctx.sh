#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A swap that changes only the ID context
# (selftests/path_swapidctx.py).
. selftests/lib.sh

pair_setup 0.54 || exit 1

python3 selftests/path_swapidctx.py "$CLI" "$SRV"
