#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Sequence numbers and replay windows across swaps and re-creation; sender
# ID equal to a recipient ID (selftests/path_seqstate.py).
. selftests/lib.sh

coapsec_load || exit 1
trap 'cleanup_ns; coapsec_unload' EXIT
setup_ns CLI SRV || exit 1
veth_pair "$CLI" "$SRV" 0.32 || exit 1

python3 selftests/path_seqstate.py "$CLI" "$SRV"
