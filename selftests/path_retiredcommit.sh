#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Requests in flight while their recipient's context is deleted and added
# again (selftests/path_retiredcommit.py).
. selftests/lib.sh

pair_setup 0.67 || exit 1

python3 selftests/path_retiredcommit.py "$CLI" "$SRV"
