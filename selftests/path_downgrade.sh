#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Plain answers from a peer under protect are believed only for plain
# requests (selftests/path_downgrade.py).
. selftests/lib.sh

coapsec_load || exit 1
trap 'cleanup_ns; coapsec_unload' EXIT
setup_ns CLI SRV || exit 1
veth_pair "$CLI" "$SRV" 0.37 || exit 1

python3 selftests/path_downgrade.py "$CLI" "$SRV"
