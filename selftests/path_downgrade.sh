#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Plain answers from a peer under protect are believed only for plain
# requests (selftests/path_downgrade.py).
. selftests/lib.sh

pair_setup 0.37 || exit 1

python3 selftests/path_downgrade.py "$CLI" "$SRV"
