#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A swap that keeps the sender key under another sender ID
# (selftests/path_swapsenderid.py).
. selftests/lib.sh

pair_setup 0.63 || exit 1

python3 selftests/path_swapsenderid.py "$CLI" "$SRV"
