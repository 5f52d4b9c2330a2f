#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Replays while a swap keeps a recipient's window
# (selftests/path_swapreplay.py).
. selftests/lib.sh

pair_setup 0.24 || exit 1

python3 selftests/path_swapreplay.py "$CLI" "$SRV"
