#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fail closed: IPv6 UDP length 0, ICMP quotes of decrypted messages,
# answers after the last context went (selftests/path_failclosed.py).
. selftests/lib.sh

pair_setup 0.31 fd31 || exit 1
ip -n "$SRV" addr add fd31::3/64 dev veth0 nodad

python3 selftests/path_failclosed.py "$CLI" "$SRV"
