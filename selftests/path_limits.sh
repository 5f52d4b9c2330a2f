#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Sequence number soft and hard limits (selftests/path_limits.py).
. selftests/lib.sh

pair_setup 0.6 || exit 1

python3 selftests/path_limits.py "$CLI" "$SRV"
