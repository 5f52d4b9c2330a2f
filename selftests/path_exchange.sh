#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The table of outstanding requests under a flood (selftests/path_exchange.py).
. selftests/lib.sh

coapsec_load || exit 1
trap 'cleanup_ns; coapsec_unload' EXIT
setup_ns CLI SRV || exit 1
ip link add veth0 netns "$CLI" type veth peer name veth0 netns "$SRV"
ip -n "$CLI" addr add 10.0.7.1/24 dev veth0
ip -n "$SRV" addr add 10.0.7.2/24 dev veth0
ip -n "$CLI" link set veth0 up
ip -n "$SRV" link set veth0 up

python3 selftests/path_exchange.py "$CLI" "$SRV"
