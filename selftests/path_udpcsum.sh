#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A datagram damaged in transit stays damaged (selftests/path_udpcsum.py).
. selftests/lib.sh

pair_setup 0.39 fd39 || exit 1

python3 selftests/path_udpcsum.py "$CLI" "$SRV"
