#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# coapsecd with the kernel, a member in several groups: dev-1 is in
# "lights" and "doors" (members[].groups), dev-2 in lights, dev-3 in
# doors, one gateway, each in its own netns (the topology of
# agent_group.sh).  dev-1 holds a kernel context for each of its groups
# and receives the protected commands of both; dev-2 and dev-3 only their
# group's.  Taken out of doors (SIGHUP), dev-1 drops doors' keys and
# receives lights' commands only, while doors (rekeyed) still reaches
# dev-3, and lights keeps its epoch.
. selftests/lib.sh
. selftests/lib/agent.sh
B=${B:-build}
BIN=$PWD/$B/coapsecd
CLI=$PWD/$B/coapsec
MC="python3 $PWD/selftests/agent_mcast.py"
T=$(mktemp -d /tmp/agent-multigroup-XXXXXX)
declare -A PID NS
MEMBERS="dev-1 dev-2 dev-3"
declare -A GROUPS_OF=([dev-1]='"lights","doors"' [dev-2]='"lights"' [dev-3]='"doors"')

trap 'stop_agents; cleanup_ns; coapsec_unload 2>/dev/null; rm -rf "$T"' EXIT

ktap_header 4
coapsec_load || { ktap_result 1 "coapsec.ko loads"; ktap_finish; }

# ---- topology: devices on a bridge in GW; SRV behind GW
agent_topology gw || exit 1

# ---- configurations (keys in 0600 files)
umask 077
key > "$T/kg"
for d in $MEMBERS; do key > "$T/$d.kx"; key > "$T/$d.km"; done
server_conf() {
	local sep="" d m=""
	for d in $MEMBERS; do
		m="$m$sep{\"id\":\"$d\",\"groups\":[${GROUPS_OF[$d]}],\"identity\":\"$d@in-cse\",\"key_file\":\"$T/$d.kx\"}"
		sep=,
	done
	cat > "$T/server.json.new" <<-EOF
	{"role":"server","id":"in-cse","listen":"10.0.6.1:5684","db":"$T/registry.db",
	 "contexts_file":"$T/server.ctx","kernel":true,"grace_s":5,
	 "gateways":[{"id":"gw1","identity":"gw1@in-cse","key_file":"$T/kg"}],
	 "groups":[{"name":"lights"},{"name":"doors"}],
	 "members":[$m]}
	EOF
	mv "$T/server.json.new" "$T/server.json"
}
server_conf
gm=""
for d in $MEMBERS; do gm="$gm${gm:+,}{\"id\":\"$d\",\"identity\":\"$d@gw1\",\"key_file\":\"$T/$d.km\"}"; done
cat > "$T/gw.json" <<EOF
{"role":"gateway","id":"gw1","listen":"10.0.5.254:5684","contexts_file":"$T/gw.ctx",
 "kernel":true,"grace_s":5,
 "policies":[
  {"context":"group:lights","direction":"out","dst":"224.0.1.187/32","mark":1,"action":"protect"},
  {"context":"group:doors","direction":"out","dst":"224.0.1.187/32","mark":2,"action":"protect"}],
 "server":{"address":"10.0.6.1:5684","identity":"gw1@in-cse","key_file":"$T/kg"},
 "members":[$gm]}
EOF
for d in $MEMBERS; do
	cat > "$T/$d.json" <<-EOF
	{"role":"device","id":"$d","contexts_file":"$T/$d.ctx","kernel":true,"grace_s":5,
	 "policies":[{"direction":"in","family":"inet","action":"require"}],
	 "gateway":{"address":"10.0.5.254:5684","identity":"$d@gw1","key_file":"$T/$d.km"},
	 "server_credential":{"identity":"$d@in-cse","key_file":"$T/$d.kx"}}
	EOF
done

# NAME: how many current contexts NAME's kernel holds
kcur_n() { ip netns exec "${NS[$1]}" "$CLI" -j context show 2>/dev/null | jq '[.[] | select(.state=="current")] | length'; }
kstats() {	# NAME...: the kernel's counters, for diagnostics
	local n
	for n in "$@"; do
		ksft_diag "$n: $(ip netns exec "${NS[$n]}" "$CLI" -j stats 2>&1 | jq -c '{verified, no_context, auth_failures, replays, policy_drops, protected}')"
	done
}
# MEMBER GROUP: the member's context mirrors the gateway's (Gid, keys),
# in the files and in both kernels.
same() {
	local n="group:$2"
	verifies "$1" gw "$n" && verifies gw "$1" "$n" &&
		kernel_has "$1" "$n" && kernel_has gw "$n"
}
settled() {	# "MEMBER GROUP"...
	local i p ok
	for ((i = 0; i < 150; i++)); do
		ok=1
		# shellcheck disable=SC2086
		for p in "$@"; do same $p || ok=0; done
		[ $ok = 1 ] && return 0
		sleep 0.1
	done
	return 1
}
# Group commands from the gateway: 5 to lights (mark 1), 5 to doors
# (mark 2); each member's receiver writes what it got to $T/MEMBER.rx.
commands() {
	broadcast 60
	ip netns exec "$GW" $MC send 10.0.5.254 1 0 5 20 lights
	ip netns exec "$GW" $MC send 10.0.5.254 2 0 5 20 doors
	heard
}
want() {	# GROUP...: the commands a member of those groups gets, sorted
	local g k
	for g in "$@"; do for k in 0 1 2 3 4; do echo "$g command $k"; done; done | sort -V
}
got() { sort -V "$T/$1.rx"; }
check_rx() {	# MEMBER GROUP...
	local d=$1
	shift
	[ "$(got $d)" = "$(want "$@")" ] && return 0
	ksft_diag "$d got: $(tr '\n' ';' < "$T/$d.rx")"
	return 1
}

agents_up 30
[ "$(kcur_n dev-1)" = 3 ] || { ok=0; ksft_diag "dev-1: kernel holds $(kcur_n dev-1) contexts"; }
for d in dev-2 dev-3 gw; do [ "$(kcur_n $d)" = 2 ] || { ok=0; ksft_diag "$d: kernel holds $(kcur_n $d) contexts"; }; done
settled "dev-1 lights" "dev-1 doors" "dev-2 lights" "dev-3 doors" || { ok=0; ksft_diag "a member and the gateway disagree"; }
ktap_check "dev-1 in two groups: a kernel context for each, mirroring the gateway's" [ $ok = 1 ]

commands
ok=1
check_rx dev-1 doors lights || ok=0
check_rx dev-2 lights || ok=0
check_rx dev-3 doors || ok=0
if [ $ok = 0 ]; then
	kstats $MEMBERS gw
	for d in $MEMBERS; do ksft_diag "$d eth0: $(ip -n "${NS[$d]}" -s link show eth0 | sed -n 4p)"; done
	ksft_diag "gw br0: $(ip -n "$GW" -s link show br0 | sed -n 6p)"
fi
ktap_check "dev-1 receives the protected commands of lights and of doors, dev-2 and dev-3 their group's" [ $ok = 1 ]

# ---- dev-1 leaves doors: doors is rekeyed, dev-1 drops its keys
d0=$(ctx gw group:doors epoch)
l0=$(ctx gw group:lights epoch)
GROUPS_OF[dev-1]='"lights"'
server_conf
kill -HUP "${PID[server]}"
ok=1
wait_log dev-1 "no longer in group doors" 30 || { ok=0; ksft_diag "dev-1 kept doors"; }
for ((i = 0; i < 150; i++)); do [ "$(ctx gw group:doors epoch)" -gt "$d0" ] && break; sleep 0.1; done
settled "dev-3 doors" "dev-1 lights" "dev-2 lights" || { ok=0; ksft_diag "a member and the gateway disagree after the removal"; }
[ "$(kcur_n dev-1)" = 2 ] || { ok=0; ksft_diag "dev-1: kernel holds $(kcur_n dev-1) contexts"; }
[ "$(ctx gw group:lights epoch)" = "$l0" ] || { ok=0; ksft_diag "lights went from epoch $l0 to $(ctx gw group:lights epoch)"; }
[ "$(ctx gw group:doors epoch)" -gt "$d0" ] || { ok=0; ksft_diag "doors still at epoch $d0"; }
ktap_check "dev-1 out of doors (SIGHUP): doors rekeyed, lights untouched, dev-1 holds pairwise and lights only" [ $ok = 1 ]

commands
ok=1
check_rx dev-1 lights || ok=0
check_rx dev-2 lights || ok=0
check_rx dev-3 doors || ok=0
if [ $ok = 0 ]; then
	kstats $MEMBERS gw
	for d in $MEMBERS; do ksft_diag "$d eth0: $(ip -n "${NS[$d]}" -s link show eth0 | sed -n 4p); $d group contexts: $(ip netns exec "${NS[$d]}" "$CLI" -j context show 2>/dev/null | jq -c '[.[] | {id, state, epoch, id_context}]')"; done
	ksft_diag "gw contexts: $(ip netns exec "$GW" "$CLI" -j context show 2>/dev/null | jq -c '[.[] | {id, state, epoch, id_context}]')"
fi
ktap_check "after it left doors, dev-1 receives lights' commands only; doors still reaches dev-3" [ $ok = 1 ]
stop_agents
[ "$KSFT_FAIL" = 0 ] || { for f in "$T"/*.log; do echo "# --- $f"; grep -v " stats " "$f" | tail -20 | sed 's/^/# /'; done; }
ktap_finish
