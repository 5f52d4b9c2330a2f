#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The seq-persisted ceiling holds on the wire: nothing at or above it is
# sent, in clear or protected, until it is raised
# (selftests/path_seqceiling.py).
. selftests/lib.sh

pair_setup 0.41 || exit 1

python3 selftests/path_seqceiling.py "$CLI" "$SRV"
