#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Observe notifications across a client swap that keeps the server's
# recipient key (selftests/path_swapnotify.py).
. selftests/lib.sh

pair_setup 0.52 || exit 1

python3 selftests/path_swapnotify.py "$CLI" "$SRV"
