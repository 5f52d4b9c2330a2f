#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# In-path gateways (FORWARD); the end hosts run no coapsec.
#
#   CLI --- GW1 --- GW2 --- SRV
#
# 1. RFC 8613 vectors: GW1 holds the C.1 client context and protects the
#    plain client's C.4 request on its way to SRV (a plain socket playing
#    the OSCORE server), which must get exactly the protected C.4; the C.7
#    answer is verified by GW1 and reaches the client as plain C.7.
# 2. Unmodified libcoap client and server: GW1 protects requests and
#    verifies responses, GW2 verifies requests (require) and protects the
#    responses.  IPv4 and IPv6.
. selftests/lib.sh
B=${B:-build}
TMP=$(mktemp -d)
G1() { ip netns exec "$GW1" "$B/coapsec" "$@" > /dev/null; }
G2() { ip netns exec "$GW2" "$B/coapsec" "$@" > /dev/null; }

coapsec_load || exit 1
trap 'kill $SRV_PID 2>/dev/null; wait; cleanup_ns; rm -rf "$TMP"; coapsec_unload' EXIT
setup_ns CLI GW1 GW2 SRV || exit 1
link() {		# link NS1 NS2 NET: NS1 gets .1, NS2 .2
	ip link add "v$3" netns "$1" type veth peer name "v$3" netns "$2"
	ip -n "$1" addr add "10.$3.0.1/24" dev "v$3"
	ip -n "$2" addr add "10.$3.0.2/24" dev "v$3"
	ip -n "$1" addr add "fd$3::1/64" dev "v$3" nodad
	ip -n "$2" addr add "fd$3::2/64" dev "v$3" nodad
	ip -n "$1" link set "v$3" up
	ip -n "$2" link set "v$3" up
}
link "$CLI" "$GW1" 11
link "$GW1" "$GW2" 12
link "$GW2" "$SRV" 13
for ns in "$GW1" "$GW2"; do
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv6.conf.all.forwarding=1
done
ip -n "$CLI" route add default via 10.11.0.2
ip -n "$CLI" -6 route add default via fd11::2
ip -n "$GW1" route add 10.13.0.0/24 via 10.12.0.2
ip -n "$GW1" -6 route add fd13::/64 via fd12::2
ip -n "$GW2" route add 10.11.0.0/24 via 10.12.0.1
ip -n "$GW2" -6 route add fd11::/64 via fd12::1
ip -n "$SRV" route add default via 10.13.0.1
ip -n "$SRV" -6 route add default via fd13::1

# 1. The vectors through GW1 over IPv4, then through GW2 over IPv6 (the
#    other one just routes).  A namespace may use the vectors' key and
#    sequence number once: each gateway takes its share.
for round in "$GW1 inet:C.4/C.7 inet:C.5 inet:C.6" \
	     "$GW2 inet6:C.4/C.8 inet6:C.5 inet6:C.6"; do
	ADDR4="10.11.0.1 10.13.0.2" ADDR6="fd11::1 fd13::2" \
		VEC_CASES=${round#* } \
		python3 selftests/path_rfc8613.py "$CLI" "$SRV" "${round%% *}" \
		>> "$TMP/vectors.tap"
	ip netns exec "${round%% *}" "$B/coapsec" flush
done
n_vec=$(ktap_count "$TMP/vectors.tap")

# 2. libcoap through both gateways.
G1 stats reset
G2 stats reset
umask 077
echo 6a7e6a7e6a7e6a7e6a7e6a7e6a7e6a7e > "$TMP/secret"
G1 context add id 1 secret "$TMP/secret" id-context 00f0d0 \
	sender-id 01 recipient-id 00 || exit 1
G2 context add id 1 secret "$TMP/secret" id-context 00f0d0 \
	sender-id 00 recipient-id 01 || exit 1
for dst in 10.13.0.2 fd13::2; do
	G1 policy add dir fwd dst "$dst" action protect 1 || exit 1
	G2 policy add dir fwd dst "$dst" action require || exit 1
done
ip netns exec "$SRV" coap-server-notls -d 10 -v 0 &
SRV_PID=$!
sleep 1

ktap_header $((n_vec + 12))
ktap_merge "$TMP/vectors.tap"

for host in 10.13.0.2 '[fd13::2]'; do
	printf 'FORWARDED-SECRET-%.0s' $(seq 30) > "$TMP/put"
	ip netns exec "$CLI" timeout 20 coap-client-notls -B 5 -m put \
		-f "$TMP/put" "coap://$host/fwd-path" > /dev/null 2>&1
	rm -f "$TMP/get"
	ip netns exec "$CLI" timeout 20 coap-client-notls -B 5 \
		-o "$TMP/get" "coap://$host/fwd-path" > /dev/null 2>&1
	ktap_check "libcoap PUT then GET via two gateways to $host" \
		cmp -s "$TMP/put" "$TMP/get"
done
j() { ip netns exec "$1" "$B/coapsec" -j stats |
	python3 -c "import json,sys; print(json.load(sys.stdin)['$2'])"; }
ksft_diag "GW1: $(ip netns exec "$GW1" "$B/coapsec" stats | tr '\n' ' ')"
ksft_diag "GW2: $(ip netns exec "$GW2" "$B/coapsec" stats | tr '\n' ' ')"
ktap_check "GW1 protected 4 requests, verified 4 responses" \
	[ "$(j "$GW1" protected)" -eq 4 -a "$(j "$GW1" verified)" -eq 4 ]
ktap_check "GW2 verified 4 requests, protected 4 responses" \
	[ "$(j "$GW2" verified)" -eq 4 -a "$(j "$GW2" protected)" -eq 4 ]
# A request that fits the path only before protection, sent with DF:
# GW1 may neither grow it past the MTU nor fragment it.  It tells the
# client, by ICMP, the path MTU left once protected (PMTUD).
for dst in 10.13.0.2 fd13::2; do
	drops=$(j "$GW1" too_big)
	mtu=$(ip netns exec "$CLI" python3 -c '
import socket, sys, time
dst = sys.argv[1]
v6 = ":" in dst
s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_DGRAM)
if v6:
    s.setsockopt(socket.IPPROTO_IPV6, 23, 2)  # IPV6_MTU_DISCOVER: DO
else:
    s.setsockopt(socket.IPPROTO_IP, 10, 2)    # IP_MTU_DISCOVER: DO
s.connect((dst, 5683))
s.send(b"\x50\x02\x00\x01\xff" + b"x" * (1500 - (48 if v6 else 28) - 5))
time.sleep(1)
print(s.getsockopt(socket.IPPROTO_IPV6, 24) if v6 else  # IPV6_MTU
      s.getsockopt(socket.IPPROTO_IP, 14))              # IP_MTU
' "$dst")
	ksft_diag "$dst: path MTU at the client after the refusal: $mtu"
	ktap_check "growth past the MTU on FORWARD to $dst: dropped, counted as too_big, the client told a smaller path MTU" \
		[ "$(j "$GW1" too_big)" -eq $((drops + 1)) -a "${mtu:-0}" -gt 1400 -a "${mtu:-0}" -lt 1500 ]
done

# A datagram larger than the link leaves CLI in fragments.  A namespace
# with fwd policies reassembles on FORWARD (IPv4) or before its hooks
# (IPv6), so GW1 protects it whole and fragments it again; GW2 verifies
# it whole.  Before, GW1 dropped the
# first fragment and forwarded the others, plaintext and all.
for dst in 10.13.0.2 fd13::2; do
	frags=$(j "$GW1" fragments)
	protected=$(j "$GW1" protected)
	verified=$(j "$GW2" verified)
	ip netns exec "$CLI" python3 -c '
import socket, sys
dst = sys.argv[1]
fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
if fam == socket.AF_INET:
    s.setsockopt(socket.IPPROTO_IP, 10, 0)  # IP_PMTUDISC_DONT: fragment
else:
    s.setsockopt(socket.IPPROTO_IPV6, 23, 0)  # IPV6_MTU_DISCOVER: fragment
s.sendto(b"\x50\x02\x00\x02\xff" + b"f" * 3000, (dst, 5683))' "$dst"
	sleep 1
	ktap_check "a fragmented datagram to $dst on FORWARD is protected whole, and verified whole after the next hop" \
		[ "$(j "$GW1" fragments)" -eq "$frags" -a \
		  "$(j "$GW1" protected)" -eq $((protected + 1)) -a \
		  "$(j "$GW2" verified)" -eq $((verified + 1)) ]
done

# IPv4 fragments made by hand (a raw socket on CLI): 3,000 bytes of UDP
# in 996-byte fragments, DF on each or not, the first one left out or
# not.  GW1 and GW2 reassemble in their FORWARD hooks (fwd policies).
cat > "$TMP/frag.py" <<'PY'
import socket, struct, sys
PAYLOAD = bytes(range(256)) * 11 + b"y" * (3000 - 256 * 11)
if sys.argv[1] == "recv":       # recv FILE: one datagram, "whole" or not
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(30)  # returns at once when it comes: time for slow kernels
    s.bind(("10.13.0.2", 9999))
    open(sys.argv[2] + ".ready", "w").close()
    try:
        d = s.recv(65535)
    except socket.timeout:
        d = b""
    open(sys.argv[2], "w").write("whole" if d == PAYLOAD else "%d bytes" % len(d))
    sys.exit(0)
# send DPORT DF SKIP_FIRST ID
dport, df, skip, ident = map(int, sys.argv[2:6])
udp = struct.pack("!HHHH", 40000, dport, 8 + len(PAYLOAD), 0) + PAYLOAD
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
for off in range(0, len(udp), 976):
    if skip and off == 0:
        continue
    chunk = udp[off:off + 976]
    flags = off // 8 | (0x4000 if df else 0) | (0x2000 if off + 976 < len(udp) else 0)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(chunk), ident, flags,
                      64, socket.IPPROTO_UDP, 0, socket.inet_aton("10.11.0.1"),
                      socket.inet_aton("10.13.0.2"))
    s.sendto(hdr + chunk, ("10.13.0.2", 0))
PY
snmp() {	# snmp NS FIELD: an Ip: counter of /proc/net/snmp in NS
	ip netns exec "$1" awk -v k="$2" '$1 == "Ip:" {
		if (!n++) { for (i = 2; i <= NF; i++) h[i] = $i; next }
		for (i = 2; i <= NF; i++) if (h[i] == k) print $i }' /proc/net/snmp
}
# To a port no policy names: whole at SRV, which gets it in 4 fragments
# (as sent: the gateways fragment again at no more than the sizes that
# came in, not at the 1500-byte MTU, even with DF).
for df in 0 1; do
	ok1=$(snmp "$GW1" ReasmOKs)
	req3=$(snmp "$SRV" ReasmReqds)
	rm -f "$TMP/rx" "$TMP/rx.ready"
	ip netns exec "$SRV" python3 "$TMP/frag.py" recv "$TMP/rx" &
	rx_pid=$!
	for _ in $(seq 600); do [ -e "$TMP/rx.ready" ] && break; sleep 0.1; done
	ip netns exec "$CLI" python3 "$TMP/frag.py" send 9999 "$df" 0 $((4242 + df))
	wait $rx_pid
	ksft_diag "DF $df: SRV got $(cat "$TMP/rx" 2>/dev/null), GW1 reassembled $(($(snmp "$GW1" ReasmOKs) - ok1)), SRV got $(($(snmp "$SRV" ReasmReqds) - req3)) fragments"
	ktap_check "IPv4 fragments (DF $df) to a port no policy names: reassembled on FORWARD, forwarded in fragments as sent, whole at the receiver" \
		[ "$(cat "$TMP/rx" 2>/dev/null)" = whole -a \
		  "$(snmp "$GW1" ReasmOKs)" -eq $((ok1 + 1)) -a \
		  "$(snmp "$SRV" ReasmReqds)" -eq $((req3 + 4)) ]
done
# The later fragments of a datagram that a fwd policy names, its first
# fragment never sent: they wait for it in GW1's reassembly queue, and
# nothing is forwarded.
req1=$(snmp "$GW1" ReasmReqds)
fwd1=$(snmp "$GW1" ForwDatagrams)
ip netns exec "$CLI" python3 "$TMP/frag.py" send 5683 0 1 4244
sleep 1
ksft_diag "GW1: $(($(snmp "$GW1" ReasmReqds) - req1)) fragments queued, $(($(snmp "$GW1" ForwDatagrams) - fwd1)) datagrams forwarded"
ktap_check "later IPv4 fragments to 10.13.0.2:5683 without their first: held on FORWARD, never forwarded" \
	[ "$(snmp "$GW1" ReasmReqds)" -eq $((req1 + 3)) -a \
	  "$(snmp "$GW1" ForwDatagrams)" -eq "$fwd1" ]

# Plain CoAP toward the server through GW2 only: dropped by require.
ip netns exec "$GW1" "$B/coapsec" flush
ip netns exec "$CLI" timeout 10 coap-client-notls -B 2 \
	"coap://10.13.0.2/fwd-path" > /dev/null 2>&1
ktap_check "plain CoAP forwarded into a require policy is dropped" \
	[ "$(j "$GW2" policy_drops)" -ge 1 ]
ktap_finish
