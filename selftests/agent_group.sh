#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# coapsecd end to end with the kernel: a server, a gateway and four
# devices in two groups, each in its own netns.  The agents run TR-0012
# group authentication and push their contexts and policies; then group
# commands from the gateway reach exactly their group, the gateway
# forwards device -> server pairwise traffic it cannot read, removing a
# member rekeys its group and cuts it off, and a sequence soft limit
# leads to a rekey with no command lost; adding a member rekeys its group
# when the server says so (rekey_on_join), and the timed rekey
# (rekey_interval_s) changes the keys while commands keep verifying.
# (Restarts: agent_restart.sh.)
. selftests/lib.sh
. selftests/lib/agent.sh
B=${B:-build}
BIN=$PWD/$B/coapsecd
CLI=$PWD/$B/coapsec
MC="python3 $PWD/selftests/agent_mcast.py"
T=$(mktemp -d /tmp/agent-group-XXXXXX)
declare -A PID NS
MEMBERS="dev-1 dev-2 dev-3 dev-4"
declare -A GROUP=([dev-1]=lights [dev-2]=lights [dev-3]=doors [dev-4]=doors)
declare -A MARK=([lights]=1 [doors]=2)

trap 'stop_agents; cleanup_ns; coapsec_unload 2>/dev/null; rm -rf "$T"' EXIT

ktap_header 13
coapsec_load || { ktap_result 1 "coapsec.ko loads"; ktap_finish; }

# ---- topology: devices on a bridge in GW; SRV behind GW
agent_topology gw || exit 1

# ---- configurations (keys in 0600 files)
umask 077
key > "$T/kg"
for d in $MEMBERS; do key > "$T/$d.kx"; key > "$T/$d.km"; done
server_conf() {	# MEMBERS...; $EXTRA: more server settings
	local sep="" d m=""
	for d in "$@"; do
		m="$m$sep{\"id\":\"$d\",\"group\":\"${GROUP[$d]}\",\"identity\":\"$d@in-cse\",\"key_file\":\"$T/$d.kx\"}"
		sep=,
	done
	cat > "$T/server.json.new" <<-EOF
	{"role":"server","id":"in-cse","listen":"10.0.6.1:5684","db":"$T/registry.db",
	 "contexts_file":"$T/server.ctx","kernel":true,"grace_s":5,${EXTRA:-}
	 "policies":[{"direction":"in","family":"inet","action":"require"}],
	 "gateways":[{"id":"gw1","identity":"gw1@in-cse","key_file":"$T/kg"}],
	 "groups":[{"name":"lights"},{"name":"doors"}],
	 "members":[$m]}
	EOF
	mv "$T/server.json.new" "$T/server.json"
}
server_conf $MEMBERS
gm=""
for d in $MEMBERS; do gm="$gm${gm:+,}{\"id\":\"$d\",\"identity\":\"$d@gw1\",\"key_file\":\"$T/$d.km\"}"; done
cat > "$T/gw.json" <<EOF
{"role":"gateway","id":"gw1","listen":"10.0.5.254:5684","contexts_file":"$T/gw.ctx",
 "kernel":true,"grace_s":5,"seq_soft_limit":40,
 "policies":[
  {"context":"group:lights","direction":"out","dst":"224.0.1.187/32","mark":1,"action":"protect"},
  {"context":"group:doors","direction":"out","dst":"224.0.1.187/32","mark":2,"action":"protect"}],
 "server":{"address":"10.0.6.1:5684","identity":"gw1@in-cse","key_file":"$T/kg"},
 "members":[$gm]}
EOF
for d in $MEMBERS; do
	cat > "$T/$d.json" <<-EOF
	{"role":"device","id":"$d","contexts_file":"$T/$d.ctx","kernel":true,"grace_s":5,
	 "policies":[{"direction":"in","family":"inet","action":"require"},
	  {"context":"pairwise","direction":"out","dst":"10.0.6.1/32","action":"protect"}],
	 "gateway":{"address":"10.0.5.254:5684","identity":"$d@gw1","key_file":"$T/$d.km"},
	 "server_credential":{"identity":"$d@in-cse","key_file":"$T/$d.kx"}}
	EOF
done


agents_up 30
for d in $MEMBERS; do [ "$(kctx $d)" = 2 ] || { ok=0; ksft_diag "$d: kernel holds $(kctx $d) contexts"; }; done
[ "$(kctx gw)" = 2 ] || { ok=0; ksft_diag "gateway: kernel holds $(kctx gw) contexts"; }
[ "$(kctx server)" = 4 ] || { ok=0; ksft_diag "server: kernel holds $(kctx server) contexts"; }
ktap_check "agents authenticated and pushed contexts (devices 2, gateway 2, server 4)" [ $ok = 1 ]

# Each device's group context mirrors the gateway's: same Gid and keys
# (from the contexts files' fingerprints), and both kernels hold it; waits
# out a start-up rekey.
group_same() {
	local n="group:${GROUP[$1]}"
	verifies "$1" gw "$n" && verifies gw "$1" "$n" &&
		kernel_has "$1" "$n" && kernel_has gw "$n"
}
settled() {	# MEMBERS...
	local i d ok
	for ((i = 0; i < 150; i++)); do
		ok=1
		for d in "$@"; do group_same $d || ok=0; done
		[ $ok = 1 ] && return 0
		sleep 0.1
	done
	return 1
}
ktap_check "every device's group context mirrors the gateway's" settled $MEMBERS

# ---- group commands: each device gets exactly its group's, in clear
kstats() {	# NAME...: the kernel's counters, for diagnostics
	local n
	for n in "$@"; do
		ksft_diag "$n: $(ip netns exec "${NS[$n]}" "$CLI" -j stats 2>&1 | jq -c '{verified, no_context, auth_failures, replays, policy_drops, protected}')"
	done
}
broadcast 60
ip netns exec "$GW" $MC send 10.0.5.254 1 0 5 20 lights
ip netns exec "$GW" $MC send 10.0.5.254 2 0 5 20 doors
heard
ok=1
for d in $MEMBERS; do
	g=${GROUP[$d]}
	want=$(for k in 0 1 2 3 4; do echo "$g command $k"; done)
	[ "$(sort -V "$T/$d.rx")" = "$want" ] || { ok=0; ksft_diag "$d got: $(tr '\n' ';' < "$T/$d.rx")"; }
done
[ $ok = 1 ] || kstats $MEMBERS gw
ktap_check "protected group commands reach exactly their group's members" [ $ok = 1 ]

# ---- pairwise traffic through the gateway: it forwards what it cannot read
ip netns exec "$GW" $MC sniff gs 10 "$T/gs.raw" &
tsp=$!
ip netns exec "$SRV" $MC recv 10 "$T/server.rx" &
rxp=$!
for ((i = 0; i < 100; i++)); do [ -e "$T/gs.raw" ] && [ -e "$T/server.rx" ] && break; sleep 0.1; done
ip netns exec "${NS[dev-1]}" $MC unicast 10.0.6.1 "meter reading 4711 for the server only"
wait $tsp $rxp 2>/dev/null
ok=1
grep -q "meter reading 4711" "$T/server.rx" || { ok=0; ksft_diag "server got: $(cat "$T/server.rx")"; }
[ -s "$T/gs.raw" ] || { ok=0; ksft_diag "nothing captured at the gateway"; }
grep -aq "meter reading 4711" "$T/gs.raw" && { ok=0; ksft_diag "plaintext crossed the gateway"; }
[ "$(ctx gw pairwise:dev-1 name)" = "" ] || ok=0
if [ $ok = 0 ]; then
	ksft_diag "dev-1: $(ip netns exec "${NS[dev-1]}" "$CLI" -j stats 2>&1)"
	ksft_diag "server: $(ip netns exec "$SRV" "$CLI" -j stats 2>&1)"
fi
ktap_check "device -> server pairwise traffic verified at the server, ciphertext at the gateway, which holds no Ks" [ $ok = 1 ]

# ---- membership change: dev-4 leaves doors
old_gid=$(ctx dev-3 group:doors id_context)
server_conf dev-1 dev-2 dev-3
kill -HUP "${PID[server]}"
for ((i = 0; i < 150; i++)); do
	[ "$(ctx dev-3 group:doors epoch)" != "$(ctx dev-4 group:doors epoch)" ] && break
	sleep 0.1
done
settled dev-3 || ksft_diag "dev-3 and the gateway disagree on doors"
broadcast 60
ip netns exec "$GW" $MC send 10.0.5.254 2 10 5 20 doors
heard
want=$(for k in 10 11 12 13 14; do echo "doors command $k"; done)
ok=1
[ "$(ctx dev-3 group:doors id_context)" != "$old_gid" ] || { ok=0; ksft_diag "doors kept its Gid"; }
[ "$(sort -V "$T/dev-3.rx")" = "$want" ] || { ok=0; ksft_diag "dev-3 got: $(tr '\n' ';' < "$T/dev-3.rx")"; }
[ ! -s "$T/dev-4.rx" ] || { ok=0; ksft_diag "dev-4 got: $(tr '\n' ';' < "$T/dev-4.rx")"; }
[ $ok = 1 ] || kstats $MEMBERS gw
ktap_check "removing dev-4 rekeys doors: dev-3 reads later commands, dev-4 does not" [ $ok = 1 ]
# The server's kernel drops dev-4's pairwise context with it (its owner
# tag names the member).
ok=1
[ "$(kcur server | grep -c '/pairwise:')" = 3 ] || ok=0
kcur server | grep -q '/pairwise:dev-4$' && ok=0
[ $ok = 1 ] || ksft_diag "server holds: $(kcur server | tr '\n' ';')"
ktap_check "SIGHUP: the removed member's pairwise context is gone from the server's kernel" [ $ok = 1 ]

# ---- sequence soft limit (40 on the gateway): rekey while commands flow
e0=$(ctx gw group:lights epoch)
broadcast 60
ip netns exec "$GW" $MC send 10.0.5.254 1 100 60 60 lights
heard
want=$(for k in $(seq 100 159); do echo "lights command $k"; done)
ok=1
for d in dev-1 dev-2; do
	[ "$(sort -V "$T/$d.rx")" = "$want" ] ||
		{ ok=0; ksft_diag "$d got $(wc -l < "$T/$d.rx") of 60: $(diff <(sort -V "$T/$d.rx") <(echo "$want") | grep '^[<>]' | head -4 | tr '\n' ';')"; }
done
e1=$(ctx gw group:lights epoch)
[ "$e1" -gt "$e0" ] || { ok=0; ksft_diag "lights epoch $e0 -> $e1"; }
grep -q "near its sequence limit" "$T/gw.log" || { ok=0; ksft_diag "no soft limit event at the gateway"; }
[ $ok = 1 ] || kstats $MEMBERS gw
ktap_check "sequence soft limit: lights rekeyed (epoch $e0 -> $e1) with no command lost" [ $ok = 1 ]

# ---- dev-4 joins doors again, with rekey_on_join: a new epoch, which
# dev-3 and the gateway take up and commands keep verifying under
e0=$(ctx gw group:doors epoch)
EXTRA='"rekey_on_join":true,' server_conf $MEMBERS
kill -HUP "${PID[server]}"
for ((i = 0; i < 150; i++)); do
	[ "$(ctx gw group:doors epoch)" != "$e0" ] && break
	sleep 0.1
done
e1=$(ctx gw group:doors epoch)
settled dev-3 || ksft_diag "dev-3 and the gateway disagree on doors"
broadcast 60
ip netns exec "$GW" $MC send 10.0.5.254 2 200 5 20 doors
heard
want=$(for k in 200 201 202 203 204; do echo "doors command $k"; done)
ok=1
[ -n "$e1" ] && [ "$e1" -gt "$e0" ] || { ok=0; ksft_diag "doors epoch $e0 -> $e1"; }
grep -q "joined group doors: rekey" "$T/server.log" || { ok=0; ksft_diag "no join rekey in the server's log"; }
[ "$(sort -V "$T/dev-3.rx")" = "$want" ] || { ok=0; ksft_diag "dev-3 got: $(tr '\n' ';' < "$T/dev-3.rx")"; }
[ $ok = 1 ] || kstats $MEMBERS gw
ktap_check "dev-4 joining doors rekeys it (rekey_on_join, epoch $e0 -> $e1); dev-3 reads the next commands" [ $ok = 1 ]

# ---- timed rekey: every 6 s from this reload; commands sent across the
# rekeys all arrive, and lights' key changes (Gid and sender key).  The
# interval leaves an emulated guest time to carry each rekey to every
# member before the next (grace_s is 5).
e0=$(ctx gw group:lights epoch)
g0="$(ctx gw group:lights id_context) $(ctx gw group:lights sender_key_fp)"
EXTRA='"rekey_on_join":true,"rekey_interval_s":6,' server_conf $MEMBERS
kill -HUP "${PID[server]}"
broadcast 90
ip netns exec "$GW" $MC send 10.0.5.254 1 300 30 400 lights
heard
e1=$(ctx gw group:lights epoch)
g1="$(ctx gw group:lights id_context) $(ctx gw group:lights sender_key_fp)"
want=$(for k in $(seq 300 329); do echo "lights command $k"; done)
ok=1
[ -n "$e1" ] && [ "$e1" -gt "$e0" ] || { ok=0; ksft_diag "lights epoch $e0 -> $e1"; }
[ "$g1" != "$g0" ] || { ok=0; ksft_diag "lights kept its Gid and key"; }
grep -q "timed rekey of every group" "$T/server.log" || { ok=0; ksft_diag "no timed rekey in the server's log"; }
for d in dev-1 dev-2; do
	[ "$(sort -V "$T/$d.rx")" = "$want" ] ||
		{ ok=0; ksft_diag "$d got $(wc -l < "$T/$d.rx") of 30: $(diff <(sort -V "$T/$d.rx") <(echo "$want") | grep '^[<>]' | head -4 | tr '\n' ';')"; }
done
[ $ok = 1 ] || kstats $MEMBERS gw
ktap_check "timed rekey (rekey_interval_s 6): lights epoch $e0 -> $e1, new key, all 30 commands verified" [ $ok = 1 ]

# ---- the agents remove what they installed; the gateway's protect
# policies turn to queue in place, so a group command sent while no agent
# runs is dropped (queue_no_agent), never sent in clear; a start sets them
# back in place, with the same IDs
gwpol() { ip netns exec "$GW" "$CLI" -j policy show | jq -c '[.[] | select(.owner // "" | startswith("coapsecd:gateway:gw1/")) | {id, action}] | sort_by(.id)'; }
gwstat() { ip netns exec "$GW" "$CLI" -j stats | jq ".$1"; }
# sniffed NAME [MARK FIRST GROUP]...: three commands of each GROUP sent
# from the gateway, what br0 carried meanwhile in $T/NAME.raw
sniffed() {
	local name=$1 tsp i
	shift
	rm -f "$T/$name.raw"
	ip netns exec "$GW" $MC sniff br0 8 "$T/$name.raw" &
	tsp=$!
	for ((i = 0; i < 100; i++)); do [ -e "$T/$name.raw" ] && break; sleep 0.1; done
	while [ $# -ge 3 ]; do
		ip netns exec "$GW" $MC send 10.0.5.254 "$1" "$2" 3 20 "$3"
		shift 3
	done
	wait $tsp
}
p0=$(gwpol)
stop_agents
left=0
for n in gw server $MEMBERS; do left=$((left + $(kctx $n))); done
ktap_check "stopped agents leave no context in the kernel" [ "$left" = 0 ]
ok=1
[ "$(echo "$p0" | jq '[.[] | select(.action == "protect")] | length')" = 2 ] &&
	[ "$(gwpol)" = "$(echo "$p0" | jq -c 'map(.action = "queue")')" ] ||
	{ ok=0; ksft_diag "gateway policies before the stop $p0, after $(gwpol)"; }
q0=$(gwstat queue_no_agent)
sniffed stopped 2 900 doors
q1=$(gwstat queue_no_agent)
grep -aq "doors command 90" "$T/stopped.raw" && { ok=0; ksft_diag "a command left in clear while no agent ran"; }
[ "$((q1 - q0))" -ge 3 ] || { ok=0; ksft_diag "queue_no_agent $q0 -> $q1"; }
ktap_check "agents stopped: the gateway's protect policies queue in place (same IDs); commands sent meanwhile dropped (queue_no_agent $q0 -> $q1), none in clear on the wire" [ $ok = 1 ]

# The gateway started alone (no keys come) with a require policy put
# first in its list: no leftover policy changes what it matches, so the
# commands of both groups are still dropped, none in clear
cp "$T/gw.json" "$T/gw.json.orig"
jq '.policies = [{"direction":"in","family":"inet","action":"require"}] + .policies' \
	"$T/gw.json.orig" > "$T/gw.json"
mv "$T/gw.log" "$T/gw.log.1"
start gw
ok=1
wait_log gw started 20 || { ok=0; ksft_diag "the gateway did not start"; }
sleep 1
q0=$(gwstat queue_no_agent)
sniffed reordered 1 920 lights 2 930 doors
q1=$(gwstat queue_no_agent)
grep -aqE "(lights|doors) command 9[23]" "$T/reordered.raw" && { ok=0; ksft_diag "a command left in clear: $(grep -aoE '(lights|doors) command 9[23][0-9]' "$T/reordered.raw" | sort -u | tr '\n' ';')"; }
[ "$((q1 - q0))" -ge 6 ] || { ok=0; ksft_diag "queue_no_agent $q0 -> $q1; gateway policies $(ip netns exec "$GW" "$CLI" -j policy show | jq -c '[.[] | {id, action, direction, mark}]')"; }
stop_agents
mv "$T/gw.json.orig" "$T/gw.json"
mv "$T/gw.log" "$T/gw.log.2"
ktap_check "the gateway started alone with a policy put first: both groups' commands still dropped (queue_no_agent $q0 -> $q1), none in clear" [ $ok = 1 ]

agents_up 30 || ksft_diag "agents did not come back"
ok=1
for ((i = 0; i < 100; i++)); do [ "$(gwpol)" = "$p0" ] && break; sleep 0.1; done
[ "$(gwpol)" = "$p0" ] || { ok=0; ksft_diag "gateway policies before the stop $p0, after the start $(gwpol)"; }
grep -q "taken over in place" "$T/gw.log" || { ok=0; ksft_diag "no policy taken over in place in the gateway's log"; }
settled $MEMBERS || { ok=0; ksft_diag "members and the gateway disagree after the start"; }
broadcast 60
ip netns exec "$GW" $MC send 10.0.5.254 2 950 3 20 doors
heard
want=$(for k in 950 951 952; do echo "doors command $k"; done)
for d in dev-3 dev-4; do
	[ "$(sort -V "$T/$d.rx")" = "$want" ] || { ok=0; ksft_diag "$d got: $(tr '\n' ';' < "$T/$d.rx")"; }
done
ktap_check "started again: the gateway's policies protect again in place (same IDs, $p0), doors commands verified" [ $ok = 1 ]
stop_agents
[ "$KSFT_FAIL" = 0 ] || { for f in "$T"/*.log; do echo "# --- $f"; grep -v " stats \|authenticated (inner)\|join refused\|unknown member" "$f" | tail -25 | sed 's/^/# /'; done; }
ktap_finish
