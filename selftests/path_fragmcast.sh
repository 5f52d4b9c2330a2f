#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fragmented IPv4 multicast forwarded (ipmr, a static MFC entry) by GW
# to two interfaces: whole at both receivers without a policy, with a
# fwd policy for another host (coapsec reassembles forwarded IPv4 in its
# FORWARD hook then, a queue per outgoing interface for multicast) and
# after it went.  Then the same through a bridge (br_netfilter), which
# floods each fragment to both receivers' ports: a queue per port.
#
#   S --v11-- GW --v12-- R1        BS --p1-- [BR: br0] --p2-- B1
#             GW --v14-- R2                            --p3-- B2
. selftests/lib.sh
B=${B:-build}
TMP=$(mktemp -d)
coapsec_load || exit 1
trap 'cleanup_ns; rm -rf "$TMP"; modprobe -r br_netfilter 2>/dev/null; coapsec_unload' EXIT
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
    src = sys.argv[2] if len(sys.argv) > 2 else "10.11.0.1"
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(src))
    s.sendto(PAYLOAD, (G, 9999))
PY
ifx() { ip netns exec "$GW" cat "/sys/class/net/$1/ifindex"; }
ip netns exec "$GW" python3 "$TMP/m.py" mrt "$(ifx v11)" "$(ifx v12)" "$(ifx v14)" "$TMP/mrt.ready" &
wait_files "$TMP/mrt.ready"
# round [NS1 ADDR1 NS2 ADDR2 SENDER SRC [L1 L2]]: one datagram from
# SENDER (by SRC) to the group, "L1 what NS1 got L2 what NS2 got"; the
# routed set-up by default.
round() {
	local ns1=${1:-$R1} a1=${2:-10.12.0.2} ns2=${3:-$R2} a2=${4:-10.14.0.2}
	local snd=${5:-$S} src=${6:-10.11.0.1} l1=${7:-R1} l2=${8:-R2} p1 p2
	rm -f "$TMP"/r1* "$TMP"/r2*
	ip netns exec "$ns1" python3 "$TMP/m.py" recv "$a1" "$TMP/r1" &
	p1=$!
	ip netns exec "$ns2" python3 "$TMP/m.py" recv "$a2" "$TMP/r2" &
	p2=$!
	wait_files "$TMP/r1.ready" "$TMP/r2.ready"
	sleep 0.5
	ip netns exec "$snd" python3 "$TMP/m.py" send "$src"
	wait $p1 $p2
	echo "$l1 $(cat "$TMP/r1") $l2 $(cat "$TMP/r2")"
}
ktap_header 5
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

# The bridge.  Before, its copies for B1 and B2 shared one queue: the
# second port's copy of each fragment was dropped as a duplicate, and
# only one receiver got the datagram.
modprobe br_netfilter || exit 1
setup_ns BS BR B1 B2 || exit 1
ip -n "$BR" link add br0 type bridge mcast_snooping 0
n=1
for ns in "$BS" "$B1" "$B2"; do
	ip link add e0 netns "$ns" type veth peer name "p$n" netns "$BR"
	ip -n "$BR" link set "p$n" master br0 up
	ip -n "$ns" addr add "10.50.0.$n/24" dev e0
	ip -n "$ns" link set e0 up
	n=$((n + 1))
done
ip -n "$BR" link set br0 up
ip netns exec "$BR" sysctl -qw net.bridge.bridge-nf-call-iptables=1
ip netns exec "$BR" "$B/coapsec" context add id 1 secret "$TMP/secret" sender-id 01 recipient-id 00 > /dev/null
ip netns exec "$BR" "$B/coapsec" policy add dir fwd dst 10.99.0.2 action protect 1 > /dev/null
bround() { round "$B1" 10.50.0.2 "$B2" 10.50.0.3 "$BS" 10.50.0.1 B1 B2; }
r=$(bround)
ksft_diag "bridge, a fwd policy for another host: $r; BR: $(ip netns exec "$BR" awk '$1 == "Ip:" { if (!n++) { for (i = 2; i <= NF; i++) h[i] = $i; next } for (i = 2; i <= NF; i++) if (h[i] ~ /^Reasm(Reqds|OKs)$/) printf "%s %s ", h[i], $i }' /proc/net/snmp)"
ktap_check "fragmented multicast flooded by a bridge with br_netfilter, a fwd policy for another host: whole at both ports" \
	[ "$r" = "B1 whole B2 whole" ]
ip netns exec "$BR" "$B/coapsec" flush > /dev/null
r=$(bround)
ksft_diag "bridge, no policy: $r"
ktap_check "fragmented multicast flooded by a bridge, no policy: whole at both ports" \
	[ "$r" = "B1 whole B2 whole" ]
ktap_finish
