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

ktap_header $((n_vec + 25))
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
# send DPORT DF SKIP_FIRST ID [PROTO]: PROTO's number in the IP header
dport, df, skip, ident = map(int, sys.argv[2:6])
proto = int(sys.argv[6]) if len(sys.argv) > 6 else socket.IPPROTO_UDP
udp = struct.pack("!HHHH", 40000, dport, 8 + len(PAYLOAD), 0) + PAYLOAD
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
for off in range(0, len(udp), 976):
    if skip and off == 0:
        continue
    chunk = udp[off:off + 976]
    flags = off // 8 | (0x4000 if df else 0) | (0x2000 if off + 976 < len(udp) else 0)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(chunk), ident, flags,
                      64, proto, 0, socket.inet_aton("10.11.0.1"),
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
	wait_files "$TMP/rx.ready"
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

# Source routing, which GW1 accepts here: a datagram whose IP header
# names GW1 (IPv4 LSRR) or GW2 (IPv6 segment routing header) as its
# destination while its route goes on to SRV.  Before, GW1's fwd policy
# for SRV never matched it, and it left GW1 in clear.  To a port no
# policy names it is forwarded (the route works); to 5683, dropped and
# counted as source_routed.
ip netns exec "$GW1" sysctl -qw net.ipv4.conf.all.accept_source_route=1 \
	net.ipv4.conf.v11.accept_source_route=1 \
	net.ipv6.conf.all.seg6_enabled=1 net.ipv6.conf.v11.seg6_enabled=1
cat > "$TMP/srr.py" <<'PY'
import socket, struct, sys
MSG = b"\x50\x02\x00\x03\xff" + b"SOURCE-ROUTED-SECRET"     # NON POST
a6 = lambda a: socket.inet_pton(socket.AF_INET6, a)
def srh(nexthdr, segs_left, segs):
    """A segment routing header, segments last hop first."""
    return struct.pack("!BBBBBBH", nexthdr, 2 * len(segs), 4, segs_left,
                       len(segs) - 1, 0, 0) + b"".join(map(a6, segs))
def csum(data):
    data += b"\0" * (len(data) & 1)
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff or 0xffff
mode = sys.argv[1]
if mode == "send":      # send DST HOP... PORT: a socket's source route
    dst, hops, port = sys.argv[2], sys.argv[3:-1], int(sys.argv[-1])
    if ":" in dst:
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        # segments[0], where it goes, the kernel writes.
        s.setsockopt(socket.IPPROTO_IPV6, 57,        # IPV6_RTHDR
                     srh(0, len(hops), ["::"] + hops[::-1]))
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        route = b"".join(map(socket.inet_aton, hops))
        s.setsockopt(socket.IPPROTO_IP, 4,           # IP_OPTIONS: NOP, LSRR
                     bytes([1, 0x83, 3 + len(route), 4]) + route)
    try:
        s.sendto(MSG, (dst, port))
    except PermissionError:
        print("EPERM")
elif mode == "raw2":    # raw2 PORT: to GW2, a spent routing header, then
    # an SRH with one segment left, to SRV.
    port = int(sys.argv[2])
    src, hdr_dst, dst = "fd11::1", "fd12::2", "fd13::2"
    udp = struct.pack("!HHHH", 40001, port, 8 + len(MSG), 0) + MSG
    pseudo = a6(src) + a6(dst) + struct.pack("!I3xB", len(udp), 17)
    udp = udp[:6] + struct.pack("!H", csum(pseudo + udp)) + udp[8:]
    ext = struct.pack("!BBBB4x", 43, 0, 0, 0) + srh(17, 1, [dst, hdr_dst])
    ip6 = struct.pack("!IHBB16s16s", 6 << 28, len(ext) + len(udp), 43, 64,
                      a6(src), a6(hdr_dst))
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.sendto(ip6 + ext + udp, (hdr_dst, 0))
elif mode == "recv":    # recv ADDR PORT FILE: what one datagram holds
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.settimeout(5)
    s.bind((sys.argv[2], int(sys.argv[3])))
    open(sys.argv[4] + ".ready", "w").close()
    try:
        d = s.recv(2048)
    except socket.timeout:
        d = b""
    open(sys.argv[4], "w").write("plain" if MSG in d else "nothing")
PY
fwded() {	# fwded NS FAMILY: datagrams NS forwarded
	if [ "$2" = 4 ]; then
		snmp "$1" ForwDatagrams
	else
		ip netns exec "$1" awk '$1 == "Ip6OutForwDatagrams" { print $2 }' \
			/proc/net/snmp6
	fi
}
# fwd_srr NAME FAMILY COMMAND...: COMMAND PORT runs on CLI; GW1 must
# forward it to port 9999 and drop it to 5683, counting source_routed.
fwd_srr() {
	local name=$1 fam=$2 fwd0 fwd1 fwd2 srr1 srr2
	shift 2
	fwd0=$(fwded "$GW1" "$fam")
	ip netns exec "$CLI" "$@" 9999
	sleep 1
	fwd1=$(fwded "$GW1" "$fam")
	srr1=$(j "$GW1" source_routed)
	ip netns exec "$CLI" "$@" 5683
	sleep 1
	fwd2=$(fwded "$GW1" "$fam")
	srr2=$(j "$GW1" source_routed)
	ksft_diag "$name: GW1 forwarded $((fwd1 - fwd0)) to port 9999, then $((fwd2 - fwd1)) to 5683; source_routed ${srr1:-none} -> ${srr2:-none}"
	ktap_check "$name: dropped at GW1 and counted (to a port no policy names: forwarded)" \
		[ "$fwd1" -eq $((fwd0 + 1)) -a "$fwd2" -eq "$fwd1" -a \
		  "${srr2:-0}" -eq $((${srr1:-0} + 1)) ]
}
fwd_srr "IPv4 LSRR by way of GW1 to 10.13.0.2" 4 \
	python3 "$TMP/srr.py" send 10.13.0.2 10.11.0.2
fwd_srr "IPv6 SRH by way of GW1 and GW2 to fd13::2" 6 \
	python3 "$TMP/srr.py" send fd13::2 fd11::2 fd12::2
# A routing header with no segments left, then one with: the second one
# counts too (the kernel does not turn it down).
fwd_srr "IPv6 to GW2, a spent routing header and an SRH on to fd13::2" 6 \
	python3 "$TMP/srr.py" raw2

# The same leaving CLI under an out policy for SRV: its header names
# GW1, its route SRV.  Refused on LOCAL_OUT (EPERM), counted.
ip netns exec "$CLI" "$B/coapsec" context add id 1 secret "$TMP/secret" \
	id-context 00f0d0 sender-id 01 recipient-id 00 > /dev/null || exit 1
for dst in 10.13.0.2 fd13::2; do
	ip netns exec "$CLI" "$B/coapsec" policy add dir out dst "$dst" \
		action protect 1 > /dev/null || exit 1
done
for route in "10.13.0.2 10.11.0.2" "fd13::2 fd11::2"; do
	srr0=$(j "$CLI" source_routed)
	said=$(ip netns exec "$CLI" python3 "$TMP/srr.py" send ${route% *} ${route#* } 5683)
	sleep 1
	ksft_diag "source-routed from CLI to ${route% *}: sendto said '$said', source_routed ${srr0:-none} -> $(j "$CLI" source_routed)"
	ktap_check "source-routed CoAP leaving CLI for ${route% *} under an out policy: refused with EPERM, counted" \
		[ "$said" = EPERM -a \
		  "$(j "$CLI" source_routed)" -eq $((${srr0:-0} + 1)) ]
done
ip netns exec "$CLI" "$B/coapsec" flush

# Arriving: IPv6 acts on a routing header after LOCAL_IN.  Plain CoAP to
# GW1's fd11::2 whose SRH goes on to its fd12::1, which a require policy
# guards: before, LOCAL_IN matched fd11::2 and the socket on fd12::1 got
# it in plain.
ip netns exec "$GW1" "$B/coapsec" policy add dir in dst fd12::1 \
	action require > /dev/null || exit 1
srr0=$(j "$GW1" source_routed)
rm -f "$TMP/in6" "$TMP/in6.ready"
ip netns exec "$GW1" python3 "$TMP/srr.py" recv fd12::1 5683 "$TMP/in6" &
rx_pid=$!
wait_files "$TMP/in6.ready"
ip netns exec "$CLI" python3 "$TMP/srr.py" send fd12::1 fd11::2 5683
wait $rx_pid
ksft_diag "SRH to fd11::2 on to fd12::1: the socket got $(cat "$TMP/in6" 2>/dev/null), source_routed ${srr0:-none} -> $(j "$GW1" source_routed)"
ktap_check "IPv6 plain CoAP whose SRH ends at an address a require policy guards: dropped on LOCAL_IN, counted" \
	[ "$(cat "$TMP/in6" 2>/dev/null)" = nothing -a \
	  "$(j "$GW1" source_routed)" -eq $((${srr0:-0} + 1)) ]

# Fragments of another protocol (TCP's number, the same bytes): GW1
# reassembles them too.  A receiver that keys fragments without the
# protocol (lwIP) would join a "TCP" tail passed on at once to the head
# of a UDP datagram GW1 had judged.
req1=$(snmp "$GW1" ReasmReqds)
fwd1=$(snmp "$GW1" ForwDatagrams)
ip netns exec "$CLI" python3 "$TMP/frag.py" send 5683 0 0 4246 6
sleep 1
ksft_diag "TCP fragments: GW1 queued $(($(snmp "$GW1" ReasmReqds) - req1)) for reassembly, forwarded $(($(snmp "$GW1" ForwDatagrams) - fwd1))"
ktap_check "IPv4 fragments of another protocol on FORWARD: reassembled as UDP's are, forwarded once whole" \
	[ "$(snmp "$GW1" ReasmReqds)" -eq $((req1 + 4)) -a \
	  "$(snmp "$GW1" ForwDatagrams)" -eq $((fwd1 + 1)) ]

# Plain CoAP to 10.13.0.2:5683 whose UDP length is not its IP payload's
# (65535, then 8 with the message behind it), checksum 0: Linux would
# drop or trim it, lwIP reads the whole payload.  Before, GW1 took it
# for "no UDP" and forwarded it in clear; now dropped, malformed.
cat > "$TMP/badlen.py" <<'PY'
import socket, struct, sys
msg = b"\x50\x03\x00\x04\xb8actuator\xff" + b"on"      # NON PUT /actuator
ulen = int(sys.argv[1])
udp = struct.pack("!HHHH", 40002, 5683, ulen, 0) + msg
hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 4247 + ulen % 7, 0,
                  64, socket.IPPROTO_UDP, 0, socket.inet_aton("10.11.0.1"),
                  socket.inet_aton("10.13.0.2"))
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
s.sendto(hdr + udp, ("10.13.0.2", 0))
PY
fwd1=$(snmp "$GW1" ForwDatagrams)
bad1=$(j "$GW1" malformed)
ip netns exec "$CLI" python3 "$TMP/badlen.py" 65535
ip netns exec "$CLI" python3 "$TMP/badlen.py" 8
sleep 1
ksft_diag "UDP lengths 65535 and 8: GW1 forwarded $(($(snmp "$GW1" ForwDatagrams) - fwd1)), malformed $bad1 -> $(j "$GW1" malformed)"
ktap_check "CoAP whose UDP length is not its IP payload's, to a port a fwd policy names: dropped on FORWARD, counted as malformed" \
	[ "$(snmp "$GW1" ForwDatagrams)" -eq "$fwd1" -a \
	  "$(j "$GW1" malformed)" -eq $((bad1 + 2)) ]

# A fragmented plain request with UDP checksum 0 and IP ID 4300, in
# fragments CLI chose: GW1 protects it, GW2 verifies it.  What leaves
# each is a new datagram: a fresh ID and a UDP checksum.  Before, both
# kept the sender's ID and no checksum, so an on-path attacker who had
# chosen the fragments could complete the plaintext leaving GW2 with
# fragments of its own wherever one was lost.
cat > "$TMP/newdg.py" <<'PY'
import socket, struct, sys
if sys.argv[1] == "send":
    msg = b"\x50\x02\x00\x05\xff" + b"z" * 3000              # NON POST
    udp = struct.pack("!HHHH", 40003, 5683, 8 + len(msg), 0) + msg
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    for off in range(0, len(udp), 976):
        chunk = udp[off:off + 976]
        flags = off // 8 | (0x2000 if off + 976 < len(udp) else 0)
        s.sendto(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(chunk), 4300,
                             flags, 64, socket.IPPROTO_UDP, 0,
                             socket.inet_aton("10.11.0.1"),
                             socket.inet_aton("10.13.0.2")) + chunk,
                 ("10.13.0.2", 0))
    sys.exit(0)
# watch FILE DEV: the IDs of UDP fragments to 10.13.0.2:5683 arriving on
# DEV, and the UDP checksum of each first fragment, for 10 s
sys.path.insert(0, "selftests/lib")
from wire import ipv4_udp_to, watch
ids, sums = set(), []
for f in watch(sys.argv[3], 0x0800, 10, sys.argv[2] + ".ready"):
    ip = ipv4_udp_to(f, "10.13.0.2")
    if not ip:
        continue
    ihl = (ip[0] & 15) * 4
    ident, frag = struct.unpack("!HH", ip[4:8])
    if not frag & 0x3fff or frag & 0x1fff == 0 and \
            struct.unpack("!H", ip[ihl + 2:ihl + 4])[0] != 5683:
        continue
    ids.add(ident)
    if frag & 0x1fff == 0:
        sums.append(struct.unpack("!H", ip[ihl + 6:ihl + 8])[0])
open(sys.argv[2], "w").write("ids %s sums %s" % (sorted(ids), sums))
PY
prot1=$(j "$GW1" protected)
ver2=$(j "$GW2" verified)
rm -f "$TMP"/dg*
ip netns exec "$GW2" python3 "$TMP/newdg.py" watch "$TMP/dg1" v12 &
dg_pid1=$!
ip netns exec "$SRV" python3 "$TMP/newdg.py" watch "$TMP/dg2" v13 &
dg_pid2=$!
wait_files "$TMP/dg1.ready" "$TMP/dg2.ready"
ip netns exec "$CLI" python3 "$TMP/newdg.py" send
wait $dg_pid1 $dg_pid2
dg1=$(cat "$TMP/dg1" 2>/dev/null)
dg2=$(cat "$TMP/dg2" 2>/dev/null)
ksft_diag "fragments from GW1: $dg1; at SRV: $dg2; GW1 protected $(($(j "$GW1" protected) - prot1)), GW2 verified $(($(j "$GW2" verified) - ver2))"
dg_new() {	# dg_new WATCHED: one ID, not 4300, and a UDP checksum
	python3 -c '
import ast, sys
ids, sums = sys.argv[1].split(" sums ")
ids, sums = ast.literal_eval(ids[4:]), ast.literal_eval(sums)
sys.exit(not (len(ids) == 1 and 4300 not in ids and
              len(sums) == 1 and sums[0] != 0))' "$1"
}
dg_both() {
	[ "$(j "$GW1" protected)" -eq $((prot1 + 1)) ] &&
	[ "$(j "$GW2" verified)" -eq $((ver2 + 1)) ] &&
	dg_new "$dg1" && dg_new "$dg2"
}
ktap_check "a fragmented request (ID 4300, no UDP checksum) protected by GW1, verified by GW2: leaves each as a new datagram (another ID, a UDP checksum)" \
	dg_both

# A fragmented IPv6 request that GW2 verifies, to an address no one
# holds: GW2 sends it on in fragments (no larger than those that came
# in), neighbour discovery fails, and GW2 sends CLI an "address
# unreachable" for each fragment queued, quoting it.  Those quoting a
# later fragment must not carry its plaintext back over the protected
# link: cut right after the fragment header.  Before, none was cut:
# ipv6_skip_exthdr() stops at a later fragment's header, which coapsec
# took for "not UDP".  Twice: sent by a UDP socket (to fd13::99), and
# by a raw socket with an AH header before UDP (to fd13::98), which an
# attacker on the protected link could insert too, so that the
# fragment header names AH, not UDP.
for dst in fd13::99 fd13::98; do
	G1 policy add dir fwd dst $dst action protect 1
	G2 policy add dir fwd dst $dst action require
done
ip netns exec "$GW2" sysctl -qw net.ipv6.icmp.ratelimit=0
cat > "$TMP/unreach6.py" <<'PY'
import socket, struct, sys
MARK = b"LEAK-frag6"
REQ = b"\x50\x02\x00\x06\xff" + MARK * 300
if sys.argv[1] == "send":               # send udp|ah
    if sys.argv[2] == "udp":
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.setsockopt(socket.IPPROTO_IPV6, 23, 0)  # IPV6_MTU_DISCOVER: fragment
        s.sendto(REQ, ("fd13::99", 5683))
        sys.exit(0)
    src, dst = (socket.inet_pton(socket.AF_INET6, a)
                for a in ("fd11::1", "fd13::98"))
    ulen = 8 + len(REQ)
    c = 0
    hdr = struct.pack("!HHHH", 40006, 5683, ulen, 0)
    data = src + dst + struct.pack("!I3xB", ulen, 17) + hdr + REQ + b"\0"
    for k in range(0, len(data) - 1, 2):
        c += data[k] << 8 | data[k + 1]
    while c >> 16:
        c = (c & 0xffff) + (c >> 16)
    udp = struct.pack("!HHHH", 40006, 5683, ulen, ~c & 0xffff or 0xffff) + REQ
    ah = struct.pack("!BBHII", 17, 4, 0, 0x100, 1) + bytes(12)  # 24 bytes
    part = ah + udp
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_RAW)
    for off in range(0, len(part), 1448):
        chunk = part[off:off + 1448]
        more = off + 1448 < len(part)
        s.sendto(struct.pack("!IHBB", 6 << 28, 8 + len(chunk), 44, 64) + src +
                 dst + struct.pack("!BBHI", 51, 0, off | more, 0x6006) + chunk,
                 ("fd13::98", 0))
    sys.exit(0)
# watch FILE NEXT: on v12, for 12 s (neighbour discovery gives up after
# about 3): ICMPv6 errors, those quoting a later fragment whose fragment
# header names NEXT (UDP, or AH), those of them cut right after it,
# frames holding the marker, both ways
sys.path.insert(0, "selftests/lib")
from wire import watch
errors = later = cut = leaked = 0
for f in watch("v12", 0x86dd, 12, sys.argv[2] + ".ready", outgoing=True):
    leaked += MARK in f
    if f[20] != 58 or f[54] != 1:
        continue
    errors += 1
    # Ethernet, IPv6, ICMPv6, the quoted IPv6 header, its fragment header
    if len(f) >= 110 and f[68] == 44 and f[102] == int(sys.argv[3]) and \
            struct.unpack("!H", f[104:106])[0] & 0xfff8:
        later += 1
        cut += len(f) == 110
open(sys.argv[2], "w").write("%d %d %d %d" % (errors, later, cut, leaked))
PY
for how in udp:17 ah:51; do
	next=${how#*:}
	how=${how%:*}
	ver2=$(j "$GW2" verified)
	rm -f "$TMP/unreach6.seen" "$TMP/unreach6.seen.ready"
	ip netns exec "$GW1" python3 "$TMP/unreach6.py" watch "$TMP/unreach6.seen" "$next" &
	watch_pid=$!
	wait_files "$TMP/unreach6.seen.ready"
	ip netns exec "$CLI" python3 "$TMP/unreach6.py" send $how
	wait $watch_pid
	read -r errors later cut leaked < "$TMP/unreach6.seen"
	ksft_diag "$how: GW2 verified $(($(j "$GW2" verified) - ver2)); on v12: $errors ICMPv6 errors, $later about a later fragment, $cut of them cut after its fragment header, $leaked frames with the plaintext"
	ktap_check "IPv6 ($how): GW2's address unreachable for each fragment of a request it verified quotes no plaintext (later fragments cut after their fragment header)" \
		[ "$(j "$GW2" verified)" -eq $((ver2 + 1)) -a "${later:-0}" -ge 1 \
		  -a "${cut:-0}" -eq "${later:-0}" -a "${leaked:-1}" -eq 0 ]
done

# Plain CoAP toward the server through GW2 only: dropped by require.
ip netns exec "$GW1" "$B/coapsec" flush
ip netns exec "$CLI" timeout 10 coap-client-notls -B 2 \
	"coap://10.13.0.2/fwd-path" > /dev/null 2>&1
ktap_check "plain CoAP forwarded into a require policy is dropped" \
	[ "$(j "$GW2" policy_drops)" -ge 1 ]

# An Empty message (a CoAP ping, 12 bytes of UDP) split in two fragments
# by CLI: the UDP header, then the message.  GW1 (no policies now)
# forwards the fragments as they are; GW2 puts them together, in its
# FORWARD hook, or by conntrack before it, and passes the message
# unchanged (Empty messages are never protected), as a new datagram:
# whole, with another ID.  Before, it left in the two fragments that
# came in, with their ID, so a sender on the path could, wherever the
# second one was lost inside, complete the first with a plain request
# of its own that GW2's require never saw (lwIP reads the IP payload).
cat > "$TMP/ping2.py" <<'PY'
import socket, struct, sys
EMPTY = b"\x40\x00\x12\x34"
ident = int(sys.argv[2])
if sys.argv[1] == "send":       # send ID
    udp = struct.pack("!HHHH", 40004, 5683, 8 + len(EMPTY), 0) + EMPTY
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    for off, chunk in ((0, udp[:8]), (8, udp[8:])):
        flags = off // 8 | (0x2000 if off == 0 else 0)
        s.sendto(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(chunk), ident,
                             flags, 64, socket.IPPROTO_UDP, 0,
                             socket.inet_aton("10.11.0.1"),
                             socket.inet_aton("10.13.0.2")) + chunk,
                 ("10.13.0.2", 0))
    sys.exit(0)
# watch ID FILE: what arrives on v13 for 10.13.0.2 with ID or holding the
# Empty message, for 5 s: "frag ID" or "whole ID" each
sys.path.insert(0, "selftests/lib")
from wire import ipv4_udp_to, watch
seen = []
for f in watch("v13", 0x0800, 5, sys.argv[3] + ".ready"):
    ip = ipv4_udp_to(f, "10.13.0.2")
    if not ip:
        continue
    ihl = (ip[0] & 15) * 4
    got, frag = struct.unpack("!HH", ip[4:8])
    tot = struct.unpack("!H", ip[2:4])[0]
    if frag & 0x3fff:
        if got == ident:
            seen.append("frag %d" % got)
    elif ip[ihl + 8:tot] == EMPTY:
        seen.append("whole %d" % got)
open(sys.argv[3], "w").write(" ".join(seen))
PY
# ping2_new SEEN...: one whole datagram with another ID, no fragment
# with the sender's; and where conntrack was asked for, it saw it.
ping2_new() {
	[ $# -eq 2 ] && [ "$1" = whole ] && [ "$2" != "$id" ] || return 1
	[ "$by" != "conntrack at GW2" ] ||
		ip netns exec "$GW2" nft list chain ip ctdefrag pre 2>/dev/null |
		grep -q 'packets [1-9]'
}
for by in "GW2's FORWARD hook" "conntrack at GW2"; do
	id=4301
	if [ "$by" = "conntrack at GW2" ]; then
		id=4302
		ip netns exec "$GW2" nft -f - <<-'NFT' || ksft_diag "nft failed"
		table ip ctdefrag {
			chain pre { type filter hook prerouting priority 0; ct state new counter; }
		}
		NFT
	fi
	rm -f "$TMP/ping2.seen" "$TMP/ping2.seen.ready"
	ip netns exec "$SRV" python3 "$TMP/ping2.py" watch $id "$TMP/ping2.seen" &
	watch_pid=$!
	wait_files "$TMP/ping2.seen.ready"
	ip netns exec "$CLI" python3 "$TMP/ping2.py" send $id
	wait $watch_pid
	seen=$(cat "$TMP/ping2.seen" 2>/dev/null)
	ksft_diag "Empty message in two fragments, ID $id, put together by $by: at SRV '$seen'"
	# shellcheck disable=SC2086
	ktap_check "an Empty message in two fragments (ID $id) through a require policy, put together by $by: forwarded whole, with another ID" \
		ping2_new $seen
done
ip netns exec "$GW2" nft delete table ip ctdefrag 2>/dev/null
ktap_finish
