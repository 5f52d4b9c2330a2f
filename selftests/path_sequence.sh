#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Sequence numbers and replay state across the key lifecycle
# (selftests/path_sequence.py).
. selftests/lib.sh

pair_setup 0.9 || exit 1

python3 selftests/path_sequence.py "$CLI" "$SRV"
