#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Isolation between peers, namespaces and users (selftests/path_isolation.py):
#
#   CLI (A, 10.0.33.1) --veth0-- SRV --veth1-- ATK (B, also 10.0.33.1)
. selftests/lib.sh

coapsec_load || exit 1
trap 'cleanup_ns; coapsec_unload' EXIT
setup_ns CLI SRV ATK || exit 1
veth_pair "$CLI" "$SRV" 0.33 || exit 1
ip link add veth1 netns "$ATK" type veth peer name veth1 netns "$SRV"
ip -n "$ATK" addr add 10.0.34.1/24 dev veth1
ip -n "$SRV" addr add 10.0.34.2/24 dev veth1
ip -n "$ATK" addr add 10.0.33.1/32 dev lo
ip -n "$ATK" link set veth1 up
ip -n "$SRV" link set veth1 up
ip -n "$ATK" route add 10.0.33.2/32 dev veth1 src 10.0.33.1
ip netns exec "$SRV" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
	net.ipv4.conf.veth1.rp_filter=0

python3 selftests/path_isolation.py "$CLI" "$SRV" "$ATK"
