#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What an earlier coapsecd left in the kernel never lets a protect
# policy's messages out in clear, with the real module: a server, a
# gateway and one device (the topology of agent_group.sh).  A device
# killed and started again while the kernel refuses to swap its context
# (retired_keys at 1) drops what its pairwise policy matches until the
# context is made again, then protects with the same policy; a server
# started again with a policy put before its protect policy and no room
# for another policy (ns_policies) protects at once with the policy it
# left; a server started again with its protect policy widened (/32 to
# /24) and no room for it keeps the /32 it left, as queue, until the /24
# fits; a server started with nothing left and a bypass of the same
# priority listed after its protect policy protects (configuration
# order), and keeps that order when its protect policy, deleted behind
# its back, comes back at a resync, or when it starts again after a run
# with the two the other way round; a server whose member's keys never come back drops what its
# protect policy matches; a device started again, its gateway down, with
# a protect policy in place of a bypass it left does not send in clear.
# Each sends CoAP from the agent's namespace and counts on the wire what
# leaves in clear.
. selftests/lib.sh
. selftests/lib/agent.sh
B=${B:-build}
BIN=$PWD/$B/coapsecd
CLI=$PWD/$B/coapsec
T=$(mktemp -d /tmp/agent-leftover-XXXXXX)
declare -A PID NS
MEMBERS="dev-1"
PARAM=/sys/module/coapsec/parameters

trap 'stop_agents; cleanup_ns; coapsec_unload 2>/dev/null; rm -rf "$T"' EXIT

ktap_header 11
coapsec_load || { ktap_result 1 "coapsec.ko loads"; ktap_finish; }
rk0=$(cat $PARAM/retired_keys)
np0=$(cat $PARAM/ns_policies)

agent_topology gw || exit 1

umask 077
key > "$T/kg"
key > "$T/dev-1.kx"
key > "$T/dev-1.km"
server_conf() {	# [POLICY [DST [AFTER]]]: put before the protect policy; its dst; put after it
	cat > "$T/server.json" <<-EOF
	{"role":"server","id":"in-cse","listen":"10.0.6.1:5684","db":"$T/registry.db",
	 "contexts_file":"$T/server.ctx","kernel":true,"grace_s":5,
	 "policies":[{"direction":"in","family":"inet","action":"require"},${1:+$1,}
	  {"context":"pairwise:dev-1","direction":"out","dst":"${2:-10.0.5.1/32}","action":"protect"}${3:+,$3}],
	 "gateways":[{"id":"gw1","identity":"gw1@in-cse","key_file":"$T/kg"}],
	 "groups":[{"name":"lights"}],
	 "members":[{"id":"dev-1","group":"lights","identity":"dev-1@in-cse","key_file":"$T/dev-1.kx"}]}
	EOF
}
server_conf
cat > "$T/gw.json" <<EOF
{"role":"gateway","id":"gw1","listen":"10.0.5.254:5684","contexts_file":"$T/gw.ctx",
 "kernel":true,"grace_s":5,
 "server":{"address":"10.0.6.1:5684","identity":"gw1@in-cse","key_file":"$T/kg"},
 "members":[{"id":"dev-1","identity":"dev-1@gw1","key_file":"$T/dev-1.km"}]}
EOF
cat > "$T/dev-1.json" <<EOF
{"role":"device","id":"dev-1","contexts_file":"$T/dev-1.ctx","kernel":true,"grace_s":5,
 "policies":[{"direction":"in","family":"inet","action":"require"},
  {"context":"pairwise","direction":"out","dst":"10.0.6.1/32","action":"protect"}],
 "gateway":{"address":"10.0.5.254:5684","identity":"dev-1@gw1","key_file":"$T/dev-1.km"},
 "server_credential":{"identity":"dev-1@in-cse","key_file":"$T/dev-1.kx"}}
EOF

# pol NAME DST: "ID ACTION" of NAME's policy to DST
pol() { ip netns exec "${NS[$1]}" "$CLI" -j policy show 2>/dev/null | jq -r --arg d "$2" '.[] | select(.dst == $d) | "\(.id) \(.action)"'; }
# kstat NAME COUNTER
kstat() { ip netns exec "${NS[$1]}" "$CLI" -j stats 2>/dev/null | jq ".$2"; }
# clear_out NAME DST N: N CoAP NON POSTs sent from NAME's namespace to
# DST; prints how many frames carried one in clear (its namespace's
# every frame, read from before the first until 1.5 s after the last)
clear_out() {
	ip netns exec "${NS[$1]}" python3 -c 'import socket, sys, time
r = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
r.settimeout(0.2)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for k in range(int(sys.argv[2])):
    try:
        s.sendto(bytes([0x51, 2, 0, k, 0x42, 0xb3]) + b"cmd\xffleftover", (sys.argv[1], 5683))
    except OSError:
        pass	# dropped by coapsec: counted there
plain = 0
end = time.time() + 1.5
while time.time() < end:
    try:
        plain += b"cmd\xffleftover" in r.recv(65535)
    except socket.timeout:
        pass
print(plain)' "$2" "$3"
}
# server_again N TEXT: the server started again, its log so far kept as
# server.log.N; ok 0 unless its log says TEXT within 20 s
server_again() {
	mv "$T/server.log" "$T/server.log.$1"
	start server
	ok=1
	wait_log server "$2" 20 || { ok=0; ksft_diag "server: no \"$2\" in its log"; }
}
# server_protecting: waits up to 5 s for the server's policy to dev-1
# (10.0.5.1/32) to protect
server_protecting() {
	for ((i = 0; i < 50; i++)); do
		[ "$(pol server 10.0.5.1/32 | cut -d' ' -f2)" = protect ] && return
		sleep 0.1
	done
}
# server_sends COUNTER: counted server 10.0.5.1 COUNTER; ok 0 unless none
# left in clear and COUNTER counted all 10
server_sends() {
	counted server 10.0.5.1 "$1"
	[ "$n" = 0 ] || { ok=0; ksft_diag "$n commands left the server in clear; its policies: $(ip netns exec "$SRV" "$CLI" -j policy show | jq -c '[.[] | {id, action, dst}]')"; }
	[ "$((c1 - c0))" -ge 10 ] || { ok=0; ksft_diag "server: $1 $c0 -> $c1"; }
}
# protect_first DST BYPASS: waits up to 5 s for the server's policy to
# DST to protect and to come before its policy to BYPASS in the match
# order (policy show lists it); ok 0, with the list, if they do not
protect_first() {
	local show
	for ((i = 0; i < 50; i++)); do
		show=$(ip netns exec "$SRV" "$CLI" -j policy show)
		jq -e --arg p "$1" --arg b "$2" 'map(.dst) as $d | ($d | index($p)) as $i |
			$i != null and .[$i].action == "protect" and $i < ($d | index($b))' <<< "$show" > /dev/null && return
		sleep 0.1
	done
	ok=0
	ksft_diag "server: its policy to $1 does not protect before its policy to $2: $(jq -c '[.[] | {id, action, dst}]' <<< "$show")"
}
# counted NAME DST COUNTER: clear_out of 10; n the frames in clear, c0
# and c1 NAME's kernel COUNTER before and after
counted() {
	c0=$(kstat "$1" "$3")
	n=$(clear_out "$1" "$2" 10)
	c1=$(kstat "$1" "$3")
}

agents_up 30
p_dev=$(pol dev-1 10.0.6.1/32)
p_srv=$(pol server 10.0.5.1/32)
[ "${p_dev#* }" = protect ] && [ "${p_srv#* }" = protect ] || { ok=0; ksft_diag "policies: dev-1 $p_dev, server $p_srv"; }
ktap_check "agents up: dev-1's pairwise policy and the server's policy to dev-1 protect" [ $ok = 1 ]

# ---- dev-1 killed; started again while the kernel refuses its new keys
# (a swap counts the old keys and the new under retired_keys): the
# leftover context is made again, its policy queues meanwhile, in place
kill -KILL "${PID[dev-1]}"
wait "${PID[dev-1]}" 2>/dev/null
mv "$T/dev-1.log" "$T/dev-1.log.1"
echo 1 > $PARAM/retired_keys
start dev-1
ok=1
wait_log dev-1 "cannot take over context" 60 || { ok=0; ksft_diag "dev-1: no refused take-over"; }
wait_log dev-1 "the kernel refused it" 20 || ok=0
counted dev-1 10.0.6.1 queue_no_agent
now=$(pol dev-1 10.0.6.1/32)
[ "$n" = 0 ] || { ok=0; ksft_diag "$n commands left dev-1 in clear"; }
[ "$((c1 - c0))" -ge 10 ] || { ok=0; ksft_diag "dev-1: queue_no_agent $c0 -> $c1"; }
[ "$now" = "${p_dev% *} queue" ] || { ok=0; ksft_diag "dev-1's policy to the server: before $p_dev, now ${now:-none}"; }
ktap_check "dev-1 killed, its context not taken over (retired_keys 1): its policy queues in place, 10 commands dropped (queue_no_agent $c0 -> $c1), none in clear" [ $ok = 1 ]
echo "$rk0" > $PARAM/retired_keys
ok=1
wait_log dev-1 "contexts installed" 60 || { ok=0; ksft_diag "dev-1: not installed once retired_keys is back"; }
for ((i = 0; i < 50; i++)); do [ "$(pol dev-1 10.0.6.1/32)" = "$p_dev" ] && break; sleep 0.1; done
now=$(pol dev-1 10.0.6.1/32)
[ "$now" = "$p_dev" ] || { ok=0; ksft_diag "dev-1's policy to the server: before $p_dev, now ${now:-none}"; }
ktap_check "retired_keys back: dev-1's context made again, the same policy protects again ($p_dev)" [ $ok = 1 ]

# ---- the server stopped (its protect policy queues), started again with
# a policy put before it (its tag "policy:N" moves) and room for that one
# alone: the policy it left is taken over in place and protects at once
stop_agents
server_conf '{"direction":"in","family":"inet","dport":5699,"action":"bypass"}'
echo $(($(ip netns exec "$SRV" "$CLI" -j policy show | jq length) + 1)) > $PARAM/ns_policies
server_again 1 "restored from the registry"
sleep 1
server_sends protected
now=$(pol server 10.0.5.1/32)
[ "$now" = "$p_srv" ] || { ok=0; ksft_diag "server's policy to dev-1: before $p_srv, now ${now:-none}"; }
ktap_check "server started with a policy put first and no room for another: its left policy protects in place ($p_srv), 10 commands protected, none in clear" [ $ok = 1 ]
stop_agents
echo "$np0" > $PARAM/ns_policies

# ---- the server as configured, stopped (its protect policy to dev-1
# queues), started again with that policy widened to 10.0.5.0/24 while
# ns_policies leaves no room (one under what the namespace holds, so
# that a /32 deleted would not make room either): the kernel refuses the
# /24, and the /32 the server left overlaps it, so it stays as queue
# (held) and drops what it matches, where deleting it would send that
# in clear until the /24 fits
server_conf
server_again 2 "restored from the registry"
server_protecting
stop_agents
server_conf "" 10.0.5.0/24
echo $(($(ip netns exec "$SRV" "$CLI" -j policy show | jq length) - 1)) > $PARAM/ns_policies
server_again 3 started
server_sends queue_no_agent
now=$(pol server 10.0.5.1/32)
wide=$(pol server 10.0.5.0/24)
[ "${now#* }" = queue ] && [ -z "$wide" ] || { ok=0; ksft_diag "server's policies: to 10.0.5.1/32 ${now:-none}, to 10.0.5.0/24 ${wide:-none}"; }
ktap_check "server started with its protect policy widened to /24 and no room for it (ns_policies): the /32 it left queues on (${now:-none}), 10 commands dropped (queue_no_agent $c0 -> $c1), none in clear" [ $ok = 1 ]

# ---- room made: at the next resync (SIGHUP) the /24 goes in and protects,
# and the held /32 goes
echo "$np0" > $PARAM/ns_policies
kill -HUP "${PID[server]}"
ok=1
for ((i = 0; i < 40; i++)); do
	wide=$(pol server 10.0.5.0/24)
	now=$(pol server 10.0.5.1/32)
	[ "${wide#* }" = protect ] && [ -z "$now" ] && break
	sleep 0.5
done
server_sends protected
[ "${wide#* }" = protect ] && [ -z "$now" ] || { ok=0; ksft_diag "server's policies: to 10.0.5.0/24 ${wide:-none}, to 10.0.5.1/32 ${now:-none}"; }
ktap_check "room made (ns_policies $np0), SIGHUP: the /24 protects (${wide:-none}), the held /32 is gone, 10 commands protected, none in clear" [ $ok = 1 ]
stop_agents

# ---- a first start (nothing left in the kernel) with a bypass of the
# same priority listed after the protect policy and overlapping it: the
# policies go in in the configuration's order, so the protect policy
# (queue until its context is in) matches first and nothing is in clear
ip netns exec "$SRV" "$CLI" flush
server_conf "" "" '{"direction":"out","dst":"10.0.5.0/24","dport":5683,"action":"bypass"}'
server_again 6 "restored from the registry"
server_protecting
server_sends protected
ktap_check "first start, a bypass of the same priority listed after the protect policy: the protect policy matches first, 10 commands protected, none in clear" [ $ok = 1 ]

# ---- its protect policy deleted behind its back (coapsec policy del):
# the resync (SIGHUP) adds it back at the end of its priority, after the
# bypass listed after it, so it moves the bypass after it (a copy first)
ok=1
p=$(pol server 10.0.5.1/32 | cut -d' ' -f1)
ip netns exec "$SRV" "$CLI" policy del "$p"
kill -HUP "${PID[server]}"
protect_first 10.0.5.1/32 10.0.5.0/24
server_sends protected
ktap_check "protect policy deleted, SIGHUP: added back before the bypass listed after it, 10 commands protected, none in clear" [ $ok = 1 ]
stop_agents

# ---- a server that ran with the bypass listed before its protect policy
# (so that what both match goes in clear), started again with the two
# swapped: each takes over in place what the other's tag left, and the
# bypass, ahead of the protect policy, moves after it
server_conf '{"direction":"out","dst":"10.0.5.0/24","dport":5683,"action":"bypass"}'
server_again 7 "restored from the registry"
server_protecting
stop_agents
server_conf "" "" '{"direction":"out","dst":"10.0.5.0/24","dport":5683,"action":"bypass"}'
server_again 8 "restored from the registry"
protect_first 10.0.5.1/32 10.0.5.0/24
server_sends protected
ktap_check "started again with a bypass it left before its protect policy listed after it: the bypass moves after it, 10 commands protected, none in clear" [ $ok = 1 ]
stop_agents

# ---- once more as configured, then stopped; the registry forgets dev-1's
# keys, so its context never comes: the server drops what its protect
# policy matches, for as long as it runs
server_conf
server_again 4 "restored from the registry"
server_protecting
stop_agents
sqlite3 "$T/registry.db" "UPDATE members SET rand = NULL, ks = NULL, sr_seq = -1 WHERE id = 'dev-1'"
server_again 5 started
sleep 1
server_sends queue_no_agent
ktap_check "server started without dev-1's keys: its protect policy drops (queue_no_agent $c0 -> $c1), none in clear" [ $ok = 1 ]
stop_agents

# ---- dev-1 (a device: it sweeps what it left only once its gateway has
# given it its keys) ran with a bypass to the server's net; started again
# with a protect policy to the server in its place, its gateway down: the
# bypass it left is deleted at once, not left in front of the protect
# policy (same priority), so nothing goes to the server in clear
dev_conf() {	# POLICY: dev-1's second policy
	jq --argjson p "$1" '.policies = [.policies[0], $p]' "$T/dev-1.json" > "$T/dev-1.json.new" &&
		mv "$T/dev-1.json.new" "$T/dev-1.json"
}
dev_conf '{"direction":"out","dst":"10.0.6.0/24","dport":5683,"action":"bypass"}'
# What dev-1 left for 10.0.6.1/32 would be taken over in its old place
# (before the bypass): gone, as after a first start with the bypass.
p=$(pol dev-1 10.0.6.1/32 | cut -d' ' -f1)
[ -z "$p" ] || ip netns exec "${NS[dev-1]}" "$CLI" policy del "$p"
mv "$T/dev-1.log" "$T/dev-1.log.2"
start dev-1
ok=1
for ((i = 0; i < 100; i++)); do [ "$(pol dev-1 10.0.6.0/24 | cut -d' ' -f2)" = bypass ] && break; sleep 0.1; done
[ "$(pol dev-1 10.0.6.0/24 | cut -d' ' -f2)" = bypass ] || { ok=0; ksft_diag "dev-1: no bypass installed"; }
stop_agents
dev_conf '{"context":"pairwise","direction":"out","dst":"10.0.6.1/32","action":"protect"}'
mv "$T/dev-1.log" "$T/dev-1.log.3"
start dev-1
for ((i = 0; i < 100; i++)); do [ -n "$(pol dev-1 10.0.6.1/32)" ] && break; sleep 0.1; done
sleep 1
q0=$(kstat dev-1 queue_no_agent)
counted dev-1 10.0.6.1 protected
q1=$(kstat dev-1 queue_no_agent)
[ "$n" = 0 ] || { ok=0; ksft_diag "$n commands left dev-1 in clear; its policies: $(ip netns exec "${NS[dev-1]}" "$CLI" -j policy show | jq -c '[.[] | {id, action, dst}]')"; }
[ $((c1 - c0 + q1 - q0)) -ge 10 ] || { ok=0; ksft_diag "dev-1: protected $c0 -> $c1, queue_no_agent $q0 -> $q1"; }
ktap_check "dev-1 started again, its gateway down, a protect policy in place of the bypass it left: the bypass goes at once, 10 commands protected or dropped, none in clear" [ $ok = 1 ]
stop_agents
[ "$KSFT_FAIL" = 0 ] || { for f in "$T"/*.log*; do echo "# --- $f"; grep -v " stats \|authenticated (inner)" "$f" | tail -25 | sed 's/^/# /'; done; }
ktap_finish
