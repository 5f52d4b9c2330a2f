#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Retired keys' memory pushed out by other keys' retirements
# (selftests/path_retiredevict.py).
. selftests/lib.sh

pair_setup 0.64 || exit 1

python3 selftests/path_retiredevict.py "$CLI" "$SRV"
