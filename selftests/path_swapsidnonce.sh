#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A swap that keeps the sender key and takes the old recipient ID as its
# sender ID (selftests/path_swapsidnonce.py).
. selftests/lib.sh

pair_setup 0.113 || exit 1

python3 selftests/path_swapsidnonce.py "$CLI" "$SRV"
