#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The inner code must match the outer class (selftests/path_innercode.py).
. selftests/lib.sh

pair_setup 0.35 || exit 1

python3 selftests/path_innercode.py "$CLI" "$SRV"
