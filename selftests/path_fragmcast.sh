#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fragmented IPv4 multicast forwarded (ipmr, a static MFC entry) by GW
# to two interfaces: whole at both receivers without a policy, with a
# fwd policy for another host (coapsec reassembles forwarded IPv4 in its
# FORWARD hook then, a queue per outgoing interface for multicast) and
# after it went.
#
#   S --v11-- GW --v12-- R1
#             GW --v14-- R2
. selftests/lib.sh
B=${B:-build}
TMP=$(mktemp -d)
coapsec_load || exit 1
trap 'cleanup_ns; rm -rf "$TMP"; coapsec_unload' EXIT
setup_ns S GW R1 R2 || exit 1
lk() {	# lk NS1 NS2 NET
	ip link add "v$3" netns "$1" type veth peer name "v$3" netns "$2"
	ip -n "$1" addr add "10.$3.0.1/24" dev "v$3"
	ip -n "$2" addr add "10.$3.0.2/24" dev "v$3"
	ip -n "$1" link set "v$3" up
	ip -n "$2" link set "v$3" up
}
lk "$S" "$GW" 11
lk "$GW" "$R1" 12
lk "$GW" "$R2" 14
ip netns exec "$GW" sysctl -qw net.ipv4.ip_forward=1
cat > "$TMP/m.py" <<'PY'
import socket, struct, sys, time
PAYLOAD = bytes(range(256)) * 11 + b"y" * (3000 - 256 * 11)
G = "239.1.1.1"
if sys.argv[1] == "mrt":        # mrt IFIDX0 IFIDX1 IFIDX2 READYFILE
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_IGMP)
    s.setsockopt(socket.IPPROTO_IP, 200, struct.pack("i", 1))      # MRT_INIT
    for vifi, ifx in enumerate(map(int, sys.argv[2:5])):
        s.setsockopt(socket.IPPROTO_IP, 202,                         # MRT_ADD_VIF
                     struct.pack("@HBBIi4s", vifi, 8, 1, 0, ifx, bytes(4)))
    ttls = bytes([0, 1, 1]) + bytes(29)
    s.setsockopt(socket.IPPROTO_IP, 204, struct.pack("@4s4sH32sIIIi",  # MRT_ADD_MFC
                 socket.inet_aton("10.11.0.1"), socket.inet_aton(G), 0, ttls, 0, 0, 0, 0))
    open(sys.argv[5], "w").close()
    time.sleep(600)
elif sys.argv[1] == "recv":     # recv LOCALADDR FILE
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", 9999))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                 socket.inet_aton(G) + socket.inet_aton(sys.argv[2]))
    s.settimeout(30)  # returns at once when it comes: time for slow kernels
    open(sys.argv[3] + ".ready", "w").close()
    try:
        d = s.recv(65535)
        r = "whole" if d == PAYLOAD else "%d bytes" % len(d)
    except socket.timeout:
        r = "nothing"
    open(sys.argv[3], "w").write(r)
else:                           # send
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 5)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("10.11.0.1"))
    s.sendto(PAYLOAD, (G, 9999))
PY
ifx() { ip netns exec "$GW" cat "/sys/class/net/$1/ifindex"; }
ip netns exec "$GW" python3 "$TMP/m.py" mrt "$(ifx v11)" "$(ifx v12)" "$(ifx v14)" "$TMP/mrt.ready" &
for _ in $(seq 600); do [ -e "$TMP/mrt.ready" ] && break; sleep 0.1; done
round() {
	rm -f "$TMP"/r1* "$TMP"/r2*
	ip netns exec "$R1" python3 "$TMP/m.py" recv 10.12.0.2 "$TMP/r1" &
	local p1=$!
	ip netns exec "$R2" python3 "$TMP/m.py" recv 10.14.0.2 "$TMP/r2" &
	local p2=$!
	for _ in $(seq 600); do [ -e "$TMP/r1.ready" -a -e "$TMP/r2.ready" ] && break; sleep 0.1; done
	sleep 0.5
	ip netns exec "$S" python3 "$TMP/m.py" send
	wait $p1 $p2
	echo "R1 $(cat "$TMP/r1") R2 $(cat "$TMP/r2")"
}
ktap_header 3
round > /dev/null	# warm-up
r=$(round)
ksft_diag "no policy: $r; $(ip netns exec "$GW" cat /proc/net/ip_mr_cache | tail -n +2)"
ktap_check "fragmented multicast, no coapsec policy: whole at both" [ "$r" = "R1 whole R2 whole" ]
umask 077
echo 6a7e6a7e6a7e6a7e6a7e6a7e6a7e6a7e > "$TMP/secret"
ip netns exec "$GW" "$B/coapsec" context add id 1 secret "$TMP/secret" sender-id 01 recipient-id 00 > /dev/null
ip netns exec "$GW" "$B/coapsec" policy add dir fwd dst 10.99.0.2 action protect 1 > /dev/null
r=$(round)
ksft_diag "fwd policy for another host: $r; $(ip netns exec "$GW" cat /proc/net/ip_mr_cache | tail -n +2)"
ktap_check "fragmented multicast, a fwd policy for another host: whole at both" [ "$r" = "R1 whole R2 whole" ]
ip netns exec "$GW" "$B/coapsec" flush > /dev/null
r=$(round)
ksft_diag "policy gone: $r"
ktap_check "fragmented multicast, policy gone again: whole at both" [ "$r" = "R1 whole R2 whole" ]
kill %1 2>/dev/null
ktap_finish
