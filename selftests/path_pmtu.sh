#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Path MTU discovery through a protecting gateway converges (issue 12 §5):
#
#   CLI --v1-- GW (fwd protect) --v2 (MTU as set)-- SRV (no coapsec)
#
# A datagram that fits each link only before protection is refused by GW
# with an ICMP "packet too big" / "fragmentation needed"; the client
# learns a path MTU from it and sends at that size, and within three such
# rounds a datagram must fit once protected and reach SRV.  Over several
# link MTUs, IPv4 and IPv6.
. selftests/lib.sh
B=${B:-build}
TMP=$(mktemp -d)

coapsec_load || exit 1
trap 'cleanup_ns; rm -rf "$TMP"; coapsec_unload' EXIT
setup_ns CLI GW SRV || exit 1
ip link add v1 netns "$CLI" type veth peer name v1 netns "$GW"
ip link add v2 netns "$GW" type veth peer name v2 netns "$SRV"
ip -n "$CLI" addr add 10.36.1.1/24 dev v1
ip -n "$GW" addr add 10.36.1.2/24 dev v1
ip -n "$GW" addr add 10.36.2.1/24 dev v2
ip -n "$SRV" addr add 10.36.2.2/24 dev v2
ip -n "$CLI" addr add fd36:1::1/64 dev v1 nodad
ip -n "$GW" addr add fd36:1::2/64 dev v1 nodad
ip -n "$GW" addr add fd36:2::1/64 dev v2 nodad
ip -n "$SRV" addr add fd36:2::2/64 dev v2 nodad
for l in "$CLI v1" "$GW v1" "$GW v2" "$SRV v2"; do
	set -- $l
	ip -n "$1" link set "$2" up
done
ip netns exec "$GW" sysctl -qw net.ipv4.ip_forward=1 \
	net.ipv6.conf.all.forwarding=1 net.ipv4.icmp_ratelimit=0 \
	net.ipv6.icmp.ratelimit=0
ip -n "$CLI" route add default via 10.36.1.2
ip -n "$CLI" -6 route add default via fd36:1::2
ip -n "$SRV" route add default via 10.36.2.1
ip -n "$SRV" -6 route add default via fd36:2::1

umask 077
echo 36363636363636363636363636363636 > "$TMP/secret"
ip netns exec "$GW" "$B/coapsec" context add id 1 secret "$TMP/secret" \
	id-context 3636 sender-id 01 recipient-id 00 > /dev/null || exit 1
for dst in 10.36.2.2 fd36:2::2; do
	ip netns exec "$GW" "$B/coapsec" policy add dir fwd dst "$dst" \
		action protect 1 > /dev/null || exit 1
done

# probe DST: sends a datagram filling the client's link MTU with DF, then
# up to three more, each of exactly the path MTU the client has learned
# by then; prints the path MTUs in turn and the size of CoAP message that
# reached SRV ("1483 1483 0": learned 1483, the next one at 1483 arrived
# as 0 bytes, i.e. not).
probe() {
	ip netns exec "$SRV" python3 - "$1" "$CLI" <<'PY'
import socket, sys
sys.path.insert(0, "selftests/lib")
from netns import enter
dst, cli_ns = sys.argv[1], sys.argv[2]
v6 = ":" in dst
fam = socket.AF_INET6 if v6 else socket.AF_INET
hdr = 48 if v6 else 28
srv = socket.socket(fam, socket.SOCK_DGRAM)
srv.bind((dst, 5683))
srv.settimeout(4.0)
enter(cli_ns)
c = socket.socket(fam, socket.SOCK_DGRAM)
enter(None)
if v6:
    c.setsockopt(socket.IPPROTO_IPV6, 23, 2)	# IPV6_MTU_DISCOVER: DO
else:
    c.setsockopt(socket.IPPROTO_IP, 10, 2)	# IP_MTU_DISCOVER: DO
c.connect((dst, 5683))
def pmtu():
    return (c.getsockopt(socket.IPPROTO_IPV6, 24) if v6 else  # IPV6_MTU
            c.getsockopt(socket.IPPROTO_IP, 14))              # IP_MTU
def send(size):
    # The ICMP that taught the path MTU also left an EMSGSIZE pending on
    # this connected socket: take it, or the send reports it instead.
    c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    try:
        c.send(b"\x50\x02\x00\x01\xff" + b"m" * (size - hdr - 5))
    except OSError as e:
        print("# send(%d): %s" % (size, e), file=sys.stderr)
    try:
        return len(srv.recv(65535))
    except socket.timeout:
        return 0
out = []
got = send(1500)
for _ in range(3):
    if got:
        break
    out.append(pmtu())
    got = send(out[-1])
print(" ".join(map(str, out)), got)
PY
}
gw() { ip netns exec "$GW" "$B/coapsec" -j stats |
	python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

# Static neighbours, so that no datagram waits on ARP or ND.
mac() { ip -n "$1" -br link show "$2" | awk '{print $3}'; }
for a in 10.36.2.2 fd36:2::2; do
	ip -n "$GW" neigh replace "$a" lladdr "$(mac "$SRV" v2)" dev v2
done
for a in 10.36.1.2 fd36:1::2; do
	ip -n "$CLI" neigh replace "$a" lladdr "$(mac "$GW" v1)" dev v1
done

ktap_header 6
for mtu in 1500 1400 1300; do
	ip -n "$GW" link set v2 mtu "$mtu"
	ip -n "$SRV" link set v2 mtu "$mtu"
	for dst in 10.36.2.2 fd36:2::2; do
		# A fresh route: forget what the last round learned.
		ip -n "$CLI" route flush cache 2>/dev/null
		ip -n "$CLI" -6 route flush cache 2>/dev/null
		tb=$(gw too_big)
		# (no process substitution: the guest has no /dev/fd)
		r=$(probe "$dst" 2> "$TMP/err")
		[ -s "$TMP/err" ] && ksft_diag "$(tr '\n' ' ' < "$TMP/err")"
		ksft_diag "$dst, link MTU $mtu: path MTUs learned, then bytes of CoAP that arrived: $r (GW too_big +$(($(gw too_big) - tb)))"
		got=${r##* }
		ktap_check "$dst behind a link of MTU $mtu: PMTUD through the protecting gateway converges within 3 refusals" \
			[ "${got:-0}" -gt 0 ]
	done
done
ktap_finish
