#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A context whose recipient key is a deleted context's sender key
# (selftests/path_mirrorretired.py).
. selftests/lib.sh

pair_setup 0.66 || exit 1

python3 selftests/path_mirrorretired.py "$CLI" "$SRV"
