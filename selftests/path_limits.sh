#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Sequence number soft and hard limits (selftests/path_limits.py).
. selftests/lib.sh

coapsec_load || exit 1
trap 'cleanup_ns; coapsec_unload' EXIT
setup_ns CLI SRV || exit 1
veth_pair "$CLI" "$SRV" 0.6 || exit 1

python3 selftests/path_limits.py "$CLI" "$SRV"
