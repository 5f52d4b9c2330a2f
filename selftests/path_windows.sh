#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Replay windows across rekeys (selftests/path_windows.py).
. selftests/lib.sh

pair_setup 0.38 || exit 1

python3 selftests/path_windows.py "$CLI" "$SRV"
