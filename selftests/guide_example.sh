#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The operator guide's manual example ("Example: a client and a server by
# hand" in docs/operator-guide.md), run as written: every "client#" and
# "server#" line of that section is taken from the guide and run in the
# client's or the server's network namespace, with /etc/coapsecd/ mapped to
# a folder of that host's own and "scp -p" to a copy between the two.  Then
# the outcome the guide promises: the key files are 0600 and hold the same
# 16-byte secret, the GET is answered under OSCORE both ways, and the
# server's policy drops plain CoAP from the client.
. selftests/lib.sh
B=${B:-build}
GUIDE=docs/operator-guide.md
TMP=$(mktemp -d)
CLIENT_ADDR=192.0.2.1 SERVER_ADDR=192.0.2.2

coapsec_load || exit 1
trap 'cleanup_ns; rm -rf "$TMP"; coapsec_unload' EXIT
setup_ns CLI SRV || exit 1
ip link add veth0 netns "$CLI" type veth peer name veth0 netns "$SRV" &&
ip -n "$CLI" addr add "$CLIENT_ADDR/24" dev veth0 &&
ip -n "$SRV" addr add "$SERVER_ADDR/24" dev veth0 &&
ip -n "$CLI" link set veth0 up && ip -n "$SRV" link set veth0 up || exit 1
mkdir -p "$TMP/client" "$TMP/server"
chmod 0700 "$TMP/client" "$TMP/server"

# The section's commands, in order: "client# ..." and "server# ...".
sed -n '/^#### Example: a client and a server by hand/,/^#\{1,4\} \|^Policy actions/p' \
	"$GUIDE" | sed -n 's/^ *\(client\|server\)# \(.*\)$/\1 \2/p' > "$TMP/steps"
nsteps=$(wc -l < "$TMP/steps")

etc() { sed "s|/etc/coapsecd/|$TMP/$1/|g"; }	# etc HOST < LINE
host_of() {					# host_of ADDRESS
	case "$1" in
	"$CLIENT_ADDR") echo client ;;
	"$SERVER_ADDR") echo server ;;
	esac
}

# run HOST LINE: the guide's line on that host; its output in $TMP/out.N.
i=0
run() {
	local host=$1 line=$2 ns src dst
	i=$((i + 1))
	if [ "$host" = client ]; then ns=$CLI; else ns=$SRV; fi
	if [[ "$line" =~ ^scp\ -p\ ([^ ]+)\ root@([^:]+):([^ ]+)$ ]]; then
		src=$(etc "$host" <<< "${BASH_REMATCH[1]}")
		dst=$(etc "$(host_of "${BASH_REMATCH[2]}")" <<< "${BASH_REMATCH[3]}")
		[ -n "$(host_of "${BASH_REMATCH[2]}")" ] && cp -p "$src" "$dst"
		return
	fi
	ip netns exec "$ns" env PATH="$PWD/$B:$PATH" bash -c "$(etc "$host" <<< "$line")" \
		> "$TMP/out.$i" 2>&1 < /dev/null
	local st=$?
	# A server started in the background: wait until it listens.
	if [[ "$line" == *"&" ]]; then
		for _ in $(seq 50); do
			ip netns exec "$ns" ss -Hlun 'sport = :5683' | grep -q . && break
			sleep 0.1
		done
	fi
	return $st
}
jstat() { ip netns exec "$1" "$B/coapsec" -j stats | jq -r ".$2"; }

ktap_header $((nsteps + 6))
ktap_check "the guide's example has client and server commands ($nsteps)" \
	[ "$nsteps" -ge 10 -a "$(grep -c '^client ' "$TMP/steps")" -ge 5 \
	-a "$(grep -c '^server ' "$TMP/steps")" -ge 4 ]
while read -r host line; do
	run "$host" "$line"
	st=$?
	[ $st = 0 ] || sed 's/^/# /' "$TMP/out.$i" 2>/dev/null
	ktap_result $st "$host# $line"
done < "$TMP/steps"

ck=$TMP/client/server.key sk=$TMP/server/client.key
ktap_check "both key files are mode 0600" \
	[ "$(stat -c %a "$ck" 2>/dev/null)" = 600 -a "$(stat -c %a "$sk" 2>/dev/null)" = 600 ]
ktap_check "both hold the same 16-byte secret as one hex line" \
	bash -c '[ "$(cat "$1")" = "$(cat "$2")" ] && grep -qxE "[0-9a-f]{32}" "$1"' _ "$ck" "$sk"
get=$(grep -n '^client coap-client' "$TMP/steps" | head -n1 | cut -d: -f1)
ktap_check "the GET was answered by the server" grep -qs libcoap "$TMP/out.$get"
c_prot=$(jstat "$CLI" protected) c_ver=$(jstat "$CLI" verified)
s_prot=$(jstat "$SRV" protected) s_ver=$(jstat "$SRV" verified)
s_auth=$(jstat "$SRV" auth_failures)
ksft_diag "client protected $c_prot verified $c_ver; server protected $s_prot verified $s_ver auth_failures $s_auth"
ktap_check "request and answer went under OSCORE both ways" \
	[ "$c_prot" -ge 1 -a "$s_ver" -ge 1 -a "$s_prot" -ge 1 -a "$c_ver" -ge 1 -a "$s_auth" = 0 ]

# Without the client's policies its request goes in plain: the server's
# policy drops it, and the client gets no answer.
drops=$(jstat "$SRV" policy_drops)
ip netns exec "$CLI" "$B/coapsec" flush
ip netns exec "$CLI" timeout 10 coap-client-notls -B 2 -m get "coap://$SERVER_ADDR/" \
	> "$TMP/plain.out" 2>&1
drops2=$(jstat "$SRV" policy_drops)
ksft_diag "server policy_drops $drops -> $drops2"
ktap_check "the server's policy drops plain CoAP from the client" \
	[ "$drops2" -gt "$drops" -a "$(grep -c libcoap "$TMP/plain.out")" = 0 ]
ktap_finish
