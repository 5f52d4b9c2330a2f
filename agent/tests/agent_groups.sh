#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A member in several groups, on loopback, no VM: dev-1 is in "lights"
# and "doors" (members[].groups), dev-2 in lights, dev-3 in doors, one
# gateway.  Checks: dev-1's one join brings the keys of both groups (a
# sender ID in each), the gateway holds both contexts and verifies dev-1
# in each, dev-1 verifies the gateway in each; a rekey of lights (a
# member joins it, rekey_on_join) leaves doors' epoch alone and dev-1
# gets the new lights epoch; dev-1 taken out of doors rekeys doors only,
# dev-1 drops its doors keys and keeps lights (same epoch, same Ks),
# dev-3 gets the new doors epoch.  KTAP output.
set -u
BIN=${COAPSECD:-build/coapsecd}
T=$(mktemp -d /tmp/coapsecd-groups-XXXXXX)
BASE=$((20000 + RANDOM % 20000))
SRV=$BASE GW=$((BASE + 1))
declare -A PID
n=0 fails=0

cleanup() {
	for p in "${PID[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

ok() { n=$((n + 1)); echo "ok $n $1"; }
nok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n $1"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else nok "$d"; fi; }

start() {	# NAME
	"$BIN" -c "$T/$1.json" 2>>"$T/$1.log" &
	PID[$1]=$!
}
wait_log() {	# NAME TEXT SECONDS
	local i
	for ((i = 0; i < $3 * 20; i++)); do
		grep -q -- "$2" "$T/$1.log" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}
key() { head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
ctx() {	# FILE NAME FIELD
	jq -r --arg n "$2" ".contexts[] | select(.name==\$n) | .$3" "$T/$1.ctx" 2>/dev/null
}
q() { sqlite3 "$T/registry.db" "$1"; }
epoch() { q "SELECT epoch FROM groups WHERE name = '$1'"; }
wait_ctx() {	# FILE NAME FIELD VALUE SECONDS
	local i
	for ((i = 0; i < $5 * 20; i++)); do
		[ "$(ctx "$1" "$2" "$3")" = "$4" ] && return 0
		sleep 0.05
	done
	return 1
}
# Whether MEMBER verifies the gateway in GROUP, and the gateway MEMBER:
# each one's sender key is the other's recipient key under its ID.
verifies() {	# MEMBER GROUP
	local d=$1 c="group:$2" gs ds
	gs=$(ctx gw "$c" sender_id)
	ds=$(ctx "$d" "$c" sender_id)
	[ -n "$gs" ] && [ -n "$ds" ] &&
	[ "$(ctx "$d" "$c" id_context)" = "$(ctx gw "$c" id_context)" ] &&
	[ "$(ctx "$d" "$c" "recipients[] | select(.id==\"$gs\") | .key_fp")" = "$(ctx gw "$c" sender_key_fp)" ] &&
	[ "$(ctx gw "$c" "recipients[] | select(.id==\"$ds\") | .key_fp")" = "$(ctx "$d" "$c" sender_key_fp)" ]
}

umask 077
KG=$(key)
MEMBERS="dev-1 dev-2 dev-3"
declare -A KX KM
for d in $MEMBERS dev-4; do KX[$d]=$(key); KM[$d]=$(key); done

srv_conf() {	# DEV-1'S GROUPS (JSON array) [EXTRA MEMBER JSON]
	printf '%s\n' "{\"role\":\"server\",\"id\":\"in-cse\",\"listen\":\"127.0.0.1:$SRV\"," \
		"\"db\":\"$T/registry.db\",\"grace_s\":5,\"rekey_on_join\":true," \
		"\"gateways\":[{\"id\":\"gw1\",\"identity\":\"gw1@in-cse\",\"key\":\"$KG\"}]," \
		"\"groups\":[{\"name\":\"lights\"},{\"name\":\"doors\"}],\"members\":[" \
		"{\"id\":\"dev-1\",\"groups\":$1,\"identity\":\"dev-1@in-cse\",\"key\":\"${KX[dev-1]}\"}," \
		"{\"id\":\"dev-2\",\"group\":\"lights\",\"identity\":\"dev-2@in-cse\",\"key\":\"${KX[dev-2]}\"}," \
		"{\"id\":\"dev-3\",\"group\":\"doors\",\"identity\":\"dev-3@in-cse\",\"key\":\"${KX[dev-3]}\"}${2:-}]}" \
		> "$T/server.json"
}
srv_conf '["lights","doors"]'
gm=""
for d in $MEMBERS; do gm="$gm${gm:+,}{\"id\":\"$d\",\"identity\":\"$d@gw1\",\"key\":\"${KM[$d]}\"}"; done
printf '%s\n' "{\"role\":\"gateway\",\"id\":\"gw1\",\"listen\":\"127.0.0.1:$GW\",\"contexts_file\":\"$T/gw.ctx\"," \
	"\"server\":{\"address\":\"127.0.0.1:$SRV\",\"identity\":\"gw1@in-cse\",\"key\":\"$KG\"}," \
	"\"members\":[$gm]}" > "$T/gw.json"
for d in $MEMBERS; do
	printf '%s\n' "{\"role\":\"device\",\"id\":\"$d\",\"contexts_file\":\"$T/$d.ctx\"," \
		"\"gateway\":{\"address\":\"127.0.0.1:$GW\",\"id\":\"gw1\",\"identity\":\"$d@gw1\",\"key\":\"${KM[$d]}\"}," \
		"\"server_credential\":{\"identity\":\"$d@in-cse\",\"key\":\"${KX[$d]}\"}}" > "$T/$d.json"
done

echo "TAP version 13"
echo "1..6"

start server
wait_log server "started" 20
start gw
for d in $MEMBERS; do start $d; done
all=1
for d in $MEMBERS; do wait_log $d "contexts installed" 15 || all=0; done
wait_log gw "contexts installed" 5 || all=0
# dev-1 joined once and holds both groups, with a sender ID in each
[ "$(grep -c 'Ks derived' "$T/dev-1.log")" = 1 ] || all=0
for g in lights doors; do [ -n "$(ctx dev-1 group:$g sender_id)" ] || all=0; done
[ "$(q "SELECT count(*) FROM memberships WHERE member = 'dev-1'")" = 2 ] || all=0
check "dev-1 in two groups: one join, the keys of both, a sender ID in each" [ $all = 1 ]

all=1
for p in "dev-1 lights" "dev-1 doors" "dev-2 lights" "dev-3 doors"; do
	# shellcheck disable=SC2086
	verifies $p || { all=0; echo "# $p: not verified both ways"; }
done
[ "$(ctx dev-1 group:doors sender_id)" != "$(ctx dev-3 group:doors sender_id)" ] || all=0
[ "$(ctx dev-1 group:lights sender_id)" != "$(ctx dev-2 group:lights sender_id)" ] || all=0
check "the gateway and dev-1 verify each other in lights and in doors" [ $all = 1 ]

# ---- a rekey of lights (dev-4 joins it: rekey_on_join) leaves doors alone
l0=$(epoch lights) d0=$(epoch doors)
ks0=$(q "SELECT hex(ks) FROM members WHERE id = 'dev-1'")
srv_conf '["lights","doors"]' ",{\"id\":\"dev-4\",\"group\":\"lights\",\"identity\":\"dev-4@in-cse\",\"key\":\"${KX[dev-4]}\"}"
kill -HUP "${PID[server]}"
all=1
wait_log server "dev-4 joined group lights" 5 || all=0
wait_ctx dev-1 group:lights epoch $((l0 + 1)) 15 || all=0
wait_ctx dev-2 group:lights epoch $((l0 + 1)) 5 || all=0
wait_ctx gw group:lights epoch $((l0 + 1)) 10 || all=0
[ "$(epoch doors)" = "$d0" ] && [ "$(ctx dev-1 group:doors epoch)" = "$d0" ] &&
	[ "$(ctx gw group:doors epoch)" = "$d0" ] || { all=0; echo "# doors: registry $(epoch doors), dev-1 $(ctx dev-1 group:doors epoch), gw $(ctx gw group:doors epoch); was $d0"; }
check "rekey of lights: dev-1, dev-2 and the gateway at the new epoch; doors untouched" [ $all = 1 ]
check "dev-1 verifies the gateway in both groups after the lights rekey" \
	eval 'verifies dev-1 lights && verifies dev-1 doors'

# ---- dev-1 leaves doors: doors is rekeyed, lights is not
l1=$(epoch lights)
lsid=$(ctx dev-1 group:lights sender_id)
srv_conf '["lights"]' ",{\"id\":\"dev-4\",\"group\":\"lights\",\"identity\":\"dev-4@in-cse\",\"key\":\"${KX[dev-4]}\"}"
kill -HUP "${PID[server]}"
all=1
wait_log server "member dev-1 left group doors" 5 || all=0
wait_ctx dev-3 group:doors epoch $((d0 + 1)) 15 || all=0
wait_ctx gw group:doors epoch $((d0 + 1)) 10 || all=0
wait_log dev-1 "no longer in group doors" 15 || all=0
[ -z "$(ctx dev-1 group:doors epoch)" ] || all=0
[ "$(q "SELECT count(*) FROM memberships WHERE member = 'dev-1' AND grp = 'doors'")" = 0 ] || all=0
[ $all = 1 ] || echo "# doors: registry $(epoch doors), dev-3 $(ctx dev-3 group:doors epoch), gw $(ctx gw group:doors epoch), dev-1 $(ctx dev-1 group:doors epoch)"
check "dev-1 out of doors: doors rekeyed for dev-3 and the gateway, dev-1 dropped its doors keys" [ $all = 1 ]
all=1
[ "$(epoch lights)" = "$l1" ] && [ "$(ctx dev-1 group:lights epoch)" = "$l1" ] || all=0
[ "$(ctx dev-1 group:lights sender_id)" = "$lsid" ] || all=0
[ "$(q "SELECT hex(ks) FROM members WHERE id = 'dev-1'")" = "$ks0" ] || all=0
verifies dev-1 lights || all=0
check "dev-1 keeps lights: same epoch, sender ID and Ks, verified both ways" [ $all = 1 ]

if [ $fails != 0 ]; then
	for f in "$T"/*.log; do echo "# --- $f"; grep -v " stats " "$f" | tail -15 | sed 's/^/# /'; done
fi
echo "# Totals: pass:$((n - fails)) fail:$fails"
[ $fails = 0 ]
