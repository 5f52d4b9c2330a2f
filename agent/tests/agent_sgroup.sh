#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Signed groups, the server as Group Manager, on loopback, no VM, no
# kernel: "doors" is signed (Group OSCORE group mode), "lights" is group
# authentication.  dev-1 (a sender: "sends": true) and dev-2 are in doors,
# dev-3 in lights; one gateway.  Checks: each registers its credential
# (gateway over its session, devices in the Service Request under Ksx),
# the registry keeps them, and each gets the credentials it verifies
# with (devices: the gateway's and dev-1's; the gateway: dev-1's) with
# the keying material, the same Gid everywhere; lights stays in the
# in-kernel mode; dev-1 removed from doors: doors is rekeyed and dev-1's
# credential is gone from the registry and from what the others hold;
# configuration errors name file, field and expectation.  KTAP output.
set -u
BIN=${COAPSECD:-build/coapsecd}
T=$(mktemp -d /tmp/coapsecd-sgroup-XXXXXX)
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
# sg NAME GROUP FIELD: FIELD of GROUP in NAME's signed group state
sg() { stats "$1" | jq -r --arg g "$2" ".sgroup.groups[] | select(.name == \$g) | .$3"; }
key() { head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
q() { sqlite3 "$T/registry.db" "$1"; }
ctx() {	# FILE NAME FIELD
	jq -r --arg n "$2" ".contexts[] | select(.name==\$n) | .$3" "$T/$1.ctx" 2>/dev/null
}

umask 077
KG=$(key)
MEMBERS="dev-1 dev-2 dev-3"
declare -A KX KM GRP=([dev-1]=doors [dev-2]=doors [dev-3]=lights)
declare -A CRED
for d in $MEMBERS; do KX[$d]=$(key); KM[$d]=$(key); done
for x in gw1 $MEMBERS; do
	CRED[$x]=$("$BIN" --genkey "$T/$x.sk" --subject "$x") || exit 1
done

srv_conf() {	# MEMBERS...
	local m="" sep="" d s
	for d in "$@"; do
		s=""; [ "$d" = dev-1 ] && s=',"sends":true'
		m="$m$sep{\"id\":\"$d\",\"group\":\"${GRP[$d]}\",\"identity\":\"$d@in-cse\",\"key\":\"${KX[$d]}\"$s}"
		sep=,
	done
	printf '%s\n' "{\"role\":\"server\",\"id\":\"in-cse\",\"listen\":\"127.0.0.1:$SRV\"," \
		"\"db\":\"$T/registry.db\",\"grace_s\":5," \
		"\"gateways\":[{\"id\":\"gw1\",\"identity\":\"gw1@in-cse\",\"key\":\"$KG\"}]," \
		"\"groups\":[{\"name\":\"doors\",\"mode\":\"signed\"},{\"name\":\"lights\"}]," \
		"\"members\":[$m]}" > "$T/server.json.new"
	mv "$T/server.json.new" "$T/server.json"
}
signing() {	# NAME
	echo "\"group_signing\":{\"key_file\":\"$T/$1.sk\",\"state_file\":\"$T/$1.sgstate\",\"queue_num\":3},"
}
srv_conf $MEMBERS
gm=""
for d in $MEMBERS; do gm="$gm${gm:+,}{\"id\":\"$d\",\"identity\":\"$d@gw1\",\"key\":\"${KM[$d]}\"}"; done
printf '%s\n' "{\"role\":\"gateway\",\"id\":\"gw1\",\"listen\":\"127.0.0.1:$GW\",\"contexts_file\":\"$T/gw.ctx\"," \
	"$(signing gw1)" \
	"\"server\":{\"address\":\"127.0.0.1:$SRV\",\"identity\":\"gw1@in-cse\",\"key\":\"$KG\"}," \
	"\"members\":[$gm]}" > "$T/gw.json"
for d in $MEMBERS; do
	printf '%s\n' "{\"role\":\"device\",\"id\":\"$d\",\"contexts_file\":\"$T/$d.ctx\"," \
		"$(signing $d)" \
		"\"gateway\":{\"address\":\"127.0.0.1:$GW\",\"id\":\"gw1\",\"identity\":\"$d@gw1\",\"key\":\"${KM[$d]}\"}," \
		"\"server_credential\":{\"identity\":\"$d@in-cse\",\"key\":\"${KX[$d]}\"}}" > "$T/$d.json"
done

echo "TAP version 13"
echo "1..7"

start server
wait_log server "started" 20
start gw
for d in $MEMBERS; do start $d; done
all=1
for d in $MEMBERS gw; do wait_log $d "contexts installed" 20 || { all=0; echo "# $d: no contexts"; }; done
[ "$(ctx gw group:doors mode)" = signed ] || all=0
[ "$(ctx dev-1 group:doors mode)" = signed ] || all=0
[ "$(ctx dev-2 group:doors mode)" = signed ] || all=0
[ "$(ctx gw group:lights mode)" = null ] || all=0
[ "$(ctx dev-3 group:lights mode)" = null ] || all=0
check "doors is signed at the gateway and its members, lights is not" [ $all = 1 ]

# The registry holds the credential each registered, as --credential prints it.
all=1
for x in gw1 dev-1 dev-2; do
	h=gateway:gw1; [ "$x" = gw1 ] || h="member:$x"
	got=$(q "SELECT lower(hex(ccs)) FROM credentials WHERE holder = '$h'")
	[ "$got" = "${CRED[$x]}" ] || { all=0; echo "# $h: registry holds '$got'"; }
done
check "gateway and members registered their credentials (the registry holds each one's CCS)" [ $all = 1 ]

# Settle: the registrations rekeyed doors; wait until everyone holds the
# registry's current Gid.
gid=""
for ((i = 0; i < 100; i++)); do
	gid=$(q "SELECT lower(hex(gid)) FROM groups WHERE name = 'doors'")
	[ "$(sg gw doors gid)" = "$gid" ] && [ "$(sg dev-1 doors gid)" = "$gid" ] &&
		[ "$(sg dev-2 doors gid)" = "$gid" ] && break
	sleep 0.2
done
all=1
for x in gw dev-1 dev-2; do [ "$(sg $x doors gid)" = "$gid" ] || { all=0; echo "# $x: Gid $(sg $x doors gid), registry $gid"; }; done
check "gateway and members hold doors' current Gid ($gid) in their signed state" [ $all = 1 ]

# Who verifies whom: dev-2 the gateway and dev-1 (which sends); dev-1
# the gateway; the gateway dev-1.
all=1
[ "$(sg dev-2 doors senders)" = 2 ] || { all=0; echo "# dev-2 verifies $(sg dev-2 doors senders) senders"; }
[ "$(sg dev-1 doors senders)" = 1 ] || { all=0; echo "# dev-1 verifies $(sg dev-1 doors senders) senders"; }
[ "$(sg gw doors senders)" = 1 ] || { all=0; echo "# gw verifies $(sg gw doors senders) senders"; }
[ -z "$(sg dev-3 doors senders)" ] || all=0
check "credentials distributed with the keys: devices get the gateway's and the sender's, the gateway the sender's" [ $all = 1 ]

# dev-1 leaves doors: a rekey, and its credential is gone.
e0=$(q "SELECT epoch FROM groups WHERE name = 'doors'")
srv_conf dev-2 dev-3
kill -HUP "${PID[server]}"
for ((i = 0; i < 100; i++)); do
	e1=$(q "SELECT epoch FROM groups WHERE name = 'doors'")
	[ "$e1" != "$e0" ] && [ "$(sg gw doors epoch)" = "$e1" ] &&
		[ "$(sg dev-2 doors epoch)" = "$e1" ] && break
	sleep 0.2
done
all=1
[ "$e1" -gt "$e0" ] || { all=0; echo "# doors epoch $e0 -> $e1"; }
[ "$(q "SELECT count(*) FROM credentials WHERE holder = 'member:dev-1'")" = 0 ] || { all=0; echo "# dev-1's credential still in the registry"; }
[ "$(sg gw doors senders)" = 0 ] || { all=0; echo "# gw still verifies $(sg gw doors senders)"; }
[ "$(sg dev-2 doors senders)" = 1 ] || { all=0; echo "# dev-2 verifies $(sg dev-2 doors senders)"; }
check "dev-1 removed: doors rekeyed (epoch $e0 -> $e1), its credential gone from the registry and from the others" [ $all = 1 ]

# No key material in any log; the credentials' private keys neither.
leak=0
for f in "$T"/*.log; do
	for x in "${KX[@]}" "${KM[@]}" "$KG"; do grep -qi "$x" "$f" && leak=1; done
done
check "no key material in any agent's log" [ $leak = 0 ]

# Configuration errors name the file, the field and what is expected.
all=1
sed 's/"mode":"signed"/"mode":"sign"/' "$T/server.json" > "$T/bad1.json"
out=$("$BIN" -c "$T/bad1.json" -t 2>&1)
echo "$out" | grep -q "bad1.json: groups\[0\].mode: expected \"auth\"" || { all=0; echo "# $out"; }
sed 's/"mode":"signed"}/"mode":"signed","signature_alg":"RS256"}/' "$T/server.json" > "$T/bad2.json"
out=$("$BIN" -c "$T/bad2.json" -t 2>&1)
echo "$out" | grep -q "bad2.json: groups\[0\].signature_alg: expected \"ES256\" or \"EdDSA\"" || { all=0; echo "# $out"; }
chmod 0644 "$T/dev-2.sk"
out=$("$BIN" -c "$T/dev-2.json" -t 2>&1)
echo "$out" | grep -q "dev-2.json: group_signing.key_file: .*mode 0600" || { all=0; echo "# $out"; }
chmod 0600 "$T/dev-2.sk"
sed 's/"queue_num":3/"queue_num":70000/' "$T/dev-2.json" > "$T/bad3.json"
out=$("$BIN" -c "$T/bad3.json" -t 2>&1)
echo "$out" | grep -q "bad3.json: group_signing.queue_num: expected an integer in 0..65535" || { all=0; echo "# $out"; }
sed 's/"group_signing":{[^}]*},//' "$T/dev-2.json" |
	sed 's/"server_credential"/"policies":[{"direction":"in","dst":"224.0.1.187\/32","action":"queue"}],"server_credential"/' > "$T/bad4.json"
out=$("$BIN" -c "$T/bad4.json" -t 2>&1)
echo "$out" | grep -q "bad4.json: policies\[0\].action: expected \"queue\" only with \"group_signing\"" || { all=0; echo "# $out"; }
check "configuration errors name file, field and expectation" [ $all = 1 ]

[ $fails = 0 ] || for f in "$T"/*.log; do echo "# --- $f"; tail -15 "$f" | sed 's/^/# /'; done
echo "# Totals: pass:$((n - fails)) fail:$fails"
[ $fails = 0 ]
