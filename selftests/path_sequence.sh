#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Sequence numbers and replay state across the key lifecycle
# (selftests/path_sequence.py).
. selftests/lib.sh

coapsec_load || exit 1
trap 'cleanup_ns; coapsec_unload' EXIT
setup_ns CLI SRV || exit 1
veth_pair "$CLI" "$SRV" 0.9 || exit 1

python3 selftests/path_sequence.py "$CLI" "$SRV"
