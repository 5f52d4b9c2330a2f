#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Two coapsecd server instances share one registry in PostgreSQL (a
# throwaway cluster, agent/tests/pg_cluster.sh); one gateway names the
# first as its server and the second in fallback_addresses.  Both servers
# start at once on the empty registry; three devices are keyed through
# the first; the first is killed (kill -9); the gateway fails over to the
# second at its next unanswered request, and the members keep working
# through it: a restarted device is keyed, the whole group follows its new
# epoch, and a membership change made on the second server reaches them.
# Then both serve at once: a rekey made on the first reaches the gateway
# through the second.
# Loopback, no VM, no kernel (contexts_file only).  KTAP output; skipped
# when PostgreSQL's server binaries are not installed.
set -u
BIN=${COAPSECD:-build/coapsecd}
PGC=agent/tests/pg_cluster.sh
T=$(mktemp -d /tmp/coapsecd-failover-XXXXXX)
BASE=$((20000 + RANDOM % 20000))
SA=$BASE SB=$((BASE + 1)) GW=$((BASE + 2))
declare -A PID
n=0 fails=0

cleanup() {
	for p in "${PID[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	"$PGC" stop "$T/pg" 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

ok() { n=$((n + 1)); echo "ok $n $1"; }
nok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n $1"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else nok "$d"; fi; }

start() {	# NAME CONFIG
	"$BIN" -c "$T/$2.json" 2>>"$T/$1.log" &
	PID[$1]=$!
}
stop() { kill "${PID[$1]}" 2>/dev/null; wait "${PID[$1]}" 2>/dev/null; unset "PID[$1]"; }
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
# One side's sender key is the other's recipient key.
pairwise_same() {	# DEVICE SERVER
	local d=$1 s=$2 n="pairwise:$1"
	[ -n "$(ctx $d $n sender_key_fp)" ] &&
	[ "$(ctx $d $n id_context) $(ctx $d $n common_iv_fp) $(ctx $d $n sender_key_fp) $(ctx $d $n 'recipients[0].key_fp')" = \
	  "$(ctx $s $n id_context) $(ctx $s $n common_iv_fp) $(ctx $s $n 'recipients[0].key_fp') $(ctx $s $n sender_key_fp)" ]
}
group_same() {	# DEVICE
	local d=$1 n="group:lights" sid
	sid=$(ctx $d $n sender_id)
	[ -n "$sid" ] &&
	[ "$(ctx $d $n id_context) $(ctx $d $n common_iv_fp) $(ctx $d $n sender_key_fp) $(ctx $d $n 'recipients[0].key_fp') $(ctx $d $n epoch)" = \
	  "$(ctx gw $n id_context) $(ctx gw $n common_iv_fp) $(ctx gw $n "recipients[] | select(.id==\"$sid\") | .key_fp") $(ctx gw $n sender_key_fp) $(ctx gw $n epoch)" ]
}
# Every device in $1.. holds the gateway's current epoch of lights.
all_follow() {
	local d
	for d in "$@"; do group_same $d || return 1; done
}
wait_follow() {	# SECONDS EPOCH DEVICE...
	local i s=$1 e=$2
	shift 2
	for ((i = 0; i < s * 10; i++)); do
		[ "$(ctx gw group:lights epoch)" = "$e" ] && all_follow "$@" && return 0
		sleep 0.1
	done
	return 1
}

echo "TAP version 13"
if ! CONN=$("$PGC" start "$T/pg" 2>"$T/pg.err"); then
	if grep -q "no PostgreSQL server binaries" "$T/pg.err"; then
		echo "1..0 # SKIP PostgreSQL server binaries (initdb, pg_ctl) are not installed"
		exit 0
	fi
	echo "1..1"
	sed 's/^/# /' "$T/pg.err"
	echo "not ok 1 a PostgreSQL cluster for the test"
	exit 1
fi
echo "1..8"
q() { psql -X -q -A -t -d "$CONN" -c "$1" 2>>"$T/psql.log"; }

umask 077
KG=$(key)
# The servers' connection string carries a password (the cluster trusts
# local connections and ignores it): it must appear in no log.
PW=pw$(key)
declare -A KX KM
MEMBERS="dev-1 dev-2 dev-3"
for d in $MEMBERS; do KX[$d]=$(key); KM[$d]=$(key); done

server_conf() {	# NAME PORT MEMBERS...
	local name=$1 port=$2 sep="" d m=""
	shift 2
	for d in "$@"; do
		m="$m$sep{\"id\":\"$d\",\"group\":\"lights\",\"identity\":\"$d@in-cse\",\"key\":\"${KX[$d]}\"}"
		sep=,
	done
	printf '%s\n' "{\"role\":\"server\",\"id\":\"in-cse\",\"listen\":\"127.0.0.1:$port\"," \
		"\"registry\":{\"backend\":\"postgresql\",\"conninfo\":\"$CONN password=$PW\"}," \
		"\"contexts_file\":\"$T/$name.ctx\",\"grace_s\":5," \
		"\"gateways\":[{\"id\":\"gw1\",\"identity\":\"gw1@in-cse\",\"key\":\"$KG\"}]," \
		"\"groups\":[{\"name\":\"lights\"}],\"members\":[$m]}" > "$T/$name.json.new"
	mv "$T/$name.json.new" "$T/$name.json"
}
server_conf srv-a $SA $MEMBERS
server_conf srv-b $SB $MEMBERS
gm=""
for d in $MEMBERS; do gm="$gm${gm:+,}{\"id\":\"$d\",\"identity\":\"$d@gw1\",\"key\":\"${KM[$d]}\"}"; done
printf '%s\n' "{\"role\":\"gateway\",\"id\":\"gw1\",\"listen\":\"127.0.0.1:$GW\",\"contexts_file\":\"$T/gw.ctx\"," \
	"\"handshake_timeout_ms\":2000," \
	"\"server\":{\"address\":\"127.0.0.1:$SA\",\"fallback_addresses\":[\"127.0.0.1:$SB\"]," \
	"\"identity\":\"gw1@in-cse\",\"key\":\"$KG\"},\"members\":[$gm]}" > "$T/gw.json"
for d in $MEMBERS; do
	printf '%s\n' "{\"role\":\"device\",\"id\":\"$d\",\"contexts_file\":\"$T/$d.ctx\"," \
		"\"gateway\":{\"address\":\"127.0.0.1:$GW\",\"identity\":\"$d@gw1\",\"key\":\"${KM[$d]}\"}," \
		"\"server_credential\":{\"identity\":\"$d@in-cse\",\"key\":\"${KX[$d]}\"}}" > "$T/$d.json"
done

# Both instances sync the same configuration into the empty registry at
# once: one creates the group and the members, the other finds them.
start srv-a srv-a
start srv-b srv-b
up=1
wait_log srv-a ": started$" 20 || up=0
wait_log srv-b ": started$" 20 || up=0
created=$(cat "$T/srv-a.log" "$T/srv-b.log" | grep -c "group lights created")
check "two server instances start at once on one empty PostgreSQL registry" \
	eval '[ $up = 1 ] && [ "$created" = 1 ] && [ "$(q "SELECT count(*), count(DISTINCT sid) FROM memberships")" = "3|3" ] && grep -q "registry postgresql: .*host=$T/pg " "$T/srv-b.log"'

start gw gw
for d in $MEMBERS; do start $d $d; done
all=1
for d in $MEMBERS; do wait_log $d "contexts installed" 20 || all=0; done
wait_log gw "contexts installed" 5 || all=0
check "three devices keyed through the first server" \
	eval '[ $all = 1 ] && all_follow $MEMBERS && pairwise_same dev-1 srv-a && grep -q "gateway gw1 authenticated" "$T/srv-a.log" && ! grep -q "gateway gw1 authenticated" "$T/srv-b.log"'

# The first server dies.  dev-3 restarts: the gateway's report gets no
# answer, the gateway moves its session to the second server, and dev-3
# is keyed through it: a fresh Ks (pairwise context on the second server)
# and, since its sender sequence started over, a new epoch for lights.
epoch1=$(ctx gw group:lights epoch)
disown "${PID[srv-a]}"	# no "Killed" line from the shell
kill -9 "${PID[srv-a]}"
while kill -0 "${PID[srv-a]}" 2>/dev/null && ! grep -q Z "/proc/${PID[srv-a]}/stat" 2>/dev/null; do
	sleep 0.05
done
unset "PID[srv-a]"
stop dev-3
: > "$T/dev-3.log"
start dev-3 dev-3
wait_log dev-3 "contexts installed" 90
keyed=$?
check "after the first server dies, the gateway fails over and a restarted device is keyed through the second" \
	eval '[ $keyed = 0 ] && grep -q "trying 127.0.0.1:$SB next" "$T/gw.log" && grep -q "gateway gw1 authenticated 1 member" "$T/srv-b.log" && pairwise_same dev-3 srv-b'

# The members that never restarted follow the new epoch through the
# second server; the gateway kept their sessions and its contexts.
wait_follow 30 $((epoch1 + 1)) $MEMBERS
check "every member follows the group's new epoch, served by the second server" \
	eval '[ "$(ctx gw group:lights epoch)" = $((epoch1 + 1)) ] && all_follow $MEMBERS && [ "$(q "SELECT epoch FROM groups WHERE name = '"'lights'"'")" = $((epoch1 + 1)) ]'

# A membership change on the second server: dev-2 leaves, lights is
# rekeyed, the gateway and the remaining members follow.
old_gid=$(ctx dev-1 group:lights id_context)
server_conf srv-b $SB dev-1 dev-3
kill -HUP "${PID[srv-b]}"
wait_follow 30 $((epoch1 + 2)) dev-1 dev-3
check "a membership change on the second server reaches the gateway and the members" \
	eval '[ "$(ctx gw group:lights epoch)" = $((epoch1 + 2)) ] && all_follow dev-1 dev-3 && [ "$(ctx dev-1 group:lights id_context)" != "$old_gid" ] && [ "$(ctx dev-2 group:lights epoch)" = $((epoch1 + 1)) ] && [ "$(ctx gw group:lights "recipients | length")" = 2 ]'

# The first server comes back on the shared registry, with the same
# configuration as the second (instances must share it): it finds what
# the second changed (no group created, dev-2 gone).
server_conf srv-a $SA dev-1 dev-3
: > "$T/srv-a.log"
start srv-a srv-a
wait_log srv-a ": started$" 20
sleep 0.5
check "the first server restarts on the registry the second kept" \
	eval 'grep -q ": started$" "$T/srv-a.log" && [ "$(grep -c "group lights created" "$T/srv-a.log")" = 0 ] && [ "$(grep -c "registry postgresql: .*: 2 member(s)" "$T/srv-a.log")" = 1 ] && [ "$(grep -c "rekeyed" "$T/srv-a.log")" = 0 ]'

# Both instances serve at once: the gateway stays on the second while a
# membership change is reloaded on the first (dev-3 leaves).  The second
# reads the new epoch from the registry and tells its gateway; reloading
# the second afterwards changes nothing more.
epoch2=$(ctx gw group:lights epoch)
server_conf srv-a $SA dev-1
server_conf srv-b $SB dev-1
kill -HUP "${PID[srv-a]}"
wait_follow 30 $((epoch2 + 1)) dev-1
kill -HUP "${PID[srv-b]}"
sleep 1.5
check "a rekey made by the first server reaches the gateway through the second" \
	eval '[ "$(ctx gw group:lights epoch)" = $((epoch2 + 1)) ] && all_follow dev-1 && grep -q "group lights is at epoch $((epoch2 + 1)) (another instance rekeyed it)" "$T/srv-b.log" && [ "$(ctx gw group:lights "recipients | length")" = 1 ] && [ "$(q "SELECT epoch FROM groups WHERE name = '"'lights'"'")" = $((epoch2 + 1)) ]'

leak=0
for f in "$T"/*.log; do
	for k in $KG $PW "${KX[@]}" "${KM[@]}"; do
		grep -q "$k" "$f" && { echo "# secret in $(basename "$f")"; leak=1; }
	done
done
check "no key and no database password in any log" [ $leak = 0 ]

[ $fails = 0 ] || { [ -n "${KEEP:-}" ] && echo "# logs kept in $T"; }
echo "# Totals: pass:$((n - fails)) fail:$fails"
[ $fails = 0 ]
