#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Answers to a group request: one may take its nonce, once; the others
# are guarded by their members' windows (selftests/path_groupanswer.py).
. selftests/lib.sh

coapsec_load || exit 1
trap 'cleanup_ns; coapsec_unload' EXIT
setup_ns GW MEMBER || exit 1
veth_pair "$GW" "$MEMBER" 0.36 || exit 1
ip -n "$GW" route add 224.0.0.0/4 dev veth0 || exit 1

python3 selftests/path_groupanswer.py "$GW" "$MEMBER"
