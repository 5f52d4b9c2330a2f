#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Replay windows across rekeys (selftests/path_windows.py).
. selftests/lib.sh

coapsec_load || exit 1
trap 'cleanup_ns; coapsec_unload' EXIT
setup_ns CLI SRV || exit 1
veth_pair "$CLI" "$SRV" 0.38 || exit 1

python3 selftests/path_windows.py "$CLI" "$SRV"
