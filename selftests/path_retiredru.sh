#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Replay-unknown forgotten when its keys come back
# (selftests/path_retiredru.py).
. selftests/lib.sh

pair_setup 0.61 || exit 1

python3 selftests/path_retiredru.py "$CLI" "$SRV"
