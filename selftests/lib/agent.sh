# SPDX-License-Identifier: GPL-2.0
#
# Helpers for the tests that run coapsecd: agent/tests/agent_flow.sh on
# the host, selftests/agent_*.sh in the VM.  Each keeps agent NAME's
# log in $T/NAME.log and its contexts file in $T/NAME.ctx.  The VM tests
# run agent NAME from $T/NAME.json in namespace ${NS[NAME]}, its pid in
# ${PID[NAME]}, with $BIN the agent and $CLI coapsec(8).

# start NAME: agent NAME in the background, its stderr in its log.
start() {
	ip netns exec "${NS[$1]}" "$BIN" -c "$T/$1.json" 2>>"$T/$1.log" &
	PID[$1]=$!
}

# stop_agents: every agent started, stopped and waited for.
stop_agents() {
	local p
	for p in "${PID[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	PID=()
}

# agent_topology GATEWAY: namespaces $GW (agent GATEWAY, bridge br0 on
# 10.0.5.254/24, forwarding) and $SRV (agent server, 10.0.6.1 behind the
# gateway), and one namespace per member of $MEMBERS on the bridge
# (10.0.5.1, .2, ...); each agent's namespace in NS[].
agent_topology() {
	local i d D
	setup_ns GW SRV || return 1
	NS[$1]=$GW NS[server]=$SRV
	ip -n "$GW" link add br0 type bridge mcast_snooping 0
	ip -n "$GW" addr add 10.0.5.254/24 dev br0
	ip -n "$GW" link set br0 up
	ip -n "$GW" route add 224.0.0.0/4 dev br0
	ip link add gs netns "$GW" type veth peer name eth0 netns "$SRV"
	ip -n "$GW" addr add 10.0.6.254/24 dev gs
	ip -n "$GW" link set gs up
	ip -n "$SRV" addr add 10.0.6.1/24 dev eth0
	ip -n "$SRV" link set eth0 up
	ip -n "$SRV" route add 10.0.5.0/24 via 10.0.6.254
	ip netns exec "$GW" sysctl -qw net.ipv4.ip_forward=1
	i=0
	for d in $MEMBERS; do
		i=$((i + 1))
		setup_ns D || return 1
		NS[$d]=$D
		ip link add "d$i" netns "$GW" type veth peer name eth0 netns "$D"
		ip -n "$GW" link set "d$i" master br0 up
		ip -n "$D" addr add "10.0.5.$i/24" dev eth0
		ip -n "$D" link set eth0 up
		ip -n "$D" route add default via 10.0.5.254
		ip -n "$D" route add 224.0.0.0/4 dev eth0
	done
}

# agents_up SECS: the server, the gateway and every member started;
# whether each said "contexts installed" within SECS (each one that did
# not is named).  Sets ok to 1 or 0 for the caller's first check.
agents_up() {
	local d
	start server
	wait_log server started "$1"
	start gw
	for d in $MEMBERS; do start "$d"; done
	ok=1
	for d in $MEMBERS gw; do
		wait_log "$d" "contexts installed" "$1" || { ok=0; ksft_diag "$d: no contexts"; }
	done
	[ $ok = 1 ]
}

# kctx NAME: how many contexts NAME's kernel holds.
kctx() { ip netns exec "${NS[$1]}" "$CLI" -j context show 2>/dev/null | jq length; }
# kcur NAME: "ID OWNER" of each current context in NAME's kernel, sorted.
kcur() { ip netns exec "${NS[$1]}" "$CLI" -j context show 2>/dev/null | jq -r '.[] | select(.state=="current") | "\(.id) \(.owner)"' | sort; }

# wait_log NAME TEXT SECONDS: whether NAME's log shows TEXT in time.
wait_log() {
	local i
	for ((i = 0; i < $3 * 20; i++)); do
		grep -q -- "$2" "$T/$1.log" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# ctx NAME CONTEXT FIELD: FIELD (a jq path) of the context named CONTEXT
# in NAME's contexts file.
ctx() {
	jq -r --arg n "$2" ".contexts[] | select(.name==\$n) | .$3" "$T/$1.ctx" 2>/dev/null
}

# verifies R S CONTEXT: whether R's context CONTEXT verifies what S sends
# under its own: same ID context, and S's sender key is R's recipient key
# under S's sender ID.  One jq: under emulation each costs about a second.
verifies() {
	jq -e -n --arg n "$3" --slurpfile r "$T/$1.ctx" --slurpfile s "$T/$2.ctx" '
		($r[0].contexts[] | select(.name == $n)) as $rc |
		($s[0].contexts[] | select(.name == $n)) as $sc |
		$sc.sender_id != null and $rc.id_context == $sc.id_context and
		[$rc.recipients[] | select(.id == $sc.sender_id) | .key_fp] ==
			[$sc.sender_key_fp]' > /dev/null 2>&1
}

# kernel_has NAME CONTEXT: whether NAME's kernel holds, as current, the
# context CONTEXT of its contexts file (same ID context; the owner tag
# ends in /CONTEXT).  The file may run ahead of the kernel in a rekey.
kernel_has() {
	ip netns exec "${NS[$1]}" "$CLI" -j context show 2>/dev/null |
	jq -e --arg n "$2" --slurpfile f "$T/$1.ctx" '
		($f[0].contexts[] | select(.name == $n) | .id_context) as $want |
		any(.[]; .state == "current" and .id_context == $want and
			(.owner // "" | endswith("/" + $n)))' > /dev/null 2>&1
}

# broadcast SECONDS: a receiver of group commands (agent_mcast.py recv,
# $MC) on every member of $MEMBERS, each listening when this returns,
# their pids in RX; each ends after SECONDS or when heard stops it.
broadcast() {
	local d i f
	RX=() RXF=()
	for d in $MEMBERS; do
		rm -f "$T/$d.rx" "$T/$d.rx.stop"
		ip netns exec "${NS[$d]}" $MC recv "$1" "$T/$d.rx" &
		RX+=($!)
		RXF+=("$T/$d.rx")
	done
	# Python starts slowly under emulation, the more so on a busy host.
	for ((i = 0; i < 600; i++)); do
		for f in "${RXF[@]}"; do [ -e "$f" ] || { sleep 0.1; continue 2; }; done
		break
	done
	ksft_diag "receivers listening after $i checks"
}

# heard: a second after the last command, the receivers stopped and
# waited for; what each heard is in $T/MEMBER.rx.
heard() {
	local f
	sleep 1
	for f in "${RXF[@]}"; do : > "$f.stop"; done
	wait "${RX[@]}"
}

# key: a fresh 16-byte key, in hex.
key() { head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
