#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# One nonce, one message, while replays meet a swap that keeps a
# recipient's window (selftests/path_swapnonce.py).
. selftests/lib.sh

pair_setup 0.25 || exit 1

python3 selftests/path_swapnonce.py "$CLI" "$SRV"
