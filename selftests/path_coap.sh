#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Transparent protection: unmodified libcoap client and server in two
# namespaces, coapsec on both hosts.  GET, PUT, POST and DELETE with
# payloads of 0 to 1,000 bytes succeed over IPv4 and IPv6, and a capture
# on the link shows the OSCORE option and neither payload nor Uri-Path.
. selftests/lib.sh
B=${B:-build}
CS() { ip netns exec "$CLI" "$B/coapsec" "$@"; }
SS() { ip netns exec "$SRV" "$B/coapsec" "$@"; }
TMP=$(mktemp -d)

coapsec_load || exit 1
trap 'kill $SRV_PID $CAP_PID 2>/dev/null; wait; cleanup_ns; rm -rf "$TMP"; coapsec_unload' EXIT
setup_ns CLI SRV || exit 1
veth_pair "$CLI" "$SRV" 0.1 fd01 || exit 1

# One pairwise context, mirrored: client 01 -> server 00.
umask 077
echo 000102030405060708090a0b0c0d0e0f > "$TMP/secret"
CS context add id 1 secret "$TMP/secret" salt a1a2a3a4a5a6a7a8 \
	id-context 0c0a5ec0 sender-id 01 recipient-id 00 || exit 1
SS context add id 1 secret "$TMP/secret" salt a1a2a3a4a5a6a7a8 \
	id-context 0c0a5ec0 sender-id 00 recipient-id 01 || exit 1
for dst in 10.0.1.2 fd01::2; do
	CS policy add dir out dst "$dst" action protect 1 || exit 1
done
for fam in inet inet6; do
	SS policy add dir in family $fam action require || exit 1
done

ip netns exec "$SRV" coap-server-notls -d 20 -v 0 &
SRV_PID=$!
ip netns exec "$SRV" dumpcap -q -i veth0 -w "$TMP/link.pcapng" 2>/dev/null &
CAP_PID=$!
# dumpcap starts slowly under emulation: wait for its file.
for i in $(seq 100); do [ -s "$TMP/link.pcapng" ] && break; sleep 0.1; done
sleep 1

payload() {		# payload N: N bytes, starting with a marker
	printf 'SECRETPAYLOAD-%.0s' $(seq 80) | head -c "$1"
}

client() {		# client OUTFILE ARGS...
	local out=$1
	shift
	local t0=$(date +%s%N) rc
	ip netns exec "$CLI" timeout 20 coap-client-notls -B 5 -o "$out" "$@" \
		2> "$TMP/client.err"
	rc=$?
	ksft_diag "client $* $(( ($(date +%s%N) - t0) / 1000000 )) ms"
	return $rc
}

ktap_header 17
for host in 10.0.1.2 '[fd01::2]'; do
	fam=inet
	[ "$host" = 10.0.1.2 ] || fam=inet6
	for n in 0 1 100 1000; do
		uri="coap://$host/SecretPath-$fam-$n"
		payload "$n" > "$TMP/put"
		: > "$TMP/out"
		client "$TMP/out" -m put -f "$TMP/put" "$uri"
		rm -f "$TMP/get"
		client "$TMP/get" -m get "$uri"
		[ -e "$TMP/get" ] || : > "$TMP/get"
		ktap_check "$fam PUT then GET $n bytes" cmp -s "$TMP/put" "$TMP/get"
	done
	# POST to the dynamic resource, then DELETE it: GET finds nothing.
	uri="coap://$host/SecretPath-$fam-1000"
	payload 500 > "$TMP/post"
	client "$TMP/out" -m post -f "$TMP/post" "$uri"
	st=$?
	ksft_diag "POST: $st $(cat "$TMP/out" "$TMP/client.err" | head -c 200)"
	client "$TMP/out" -m delete "$uri"
	st2=$?
	ksft_diag "DELETE: $st2 $(cat "$TMP/out" "$TMP/client.err" | head -c 200)"
	ktap_check "$fam POST and DELETE answered" [ $st -eq 0 -a $st2 -eq 0 ]
	rm -f "$TMP/get"
	client "$TMP/get" -m get "$uri"
	ktap_check "$fam GET after DELETE gets no data" \
		bash -c "! grep -q SECRETPAYLOAD '$TMP/get' 2>/dev/null"
done

sleep 1
kill "$CAP_PID"
wait "$CAP_PID" 2>/dev/null
ksft_diag "client: $(CS stats | tr '\n' ' ')"
ksft_diag "server: $(SS stats | tr '\n' ' ')"
cstats=$(CS -j stats)
sstats=$(SS -j stats)
count() { jq -r ".$1" <<< "$cstats"; }
scount() { jq -r ".$1" <<< "$sstats"; }
ktap_check "client protected and verified every exchange" \
	[ "$(count protected)" -ge 22 -a "$(count verified)" -eq "$(count protected)" ]
ktap_check "server verified and protected every exchange" \
	[ "$(scount verified)" -ge 22 -a "$(scount protected)" -eq "$(scount verified)" ]
ktap_check "no failure counted" [ "$(count auth_failures)$(count malformed)$(scount auth_failures)$(scount malformed)$(scount policy_drops)" = 00000 ]
tshark -r "$TMP/link.pcapng" -Y 'udp.port == 5683' -T fields \
	-e frame.number -e coap.opt.name \
	> "$TMP/fields" 2>/dev/null
n_coap=$(wc -l < "$TMP/fields")
n_oscore=$(grep -c OSCORE "$TMP/fields")
ksft_diag "capture: $n_coap CoAP packets, $n_oscore with OSCORE"
ktap_check "capture shows the OSCORE option" [ "$n_oscore" -ge 44 ]
ktap_check "capture shows no payload or Uri-Path in clear" \
	bash -c "! grep -a -q -e SECRETPAYLOAD -e SecretPath '$TMP/link.pcapng'"
ktap_finish
