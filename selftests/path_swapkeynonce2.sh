#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A swap that keeps the sender key and rotates a recipient key
# (selftests/path_swapkeynonce2.py).
. selftests/lib.sh

pair_setup 0.97 || exit 1

python3 selftests/path_swapkeynonce2.py "$CLI" "$SRV"
