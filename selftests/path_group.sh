#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Group commands over a bridge: a gateway and 9 devices in 3 groups,
# IPv6 ff05::fd and IPv4 224.0.1.187 (selftests/path_group.py).
. selftests/lib.sh

coapsec_load || exit 1
trap 'cleanup_ns; coapsec_unload' EXIT
setup_ns GW || exit 1
ip -n "$GW" link add br0 type bridge mcast_snooping 0
ip -n "$GW" addr add 10.0.4.254/24 dev br0
ip -n "$GW" addr add fd04::fe/64 dev br0 nodad
ip -n "$GW" link set br0 up
ip -n "$GW" route add 224.0.0.0/4 dev br0
DEVS=()
for i in $(seq 9); do
	setup_ns D || exit 1
	ip link add "d$i" netns "$GW" type veth peer name eth0 netns "$D"
	ip -n "$GW" link set "d$i" master br0 up
	ip -n "$D" addr add "10.0.4.$i/24" dev eth0
	ip -n "$D" addr add "fd04::$i/64" dev eth0 nodad
	ip -n "$D" link set eth0 up
	ip -n "$D" route add 224.0.0.0/4 dev eth0
	DEVS+=("$D")
done

python3 selftests/path_group.py "$GW" "${DEVS[@]}"
