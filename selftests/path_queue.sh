#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Action queue: group CoAP (224.0.1.187, ff02::fd) handed to a userspace
# agent through NFQUEUE, out and in; dropped and counted while no agent
# is registered, again once it is killed (selftests/path_queue.py).
. selftests/lib.sh

pair_setup 0.41 fd41 || exit 1
python3 selftests/path_queue.py "$CLI" "$SRV"
