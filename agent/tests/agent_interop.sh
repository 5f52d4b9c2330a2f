#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# coapsecd against real, unmodified peers (libcoap 4.3 with OpenSSL):
# coap-client-openssl completes a coaps request against the agent's
# endpoint, and the agent as a DTLS-PSK client completes a request
# against coap-server-openssl.  Loopback only.  KTAP output.
set -u
. selftests/lib.sh
BIN=${COAPSECD:-build/coapsecd}
T=$(mktemp -d /tmp/coapsecd-interop-XXXXXX)
PORT=$((20000 + RANDOM % 20000))
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

command -v coap-client-openssl >/dev/null && command -v coap-server-openssl >/dev/null ||
	ktap_skip_all "libcoap3-bin not installed"
ktap_header 4

# libcoap takes the PSK as text; the agent as hex of the same bytes.
PSK_TEXT=coapsec-interop-psk
PSK_HEX=$(printf %s "$PSK_TEXT" | od -An -tx1 | tr -d ' \n')
umask 077
printf '%s\n' "{\"role\":\"gateway\",\"id\":\"gw-interop\",\"listen\":\"127.0.0.1:$PORT\"," \
	"\"server\":{\"address\":\"127.0.0.1:$((PORT + 10))\",\"identity\":\"gw\",\"key\":\"$PSK_HEX\"}," \
	"\"members\":[{\"id\":\"libcoap\",\"identity\":\"libcoap-client\",\"key\":\"$PSK_HEX\"}]}" > "$T/gw.json"
"$BIN" -c "$T/gw.json" 2>"$T/gw.log" &
pids+=($!)
for ((i = 0; i < 50; i++)); do grep -q started "$T/gw.log" && break; sleep 0.05; done

out=$(timeout 10 coap-client-openssl -B 5 -u libcoap-client -k "$PSK_TEXT" \
	"coaps://127.0.0.1:$PORT/status" 2>"$T/client.err")
if grep -q '"role": *"gateway"' <<<"$out"; then
	ktap_result 0 "coap-client-openssl -u -k: coaps GET /status against the agent"
else
	ktap_result 1 "coap-client-openssl -u -k: coaps GET /status against the agent"
	ksft_diag "got: $out"; sed 's/^/# /' "$T/client.err" | tail -5
fi

out=$(timeout 10 coap-client-openssl -B 5 -u libcoap-client -k "$PSK_TEXT" \
	"coaps://127.0.0.1:$PORT/.well-known/core" 2>/dev/null)
if grep -q '</ga/join>' <<<"$out"; then
	ktap_result 0 "coap-client-openssl: resource discovery lists the agent's endpoints"
else
	ktap_result 1 "coap-client-openssl: resource discovery lists the agent's endpoints"
	ksft_diag "got: $out"
fi

timeout 10 coap-client-openssl -B 5 -u libcoap-client -k wrong-psk-text \
	"coaps://127.0.0.1:$PORT/status" >/dev/null 2>&1
sleep 0.2
if grep -q 'handshake failed for identity "libcoap-client": wrong key' "$T/gw.log"; then
	ktap_result 0 "coap-client-openssl with a wrong PSK is refused and logged"
else
	ktap_result 1 "coap-client-openssl with a wrong PSK is refused and logged"
fi

# The agent as DTLS-PSK client: the device role's upstream is libcoap's
# server (coaps on port + 1), asked for / with coapsecd -p.
SPORT=$((PORT + 20))
coap-server-openssl -A 127.0.0.1 -p $SPORT -k "$PSK_TEXT" -v 3 >"$T/server.log" 2>&1 &
pids+=($!)
sleep 0.5
printf '%s\n' "{\"role\":\"device\",\"id\":\"dev-interop\"," \
	"\"gateway\":{\"address\":\"127.0.0.1:$((SPORT + 1))\",\"identity\":\"coapsecd\",\"key\":\"$PSK_HEX\"}," \
	"\"server_credential\":{\"identity\":\"x\",\"key\":\"$PSK_HEX\"}}" > "$T/dev.json"
out=$(timeout 15 "$BIN" -c "$T/dev.json" -p / 2>"$T/dev.err")
rc=$?
if [ $rc = 0 ] && grep -q '^2.05' <<<"$out"; then
	ktap_result 0 "coapsecd as DTLS-PSK client completes a coaps GET against coap-server-openssl"
else
	ktap_result 1 "coapsecd as DTLS-PSK client completes a coaps GET against coap-server-openssl"
	ksft_diag "rc=$rc got: $out"; sed 's/^/# /' "$T/dev.err" | tail -5
fi
ktap_finish
