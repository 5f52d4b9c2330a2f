#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Rekey (context swap) while 10,000 messages flow
# (selftests/path_rekey.py).
. selftests/lib.sh

pair_setup 0.9 || exit 1

python3 selftests/path_rekey.py "$CLI" "$SRV"
