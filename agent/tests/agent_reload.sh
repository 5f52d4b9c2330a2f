#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The server's SIGHUP and restart on loopback, no VM: a member whose
# credential is rotated loses its pairwise context at once; a reload the
# registry cannot take (another process holds its lock) changes nothing,
# says so, and is applied once the lock goes; a member spelt in a
# non-NFKC form keeps its pairwise context across a restart.  KTAP.
set -u
. selftests/lib.sh
. selftests/lib/agent.sh
BIN=${COAPSECD:-build/coapsecd}
T=$(mktemp -d /tmp/coapsecd-reload-XXXXXX)
BASE=$((20000 + RANDOM % 20000))
SRV=$BASE GW=$((BASE + 1))
declare -A PID
LOCKPID=""

cleanup() {
	[ -n "$LOCKPID" ] && kill "$LOCKPID" 2>/dev/null
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
q() { sqlite3 "$T/registry.db" "$1"; }

umask 077
KG=$(key)
declare -A KX KM SID
MEMBERS="dev-1 dev-2 dev-3"
for d in $MEMBERS; do KX[$d]=$(key); KM[$d]=$(key); SID[$d]="$d@in-cse"; done
# dev-3 is spelt in fullwidth letters in the server's file: NFKC "dev-3"
declare -A SPELL=([dev-1]=dev-1 [dev-2]=dev-2 [dev-3]=ｄｅｖ-3)

server_conf() {	# MEMBERS...
	local sep="" d m=""
	for d in "$@"; do
		m="$m$sep{\"id\":\"${SPELL[$d]}\",\"group\":\"lights\",\"identity\":\"${SID[$d]}\",\"key\":\"${KX[$d]}\"}"
		sep=,
	done
	printf '%s\n' "{\"role\":\"server\",\"id\":\"in-cse\",\"listen\":\"127.0.0.1:$SRV\"," \
		"\"db\":\"$T/registry.db\",\"contexts_file\":\"$T/server.ctx\",\"grace_s\":5," \
		"\"gateways\":[{\"id\":\"gw1\",\"identity\":\"gw1@in-cse\",\"key\":\"$KG\"}]," \
		"\"groups\":[{\"name\":\"lights\"}],\"members\":[$m]}" > "$T/server.json.new"
	mv "$T/server.json.new" "$T/server.json"
}
device_conf() {	# MEMBER
	printf '%s\n' "{\"role\":\"device\",\"id\":\"$1\",\"contexts_file\":\"$T/$1.ctx\"," \
		"\"gateway\":{\"address\":\"127.0.0.1:$GW\",\"identity\":\"$1@gw1\",\"key\":\"${KM[$1]}\"}," \
		"\"server_credential\":{\"identity\":\"${SID[$1]}\",\"key\":\"${KX[$1]}\"}}" > "$T/$1.json"
}
server_conf $MEMBERS
gm=""
for d in $MEMBERS; do gm="$gm${gm:+,}{\"id\":\"$d\",\"identity\":\"$d@gw1\",\"key\":\"${KM[$d]}\"}"; done
printf '%s\n' "{\"role\":\"gateway\",\"id\":\"gw1\",\"listen\":\"127.0.0.1:$GW\",\"contexts_file\":\"$T/gw.ctx\"," \
	"\"server\":{\"address\":\"127.0.0.1:$SRV\",\"identity\":\"gw1@in-cse\",\"key\":\"$KG\"}," \
	"\"members\":[$gm]}" > "$T/gw.json"
for d in $MEMBERS; do device_conf $d; done

# Identical pairwise contexts on the device and the server.
pairwise_same() {
	local d=$1 n="pairwise:$1"
	[ -n "$(ctx $d $n sender_key_fp)" ] &&
	[ "$(ctx $d $n id_context) $(ctx $d $n common_iv_fp) $(ctx $d $n sender_key_fp) $(ctx $d $n 'recipients[0].key_fp')" = \
	  "$(ctx server $n id_context) $(ctx server $n common_iv_fp) $(ctx server $n 'recipients[0].key_fp') $(ctx server $n sender_key_fp)" ]
}
# NAME's log lines after line N that match TEXT.
since() { tail -n +$(($2 + 1)) "$T/$1.log" | grep -c -- "$3"; }

ktap_header 6

start server server
wait_log server "started" 20
start gw gw
for d in $MEMBERS; do start $d $d; done
all=1
for d in $MEMBERS; do wait_log $d "contexts installed" 15 || all=0; done
sleep 0.3
for d in dev-1 dev-2; do pairwise_same $d || { all=0; ksft_diag "$d: pairwise contexts differ"; }; done
ktap_check "three devices keyed, one of them spelt in fullwidth on the server" [ $all = 1 ]

# (3) dev-1's Kpsaxi is rotated (compromised): a new identity and key.
# Its old Ks must go from the server's kernel at once.  The device is
# off meanwhile (it would join again under the new Ks).
old_fp=$(ctx server pairwise:dev-1 sender_key_fp)
stop dev-1
SID[dev-1]=dev-1-rotated@in-cse KX[dev-1]=$(key)
server_conf $MEMBERS
n=$(wc -l < "$T/server.log")
kill -HUP "${PID[server]}"
wait_log server "member dev-1 removed or its credential" 5
for ((i = 0; i < 40; i++)); do [ "$(since server $n 'configuration reloaded')" -ge 1 ] && break; sleep 0.05; done
sleep 0.3
row=$(q "SELECT ksid, ks IS NULL FROM members WHERE id = 'dev-1'")
ktap_check "a rotated credential: the old Ks's pairwise context is gone at once" \
	eval '[ -n "$old_fp" ] && [ -z "$(ctx server pairwise:dev-1 sender_key_fp)" ] && [ "$row" = "dev-1-rotated@in-cse|1" ]'
[ -n "$(ctx server pairwise:dev-1 sender_key_fp)" ] && ksft_diag "server still holds pairwise:dev-1 ($(ctx server pairwise:dev-1 sender_key_fp), was $old_fp); registry: $row"
# The device with its new credential is keyed under a new Ks.
device_conf dev-1
: > "$T/dev-1.log"
start dev-1 dev-1
wait_log dev-1 "contexts installed" 15
sleep 0.3
ktap_check "the device with its new credential gets a new Ks" \
	eval 'pairwise_same dev-1 && [ "$(ctx server pairwise:dev-1 sender_key_fp)" != "$old_fp" ]'

# (4) dev-2 leaves while another process holds the registry's write lock.
epoch0=$(q "SELECT epoch FROM groups WHERE name = 'lights'")
mkfifo "$T/lock.in"
sqlite3 "$T/registry.db" < "$T/lock.in" > "$T/lock.out" 2>&1 &
LOCKPID=$!
exec 3> "$T/lock.in"
echo "BEGIN EXCLUSIVE; SELECT 'locked';" >&3
for ((i = 0; i < 100; i++)); do grep -q locked "$T/lock.out" && break; sleep 0.05; done
server_conf dev-1 dev-3
n=$(wc -l < "$T/server.log")
kill -HUP "${PID[server]}"
wait_log server "reload failed: .*registry update failed" 10
failed=$?
held=$(ctx server pairwise:dev-2 sender_key_fp)
claimed=$(since server $n "configuration reloaded")
# The lock goes: the server tries again by itself.
echo "COMMIT;" >&3
exec 3>&-
wait "$LOCKPID" 2>/dev/null
LOCKPID=""
for ((i = 0; i < 200; i++)); do [ "$(since server $n 'configuration reloaded')" -ge 1 ] && break; sleep 0.05; done
sleep 0.3
st=$(stats server)
ktap_check "a reload the registry refuses: nothing changes, no \"reloaded\" claim, counted" \
	eval '[ $failed = 0 ] && [ "$claimed" = 0 ] && [ -n "$held" ] && [ "$(jq .reload_failed <<<"$st")" -ge 1 ]'
[ $failed = 0 ] || ksft_diag "server: $(tail -n +$((n + 1)) "$T/server.log" | grep -i 'reload\|registry' | head -3)"
ktap_check "once the lock goes, the reload is applied: dev-2 gone, a new epoch" \
	eval '[ "$(q "SELECT count(*) FROM members WHERE id = '"'dev-2'"'")" = 0 ] && [ "$(q "SELECT epoch FROM groups WHERE name = '"'lights'"'")" -gt "$epoch0" ] && [ -z "$(ctx server pairwise:dev-2 sender_key_fp)" ]'

# (7) A restart: every member's pairwise context comes back from the
# registry, the one spelt in fullwidth included.
before=$(jq -r '[.contexts[] | select(.kind=="pairwise") | .name + " " + .sender_key_fp] | sort | join(";")' "$T/server.ctx")
stop server
: > "$T/server.log"
start server server
wait_log server "started" 20
sleep 0.5
after=$(jq -r '[.contexts[] | select(.kind=="pairwise") | .name + " " + .sender_key_fp] | sort | join(";")' "$T/server.ctx" 2>/dev/null)
ktap_check "a restarted server restores every pairwise context, non-NFKC spellings too" \
	eval '[ -n "$before" ] && [ "$before" = "$after" ] && grep -q "pairwise:dev-3 " <<<"$after"'
[ "$before" = "$after" ] || ksft_diag "before: $before; after: $after"

ktap_finish
