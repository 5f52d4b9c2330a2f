#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# coapsecd end to end on loopback, no VM: a server, a gateway and four
# devices in two groups run TR-0012 group authentication and key
# distribution; then handshake failures, a spoofed ClientHello flood, a
# membership change, a server restart, a device restart and a registry
# that refuses a write.  KTAP output.
set -u
. selftests/lib.sh
. selftests/lib/agent.sh
BIN=${COAPSECD:-build/coapsecd}
PROBE=${DTLS_PROBE:-build/agent/dtls_probe}
T=$(mktemp -d /tmp/coapsecd-flow-XXXXXX)
BASE=$((20000 + RANDOM % 20000))
SRV=$BASE GW=$((BASE + 1))
declare -A PID

cleanup() {
	for p in "${PID[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT


start() {	# NAME CONFIG
	"$BIN" -c "$T/$2.json" 2>>"$T/$1.log" &
	PID[$1]=$!
}
stop() { kill "${PID[$1]}" 2>/dev/null; wait "${PID[$1]}" 2>/dev/null; unset "PID[$1]"; }
stats() {	# NAME: its counters, as JSON
	local before i
	before=$(grep -c ' stats ' "$T/$1.log")
	kill -USR1 "${PID[$1]}"
	for ((i = 0; i < 40; i++)); do
		[ "$(grep -c ' stats ' "$T/$1.log")" -gt "$before" ] && break
		sleep 0.05
	done
	grep ' stats ' "$T/$1.log" | tail -1 | sed 's/.* stats //'
}

umask 077
KG=$(key)
declare -A KX KM
MEMBERS="dev-1 dev-2 dev-3 dev-4"
declare -A GROUP=([dev-1]=lights [dev-2]=lights [dev-3]=doors [dev-4]=doors)
for d in $MEMBERS; do KX[$d]=$(key); KM[$d]=$(key); done
# dev-1 keeps its server key in a key file rather than inline
echo "${KX[dev-1]}" > "$T/dev-1.kx"

srv_members() {
	local sep="" d
	for d in "$@"; do
		printf '%s{"id":"%s","group":"%s","identity":"%s@in-cse","key":"%s"}' \
			"$sep" "$d" "${GROUP[$d]}" "$d" "${KX[$d]}"
		sep=,
	done
}
server_conf() {
	printf '%s\n' "{\"role\":\"server\",\"id\":\"in-cse\",\"listen\":\"127.0.0.1:$SRV\"," \
		"\"db\":\"$T/registry.db\",\"contexts_file\":\"$T/server.ctx\",\"grace_s\":5," \
		"\"gateways\":[{\"id\":\"gw1\",\"identity\":\"gw1@in-cse\",\"key\":\"$KG\"}]," \
		"\"groups\":[{\"name\":\"lights\"},{\"name\":\"doors\",\"alg\":10,\"secret_len\":32}]," \
		"\"members\":[$(srv_members "$@")]}" > "$T/server.json.new"
	mv "$T/server.json.new" "$T/server.json"
}
server_conf $MEMBERS
gm=""
for d in $MEMBERS; do gm="$gm${gm:+,}{\"id\":\"$d\",\"identity\":\"$d@gw1\",\"key\":\"${KM[$d]}\"}"; done
printf '%s\n' "{\"role\":\"gateway\",\"id\":\"gw1\",\"listen\":\"127.0.0.1:$GW\",\"contexts_file\":\"$T/gw.ctx\"," \
	"\"server\":{\"address\":\"127.0.0.1:$SRV\",\"identity\":\"gw1@in-cse\",\"key\":\"$KG\"}," \
	"\"members\":[$gm]}" > "$T/gw.json"
for d in $MEMBERS; do
	if [ $d = dev-1 ]; then sc="\"key_file\":\"$T/dev-1.kx\""; else sc="\"key\":\"${KX[$d]}\""; fi
	# dev-3 (doors) has a policy for lights, a group it never gets
	pol=""
	[ $d = dev-3 ] && pol='"policies":[{"context":"group:lights","direction":"out","dst":"224.0.1.187","action":"protect"}],'
	printf '%s\n' "{\"role\":\"device\",\"id\":\"$d\",\"contexts_file\":\"$T/$d.ctx\",$pol" \
		"\"gateway\":{\"address\":\"127.0.0.1:$GW\",\"identity\":\"$d@gw1\",\"key\":\"${KM[$d]}\"}," \
		"\"server_credential\":{\"identity\":\"$d@in-cse\",$sc}}" > "$T/$d.json"
done
# a device with the wrong Kpsaxm, one with an unknown identity
sed "s/${KM[dev-1]}/$(key)/" "$T/dev-1.json" > "$T/wrongkey.json"
sed 's/"dev-1@gw1"/"nobody@gw1"/' "$T/dev-1.json" > "$T/unknown.json"

ktap_header 16

help=$("$BIN" --help 2>&1)
hrc=$?
ktap_check "coapsecd --help prints the usage and exits 0" \
	eval '[ $hrc = 0 ] && grep -q "^usage: coapsecd -c CONFIG" <<<"$help"'

start server server
wait_log server "started" 20
start gw gw
for d in $MEMBERS; do start $d $d; done
all=1
for d in $MEMBERS; do wait_log $d "contexts installed" 10 || all=0; done
wait_log gw "contexts installed" 5 || all=0
ktap_check "four devices in two groups authenticated and keyed end to end" [ $all = 1 ]
ktap_check "a policy naming a group the device never gets is logged" \
	grep -q 'policies\[0\].context: "group:lights" names no context this agent was given' "$T/dev-3.log"

# Identical contexts on both sides, compared through key fingerprints:
# one side's sender key is the other's recipient key.
pairwise_same() {
	local d=$1 n="pairwise:$1"
	[ -n "$(ctx $d $n sender_key_fp)" ] &&
	[ "$(ctx $d $n id_context) $(ctx $d $n common_iv_fp) $(ctx $d $n sender_key_fp) $(ctx $d $n 'recipients[0].key_fp')" = \
	  "$(ctx server $n id_context) $(ctx server $n common_iv_fp) $(ctx server $n 'recipients[0].key_fp') $(ctx server $n sender_key_fp)" ]
}
group_same() {
	local d=$1 n="group:${GROUP[$1]}" sid
	sid=$(ctx $d $n sender_id)
	[ -n "$sid" ] &&
	[ "$(ctx $d $n id_context) $(ctx $d $n common_iv_fp) $(ctx $d $n sender_key_fp) $(ctx $d $n 'recipients[0].key_fp') $(ctx $d $n epoch)" = \
	  "$(ctx gw $n id_context) $(ctx gw $n common_iv_fp) $(ctx gw $n "recipients[] | select(.id==\"$sid\") | .key_fp") $(ctx gw $n sender_key_fp) $(ctx gw $n epoch)" ]
}
all=1; for d in $MEMBERS; do pairwise_same $d || all=0; done
ktap_check "pairwise contexts identical on each device and the server" [ $all = 1 ]
all=1; for d in $MEMBERS; do group_same $d || all=0; done
ktap_check "group contexts identical on each device and the gateway" [ $all = 1 ]
ktap_check "the gateway holds no pairwise context (it never learns a Ks)" \
	[ "$(jq '[.contexts[] | select(.kind=="pairwise")] | length' "$T/gw.ctx")" = 0 ]

"$BIN" -c "$T/wrongkey.json" -p /status >/dev/null 2>&1
st=$(stats gw)
ktap_check "a wrong PSK fails the handshake, logged and counted" \
	eval '[ "$(jq .dtls.auth_failed <<<"$st")" -ge 1 ] && grep -q "handshake failed for identity \"dev-1@gw1\": wrong key" "$T/gw.log"'
"$BIN" -c "$T/unknown.json" -p /status >/dev/null 2>&1
st=$(stats gw)
ktap_check "an unknown identity fails the handshake, logged and counted" \
	eval '[ "$(jq .dtls.unknown_identity <<<"$st")" -ge 1 ] && grep -q "unknown PSK identity \"nobody@gw1\"" "$T/gw.log"'

before=$(stats server)
"$PROBE" flood $SRV 3000 >/dev/null
sleep 0.3
after=$(stats server)
hvr=$(( $(jq .dtls.hello_verify <<<"$after") - $(jq .dtls.hello_verify <<<"$before") ))
echo "# flood: $hvr HelloVerifyRequests; peers $(jq .dtls.peers <<<"$after"), pooled contexts $(jq .dtls.contexts <<<"$after")"
ktap_check "3000 spoofed ClientHellos: cookies sent, no per-peer state kept" \
	eval '[ "$hvr" -ge 2900 ] && [ "$(jq .dtls.peers <<<"$after")" = 1 ] && [ "$(jq .dtls.contexts <<<"$after")" -le 3 ]'

# Membership change: dev-4 leaves; doors gets a new Gid and new keys.
old_gid=$(ctx dev-3 group:doors id_context)
server_conf dev-1 dev-2 dev-3
kill -HUP "${PID[server]}"
for ((i = 0; i < 100; i++)); do
	[ "$(ctx dev-3 group:doors epoch)" = 2 ] && [ "$(ctx gw group:doors epoch)" = 2 ] && break
	sleep 0.05
done
sleep 0.3
new_gid=$(ctx dev-3 group:doors id_context)
ktap_check "removing dev-4 rekeys doors: new Gid on dev-3 and the gateway, nothing for dev-4" \
	eval '[ "$new_gid" != "$old_gid" ] && group_same dev-3 && [ "$(ctx dev-4 group:doors id_context)" = "$old_gid" ] && [ "$(ctx gw group:doors "recipients | length")" = 1 ]'

# Server restart: the registry stays (same groups, members, Gids, Ks).
q() { sqlite3 "$T/registry.db" "$1"; }
REG="SELECT name, epoch, hex(gid) FROM groups ORDER BY name; SELECT id, hex(sid), hex(ks) FROM members ORDER BY id"
reg_before=$(q "$REG")
stop server
start server server
# The second "started" (the first is the old instance's): a signal that
# came before the new process blocks it would end it.
for ((i = 0; i < 400; i++)); do
	[ "$(grep -c ": started$" "$T/server.log")" -ge 2 ] && break
	sleep 0.05
done
st=$(stats server)
ktap_check "the server's registry survives its restart" \
	eval '[ "$(grep -c ": started$" "$T/server.log")" = 2 ] && [ -n "$reg_before" ] && [ "$reg_before" = "$(q "$REG")" ] && [ "$(jq .server.members <<<"$st")" = 3 ] && [ "$(grep -c "group .* created" "$T/server.log")" = 2 ]'

# Device restart: a fresh Rand (new Ks) and, since its sender sequence
# starts over, a new epoch for its group: no nonce is ever reused.
ks_before=$(ctx dev-1 pairwise:dev-1 sender_key_fp)
lights_before=$(ctx dev-1 group:lights id_context)
stop dev-1
: > "$T/dev-1.log"
start dev-1 dev-1
wait_log dev-1 "contexts installed" 20
ktap_check "a restarted device gets a fresh Ks, and its group a new Gid" \
	eval '[ -n "$(ctx dev-1 pairwise:dev-1 sender_key_fp)" ] && [ "$(ctx dev-1 pairwise:dev-1 sender_key_fp)" != "$ks_before" ] && [ "$(ctx dev-1 group:lights id_context)" != "$lights_before" ] && pairwise_same dev-1'

# A registry write that fails (a trigger refuses the Service Request's
# sequence number): the server rolls back, answers an error and sends no
# keys; once the registry takes writes again, the device gets its keys.
q "CREATE TRIGGER test_refuse_sr BEFORE UPDATE OF sr_seq ON members WHEN NEW.sr_seq >= 0 BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
REG2="SELECT epoch, hex(gid) FROM groups WHERE name = 'lights'; SELECT issued_epoch FROM members WHERE id = 'dev-2'"
reg_before=$(q "$REG2")
stop dev-2
: > "$T/dev-2.log"
start dev-2 dev-2
wait_log server 'service request of "dev-2": registry update failed; no keys sent' 10
refused=$?
sleep 0.5
ktap_check "a failed registry write: error answered, nothing committed, no keys sent" \
	eval '[ $refused = 0 ] && [ "$reg_before" = "$(q "$REG2")" ] && ! grep -q "contexts installed" "$T/dev-2.log" && grep -q "service request refused\|retrying" "$T/dev-2.log"'
q "DROP TRIGGER test_refuse_sr"
wait_log dev-2 "contexts installed" 20
for ((i = 0; i < 100; i++)); do group_same dev-2 && break; sleep 0.1; done
ktap_check "once the registry takes writes again, the device is keyed" group_same dev-2

# The gateway reloads its members on SIGHUP: one taken out cannot even
# complete a handshake (its credential is gone); put back, it can.
gw_members() {	# MEMBERS...
	local d m=""
	for d in "$@"; do m="$m${m:+,}{\"id\":\"$d\",\"identity\":\"$d@gw1\",\"key\":\"${KM[$d]}\"}"; done
	jq -c --argjson m "[$m]" '.members = $m' "$T/gw.json" > "$T/gw.json.new" && mv "$T/gw.json.new" "$T/gw.json"
}
gw_members dev-1 dev-2 dev-4
kill -HUP "${PID[gw]}"
wait_log gw "members reloaded: 3 (0 added, 1 removed)" 10
hup1=$?
"$BIN" -c "$T/dev-3.json" -p /status >/dev/null 2>&1
out=$?
gw_members $MEMBERS
kill -HUP "${PID[gw]}"
wait_log gw "members reloaded: 4 (1 added, 0 removed)" 10
hup2=$?
"$BIN" -c "$T/dev-3.json" -p /status >/dev/null 2>&1
back=$?
ktap_check "gateway SIGHUP: a member taken out is refused, put back it is served" \
	eval '[ $hup1 = 0 ] && [ $out != 0 ] && [ $hup2 = 0 ] && [ $back = 0 ] && kill -0 "${PID[gw]}"'

clean=1
for f in "$T"/*.log; do
	for k in $KG "${KX[@]}" "${KM[@]}"; do
		grep -q "$k" "$f" && { ksft_diag "key material in $(basename "$f")"; clean=0; }
	done
done
ktap_check "no key material in any agent's log" [ $clean = 1 ]
[ "$KSFT_FAIL" = 0 ] || { [ -n "${KEEP:-}" ] && ksft_diag "logs kept in $T"; }
ktap_finish
