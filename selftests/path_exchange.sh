#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The table of outstanding requests under a flood (selftests/path_exchange.py).
. selftests/lib.sh

pair_setup 0.7 || exit 1

python3 selftests/path_exchange.py "$CLI" "$SRV"
