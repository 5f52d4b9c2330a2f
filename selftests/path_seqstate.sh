#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Sequence numbers and replay windows across swaps and re-creation; sender
# ID equal to a recipient ID (selftests/path_seqstate.py).
. selftests/lib.sh

pair_setup 0.32 || exit 1

python3 selftests/path_seqstate.py "$CLI" "$SRV"
