#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A swap that keeps the sender key and rotates a recipient key
# (selftests/path_swapwindowgap.py).
. selftests/lib.sh

pair_setup 0.98 || exit 1

python3 selftests/path_swapwindowgap.py "$CLI" "$SRV"
