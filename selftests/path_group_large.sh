#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A group of thousands (TR-0012 5.2, smart meters): a gateway's group
# context with 5,000 recipients verifies real messages from the first,
# the 65th and the last member behind a bridge (selftests/path_group_large.py).
. selftests/lib.sh

coapsec_load || exit 1
trap 'cleanup_ns; coapsec_unload' EXIT
setup_ns GW || exit 1
ip -n "$GW" link add br0 type bridge mcast_snooping 0
ip -n "$GW" addr add 10.0.5.254/24 dev br0
ip -n "$GW" link set br0 up
ip -n "$GW" route add 224.0.0.0/4 dev br0
DEVS=()
for i in 1 2 3 4; do
	setup_ns D || exit 1
	ip link add "d$i" netns "$GW" type veth peer name eth0 netns "$D"
	ip -n "$GW" link set "d$i" master br0 up
	ip -n "$D" addr add "10.0.5.$i/24" dev eth0
	ip -n "$D" link set eth0 up
	ip -n "$D" route add 224.0.0.0/4 dev eth0
	DEVS+=("$D")
done

python3 selftests/path_group_large.py "$GW" "${DEVS[@]}"
