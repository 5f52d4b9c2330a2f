#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A context whose sender key is another's recipient key
# (selftests/path_mirrorkey.py).
. selftests/lib.sh

pair_setup 0.65 || exit 1

python3 selftests/path_mirrorkey.py "$CLI" "$SRV"
