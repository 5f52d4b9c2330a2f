#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Signed group commands (Group OSCORE group mode) end to end: a server
# (Group Manager), a gateway and three devices in "doors", a signed group,
# each agent in its own netns with the kernel.  The kernel queues the
# group's messages (action queue) to coapsecd, which signs them at the
# gateway and verifies them at the devices.  Checks: commands over IPv4
# (224.0.1.187) and IPv6 (ff02::fd) reach every device in clear and cross
# the wire signed and encrypted; a burst, none lost; a member that holds
# the group's keys forges the gateway's command: dropped, counted as a
# signature failure; a replay; a corrupted signature at every byte; the
# agent stopped (kill -9): nothing sent or delivered in clear, counted by
# the kernel (queue_no_agent).  With SGROUP_PART=burst (agent_sgroup_burst.sh)
# only the burst, after the same setup: a test of its own, so that each
# stays within the per-test timeout under emulation.  With
# SGROUP_PART=remove (agent_sgroup_remove.sh) only a member's removal:
# dev-1 (a sender) taken out of the server's configuration, the group
# rekeyed without its credential; dev-1, holding its key pair and the old
# keys, signs a command under them while the others still verify the old
# epoch (grace period): dropped by every remaining member (unknown_kid),
# nothing delivered; the gateway's commands under the new keys verified
# by the remaining members, not by dev-1.  SGROUP_SIG (ES256, the default,
# or EdDSA; agent_sgroup_eddsa.sh) is the group's Signature Algorithm and
# that of every key pair.
. selftests/lib.sh
. selftests/lib/agent.sh
B=${B:-build}
BIN=$PWD/$B/coapsecd
CLI=$PWD/$B/coapsec
TOOL=$PWD/$B/selftests/sgroup_tool
MC="python3 $PWD/selftests/agent_mcast.py"
T=$(mktemp -d /tmp/agent-sgroup-XXXXXX)
declare -A PID NS
MEMBERS="dev-1 dev-2 dev-3"
BURST=$(ksft_size 200 1000)
PART=${SGROUP_PART:-main}
SIG=${SGROUP_SIG:-ES256}
case $SIG in
ES256) SIGALG=-7 ;;
EdDSA) SIGALG=-8 ;;
*) echo "SGROUP_SIG: ES256 or EdDSA, not $SIG" >&2; exit 2 ;;
esac

trap 'stop_agents; cleanup_ns; coapsec_unload 2>/dev/null; rm -rf "$T"' EXIT

case $PART in
burst) ktap_header 2 ;;
remove) ktap_header 4 ;;
modechange|signedfail) ktap_header 2 ;;
policyfail) ktap_header 3 ;;
*) ktap_header 8 ;;
esac
# remove: the old epoch outlives the rekey long enough to be tried (emulated)
GRACE=5
[ "$PART" = remove ] && GRACE=300
coapsec_load || { ktap_result 1 "coapsec.ko loads"; ktap_finish; }

agent_topology gw || exit 1
ip -n "$GW" addr add fd05::fe/64 dev br0 nodad
i=0
for d in $MEMBERS; do
	i=$((i + 1))
	ip -n "${NS[$d]}" addr add "fd05::$i/64" dev eth0 nodad
done

# ---- keys and configurations
umask 077
key > "$T/kg"
for x in gw1 $MEMBERS; do "$BIN" --genkey "$T/$x.sk" --subject "$x" --alg "$SIG" > /dev/null || exit 1; done
for d in $MEMBERS; do key > "$T/$d.kx"; key > "$T/$d.km"; done
# grp_mode: doors' mode in the server's configuration (GMODE, signed by default)
grp_mode() {
	if [ "${GMODE:-signed}" = signed ]; then
		echo "\"mode\":\"signed\",\"signature_alg\":\"$SIG\""
	else
		echo "\"mode\":\"$GMODE\""
	fi
}
# server_json MEMBER...: the server's configuration with these members
server_json() {
	local d s m=""
	for d in "$@"; do
		s=""; [ "$d" = dev-1 ] && s=',"sends":true'	# dev-1 sends: the others verify it
		m="$m${m:+,}{\"id\":\"$d\",\"group\":\"doors\",\"identity\":\"$d@in-cse\",\"key_file\":\"$T/$d.kx\"$s}"
	done
	cat > "$T/server.json" <<-EOF
	{"role":"server","id":"in-cse","listen":"10.0.6.1:5684","db":"$T/registry.db",
	 "contexts_file":"$T/server.ctx","kernel":true,"grace_s":5,$SRV_EXTRA
	 "policies":[{"direction":"in","family":"inet","action":"require"}],
	 "gateways":[{"id":"gw1","identity":"gw1@in-cse","key_file":"$T/kg"}],
	 "groups":[{"name":"doors",$(grp_mode)}],
	 "members":[$m]}
	EOF
}
SRV_EXTRA=""
GWST=$T/gw1.sgstate
# modechange: doors starts as group authentication, timed rekeys carry
# the change to signed; the gateway's state file lies in a folder of its own
if [ "$PART" = modechange ]; then
	SRV_EXTRA='"rekey_interval_s":20,'
	mkdir "$T/gwst"
	GWST=$T/gwst/gw1.sgstate
	GMODE=auth
fi
if [ "$PART" = policyfail ]; then
	SRV_EXTRA='"rekey_interval_s":20,'
	GMODE=auth
fi
server_json $MEMBERS
gm=""
for d in $MEMBERS; do gm="$gm${gm:+,}{\"id\":\"$d\",\"identity\":\"$d@gw1\",\"key_file\":\"$T/$d.km\"}"; done
cat > "$T/gw.json" <<EOF
{"role":"gateway","id":"gw1","listen":"10.0.5.254:5684","contexts_file":"$T/gw.ctx",
 "kernel":true,"grace_s":$GRACE,
 "group_signing":{"key_file":"$T/gw1.sk","state_file":"$GWST","queue_num":3},
 "policies":[
  {"context":"group:doors","direction":"out","dst":"224.0.1.187/32","mark":2,"action":"protect"},
  {"context":"group:doors","direction":"out","dst":"ff02::fd/128","mark":2,"action":"protect"}],
 "server":{"address":"10.0.6.1:5684","identity":"gw1@in-cse","key_file":"$T/kg"},
 "members":[$gm]}
EOF
for d in $MEMBERS; do
	st=$T/$d.sgstate
	# signedfail: dev-2's state file lies in a folder of its own
	[ "$PART" = signedfail ] && [ $d = dev-2 ] && { mkdir -p "$T/d2st"; st=$T/d2st/$d.sgstate; }
	cat > "$T/$d.json" <<-EOF
	{"role":"device","id":"$d","contexts_file":"$T/$d.ctx","kernel":true,"grace_s":$GRACE,
	 "group_signing":{"key_file":"$T/$d.sk","state_file":"$st","queue_num":5},
	 "policies":[{"direction":"in","dst":"224.0.1.187/32","action":"queue"},
	  {"direction":"in","dst":"ff02::fd/128","action":"queue"},
	  {"direction":"in","family":"inet","action":"require"},
	  {"context":"pairwise","direction":"out","dst":"10.0.6.1/32","action":"protect"}],
	 "gateway":{"address":"10.0.5.254:5684","identity":"$d@gw1","key_file":"$T/$d.km"},
	 "server_credential":{"identity":"$d@in-cse","key_file":"$T/$d.kx"}}
	EOF
done

# stats NAME: the agent's counters (SIGUSR1), as JSON
stats() {
	local before i
	before=$(grep -c ' stats ' "$T/$1.log")
	kill -USR1 "${PID[$1]}"
	for ((i = 0; i < 100; i++)); do
		[ "$(grep -c ' stats ' "$T/$1.log")" -gt "$before" ] && break
		sleep 0.05
	done
	grep ' stats ' "$T/$1.log" | tail -1 | sed 's/.* stats //'
}
sgc() { stats "$1" | jq -r ".sgroup.$2"; }			# NAME COUNTER
sgg() { stats "$1" | jq -r ".sgroup.groups[] | select(.name == \"doors\") | .$2"; }
kst() { ip netns exec "${NS[$1]}" "$CLI" -j stats | jq -r ".$2"; }	# NAME COUNTER
q() { sqlite3 "$T/registry.db" "$1"; }
# gwpol ACTION: how many of the gateway's policies have ACTION
gwpol() { ip netns exec "$GW" "$CLI" -j policy show | jq "[.[] | select(.action == \"$1\")] | length"; }
# got FILE N SECONDS: whether FILE has N lines in time
got() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		[ "$(wc -l < "$1" 2>/dev/null)" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
# listen [6]: receivers on every device (IPv4, or IPv6 with 6)
listen() {
	local d f i
	RX=() RXF=()
	for d in $MEMBERS; do
		rm -f "$T/$d.rx" "$T/$d.rx.stop"
		ip netns exec "${NS[$d]}" $MC "recv${1:-}" 300 "$T/$d.rx" &
		RX+=($!)
		RXF+=("$T/$d.rx")
	done
	for ((i = 0; i < 600; i++)); do
		for f in "${RXF[@]}"; do [ -e "$f" ] || { sleep 0.1; continue 2; }; done
		break
	done
}
# done_listening: receivers stopped, a second after the last message
done_listening() {
	local f
	sleep 1
	for f in "${RXF[@]}"; do : > "$f.stop"; done
	wait "${RX[@]}"
}

# ---- a group made signed (SGROUP_PART=modechange): doors runs group
# authentication, in the gateway's kernel; the server's configuration
# makes it signed and a timed rekey carries the change.  The gateway's
# state file cannot be written (its folder is gone, a file in its place:
# what a full or failed disk does), so the signed epoch cannot be
# installed.  Its commands must not leave in clear meanwhile: the queue
# policies that would drop them (seq_unpersisted), or the kernel
# context's protect policies, or nothing sent.
# auth_up: agents up, doors in group authentication in the gateway's kernel
auth_up() {
	agents_up 60
	[ "$(kctx gw)" -ge 1 ] || { ok=0; ksft_diag "gateway kernel holds $(kctx gw) contexts"; }
	[ "$(gwpol protect)" = 2 ] || { ok=0; ksft_diag "gateway: $(gwpol protect) protect policies"; }
	ktap_check "agents up: doors in group authentication, the gateway's kernel protects it" [ $ok = 1 ]
}
# watch_change MODE UNTIL SEND...: doors made MODE in the server's
# configuration while the gateway sends commands (agent_mcast.py SEND...,
# every 25 ms) from before the change until a second after UNTIL (a
# function) says it is done, captured on the wire.  Whether UNTIL said so
# and no command crossed the wire in clear.
watch_change() {
	local mode=$1 until=$2 sp sd ok=1
	shift 2
	rm -f "$T/wire.raw"
	ip netns exec "$GW" $MC sniff d1 200 "$T/wire.raw" &
	sp=$!
	for ((i = 0; i < 100; i++)); do [ -e "$T/wire.raw" ] && break; sleep 0.1; done
	ip netns exec "$GW" $MC "$@" &
	sd=$!
	sleep 1
	GMODE=$mode server_json $MEMBERS
	kill -HUP "${PID[server]}"
	$until || ok=0
	sleep 1
	kill $sd 2>/dev/null; wait $sd 2>/dev/null
	sleep 1
	kill $sp 2>/dev/null; wait $sp 2>/dev/null
	ksft_diag "$mode: commands in clear on the wire: $(grep -ao "doors command [0-9]*" "$T/wire.raw" | wc -l) of $(grep -c . "$T/wire.raw") frames"
	grep "sgroup: cannot write\|context group:doors\|keypush: policy" "$T/gw.log" | tail -6 | sed 's/^/# gw: /'
	ksft_diag "gw policies: $(ip netns exec "$GW" "$CLI" -j policy show | jq -c '[.[] | {id, action, dst}]'), contexts: $(kctx gw)"
	[ -s "$T/wire.raw" ] || { ok=0; ksft_diag "nothing captured"; }
	grep -aq "doors command" "$T/wire.raw" && { ok=0; ksft_diag "commands crossed the wire in clear"; }
	[ $ok = 1 ]
}
signed_failed() {
	wait_log gw "sgroup: cannot write" 150 || { ksft_diag "gw: no failed signed install"; return 1; }
}
if [ "$PART" = modechange ]; then
auth_up
rm -rf "$T/gwst"
: > "$T/gwst"
ok=1
watch_change signed signed_failed send 10.0.5.254 2 0 6000 25 doors || ok=0
# The old epoch's key goes even so: a member removed at this rekey holds it.
[ "$(kctx gw)" = 0 ] || { ok=0; ksft_diag "gateway kernel still holds $(kctx gw) contexts"; }
ktap_check "doors made signed, its signed epoch not installable at the gateway: no command in clear on the wire, the group authentication context gone" [ $ok = 1 ]
[ "$KSFT_FAIL" = 0 ] || { for f in "$T"/*.log; do echo "# --- $f"; grep -v " stats \|authenticated (inner)" "$f" | tail -20 | sed 's/^/# /'; done; }
stop_agents
ktap_finish
fi

# ---- a mode change in a namespace over its policy limit
# (SGROUP_PART=policyfail): doors runs group authentication; the
# gateway's namespace may hold one policy (ns_policies=1) while it holds
# two, so no policy can be added there.  Each of the gateway's policies
# must change form in place (POLICY_SET), never leaving a moment, or a
# refusal, with no policy (security review 15r, findings 1, 2; review
# helper-49, F2, F3).  IPv6 commands every 25 ms, captured on the wire:
# none in clear.  Then the same the other way round.
if [ "$PART" = policyfail ]; then
NSP=/sys/module/coapsec/parameters/ns_policies
nsp0=$(cat $NSP)
gwids() { ip netns exec "$GW" "$CLI" -j policy show | jq -c '[.[].id] | sort'; }
# moved_to ACTION: the gateway's two doors policies are ACTION, under
# the IDs they had (IDS)
moved_to() {
	local end=$((SECONDS + 300))
	while [ $SECONDS -lt $end ]; do
		[ "$(gwpol "$1")" = 2 ] && [ "$(gwids)" = "$IDS" ] && return 0
		sleep 0.2
	done
	ksft_diag "gw: doors' policies not $1"
	return 1
}
to_queue() { moved_to queue; }
to_protect() { moved_to protect; }
refused() { grep -c "keypush: policy .*as many policies" "$T/gw.log"; }
auth_up
IDS=$(gwids)
echo 1 > $NSP
ok=1
watch_change signed to_queue send6 fd05::fe br0 2 0 6000 25 doors || ok=0
[ "$(kctx gw)" = 0 ] || { ok=0; ksft_diag "gateway kernel still holds $(kctx gw) contexts"; }
[ "$(refused)" = 0 ] || { ok=0; ksft_diag "gw: $(refused) policies refused"; }
ktap_check "doors made signed, the gateway's namespace over its policy limit: both policies queue in place, the group authentication context gone, no IPv6 command in clear on the wire" [ $ok = 1 ]
ok=1
watch_change auth to_protect send6 fd05::fe br0 2 100000 6000 25 doors || ok=0
[ "$(refused)" = 0 ] || { ok=0; ksft_diag "gw: $(refused) policies refused"; }
ktap_check "doors back to group authentication, over the limit: both policies protect in place, no IPv6 command in clear on the wire" [ $ok = 1 ]
echo "$nsp0" > $NSP
[ "$KSFT_FAIL" = 0 ] || { for f in "$T"/*.log; do echo "# --- $f"; grep -v " stats \|authenticated (inner)" "$f" | tail -20 | sed 's/^/# /'; done; }
stop_agents
ktap_finish
fi

agents_up 60
# Settle: registering credentials rekeys doors; everyone on the current Gid.
for ((i = 0; i < 150; i++)); do
	gid=$(q "SELECT lower(hex(gid)) FROM groups WHERE name = 'doors'")
	all=1
	for x in gw $MEMBERS; do
		have=$(sgg $x gid)
		[ "$have" = "$gid" ] || { all=0; break; }
	done
	[ $all = 1 ] && break
	sleep 0.2
done
[ $all = 1 ] || { ok=0; ksft_diag "$x: doors Gid $have, registry $gid"; }
# The gateway holds no kernel context for doors: queue policies instead.
[ "$(kctx gw)" = 0 ] || { ok=0; ksft_diag "gateway kernel holds $(kctx gw) contexts"; }
nq=$(ip netns exec "$GW" "$CLI" -j policy show | jq '[.[] | select(.action == "queue")] | length')
[ "$nq" = 2 ] || { ok=0; ksft_diag "gateway: $nq queue policies"; }
# Each agent signs and verifies doors with $SIG (its log names the epoch's).
for x in gw $MEMBERS; do
	l=$(grep "sgroup: group doors epoch" "$T/$x.log" | tail -1)
	[ "${l##*, }" = "$SIG" ] || { ok=0; ksft_diag "$x: $l"; }
done
ktap_check "agents up: doors signed with $SIG (Gid $gid), the gateway's doors policies are queue policies" [ $ok = 1 ]

# ---- IPv4 commands: in clear at every device, signed on the wire
if [ "$PART" = main ]; then
listen
ip netns exec "$GW" $MC sniff d1 20 "$T/wire.raw" &
sp=$!
for ((i = 0; i < 100; i++)); do [ -e "$T/wire.raw" ] && break; sleep 0.1; done
v0=$(sgc dev-2 verified)
ip netns exec "$GW" $MC send 10.0.5.254 2 0 5 50 doors
ok=1
want=$(for k in 0 1 2 3 4; do echo "doors command $k"; done)
for d in $MEMBERS; do got "$T/$d.rx" 5 60 || true; done
done_listening
kill $sp 2>/dev/null; wait $sp 2>/dev/null
for d in $MEMBERS; do
	[ "$(sort -V "$T/$d.rx")" = "$want" ] || { ok=0; ksft_diag "$d got: $(tr '\n' ';' < "$T/$d.rx")"; }
done
[ -s "$T/wire.raw" ] || { ok=0; ksft_diag "nothing captured"; }
grep -aq "doors command" "$T/wire.raw" && { ok=0; ksft_diag "commands crossed the wire in clear"; }
v1=$(sgc dev-2 verified)
[ $((v1 - v0)) = 5 ] || { ok=0; ksft_diag "dev-2 verified $((v1 - v0))"; }
[ $ok = 1 ] || ksft_diag "gw: $(stats gw | jq -c '{sgroup: .sgroup | del(.groups), nfqueue}')"
ktap_check "IPv4 224.0.1.187: 5 signed commands, each verified by every device, none in clear on the wire" [ $ok = 1 ]

# ---- IPv6 commands
listen 6
ip netns exec "$GW" $MC send6 fd05::fe br0 2 10 5 50 doors
for d in $MEMBERS; do got "$T/$d.rx" 5 60 || true; done
done_listening
ok=1
want=$(for k in 10 11 12 13 14; do echo "doors command $k"; done)
for d in $MEMBERS; do
	[ "$(sort -V "$T/$d.rx")" = "$want" ] || { ok=0; ksft_diag "$d got: $(tr '\n' ';' < "$T/$d.rx")"; }
done
ktap_check "IPv6 ff02::fd: 5 signed commands, each verified by every device" [ $ok = 1 ]
fi

# ---- a burst, none lost
if [ "$PART" = burst ]; then
listen
t0=$(date +%s.%N)
ip netns exec "$GW" $MC send 10.0.5.254 2 1000 "$BURST" 0 doors
t1=$(date +%s.%N)
for d in $MEMBERS; do got "$T/$d.rx" "$BURST" 500 || true; done
t2=$(date +%s.%N)
ksft_diag "burst: $BURST sent (signed at the gateway) in $(echo "$t1 - $t0" | bc) s, all verified at 3 devices after $(echo "$t2 - $t0" | bc) s (emulated)"
done_listening
ok=1
want=$(seq 1000 $((1000 + BURST - 1)) | sed 's/^/doors command /')
for d in $MEMBERS; do
	[ "$(sort -V "$T/$d.rx")" = "$want" ] ||
		{ ok=0; ksft_diag "$d got $(wc -l < "$T/$d.rx") of $BURST: $(diff <(sort -V "$T/$d.rx") <(echo "$want") | grep '^[<>]' | head -4 | tr '\n' ';')"; }
done
[ $ok = 1 ] || for x in gw $MEMBERS; do ksft_diag "$x: $(stats $x | jq -c '{sgroup: .sgroup | del(.groups), nfqueue}')"; done
ktap_check "a burst of $BURST signed commands: every device verified all, none lost" [ $ok = 1 ]
stop_agents
ktap_finish
fi

# The group's keying material, from the server's registry, as a member holds it.
G_GID=$(q "SELECT lower(hex(gid)) FROM groups WHERE name = 'doors'")
G_SECRET=$(q "SELECT lower(hex(secret)) FROM groups WHERE name = 'doors'")
G_SALT=$(q "SELECT lower(hex(salt)) FROM groups WHERE name = 'doors'")
G_ALG=$(q "SELECT alg FROM groups WHERE name = 'doors'")
GW_SID=$(q "SELECT lower(hex(sid)) FROM gateway_sids WHERE gateway = 'gw1' AND grp = 'doors'")
D1_SID=$(q "SELECT lower(hex(sid)) FROM memberships WHERE member = 'dev-1' AND grp = 'doors'")
# tool HOLDER KID SEQ N [corrupt]: messages signed with HOLDER's key
tool() { "$TOOL" "$T/$1.sk" "$1" "$G_GID" "$G_SECRET" "$G_SALT" "$G_ALG" "$SIGALG" "${@:2}" 2>/dev/null; }

# ---- a member removed while a member cannot install the new signed epoch
# (SGROUP_PART=signedfail): dev-2's state file cannot be written (its
# folder replaced by a file), so the rekey that removes dev-1 fails there.
# dev-2 must not keep the old epoch: dev-1, holding its keys and its key
# pair, signs a command under them once the grace period is over; dropped
# at dev-2 as at dev-3 (security review 15s).
if [ "$PART" = signedfail ]; then
SGROUP_TOOL_TEXT="dev-1 after removal" tool dev-1 "$D1_SID" 500001 1 > "$T/after.hex"
rm -rf "$T/d2st"
: > "$T/d2st"
server_json dev-2 dev-3
kill -HUP "${PID[server]}"
ok=1
wait_log dev-2 "sgroup: cannot write" 150 || { ok=0; ksft_diag "dev-2: no failed install"; }
sleep $((GRACE + 2))
listen
ip netns exec "${NS[dev-1]}" $MC raw "$T/after.hex"
sleep 3
done_listening
ksft_diag "dev-2: $(stats dev-2 | jq -c '.sgroup | {verified, no_group, unknown_kid, groups: [.groups[] | {name, epoch}]}')"
[ -s "$T/after.hex" ] || { ok=0; ksft_diag "message not made"; }
grep -q "dev-1 after removal" "$T/dev-2.rx" && { ok=0; ksft_diag "dev-2 delivered dev-1's command under the old epoch"; }
ktap_check "dev-1 removed, dev-2 cannot install the new epoch: dev-1's command under the old keys not delivered at dev-2" [ $ok = 1 ]
[ "$KSFT_FAIL" = 0 ] || { for f in "$T"/*.log; do echo "# --- $f"; grep -v " stats \|authenticated (inner)" "$f" | tail -12 | sed 's/^/# /'; done; }
stop_agents
ktap_finish
fi

# ---- a member removed (SGROUP_PART=remove): dev-1, a sender, taken out
# of the server's configuration.  dev-1 keeps its key pair and the old
# keys (the tool signs with them); the remaining members keep verifying
# the old epoch for grace_s, but no longer dev-1's messages under it.
if [ "$PART" = remove ]; then
REMAIN="dev-2 dev-3"
SGROUP_TOOL_TEXT="dev-1 before removal" tool dev-1 "$D1_SID" 500000 1 > "$T/before.hex"
SGROUP_TOOL_TEXT="dev-1 after removal" tool dev-1 "$D1_SID" 500001 1 > "$T/after.hex"
declare -A U0 V0 F0 N0 R0
listen
# Before: dev-1's message under these keys is delivered (it is a member).
ip netns exec "${NS[dev-1]}" $MC raw "$T/before.hex"
for d in $REMAIN; do got "$T/$d.rx" 1 60 || true; done
ok=1
[ -s "$T/before.hex" ] && [ -s "$T/after.hex" ] || { ok=0; ksft_diag "messages not made"; }
for d in $REMAIN; do
	[ "$(cat "$T/$d.rx")" = "dev-1 before removal" ] || { ok=0; ksft_diag "$d got: $(tr '\n' ';' < "$T/$d.rx")"; }
	[ "$(sgg $d senders)" = 2 ] || { ok=0; ksft_diag "$d verifies $(sgg $d senders) senders"; }
done
e0=$(q "SELECT epoch FROM groups WHERE name = 'doors'")
server_json $REMAIN
kill -HUP "${PID[server]}"
# Rekeyed: the registry's new Gid at the gateway and the remaining
# members, the old epoch still verifying there (previous).
for ((i = 0; i < 300; i++)); do
	gid1=$(q "SELECT lower(hex(gid)) FROM groups WHERE name = 'doors'")
	all=1
	if [ "$gid1" != "$G_GID" ]; then
		for x in gw $REMAIN; do
			[ "$(sgg $x gid)" = "$gid1" ] || { all=0; break; }
		done
	else
		all=0
	fi
	[ $all = 1 ] && break
	sleep 0.2
done
e1=$(q "SELECT epoch FROM groups WHERE name = 'doors'")
[ $all = 1 ] || { ok=0; ksft_diag "not rekeyed everywhere: registry $gid1 (epoch $e0 -> $e1); $(for x in gw $REMAIN; do echo -n "$x $(sgg $x gid) "; done)"; }
[ "$(q "SELECT count(*) FROM credentials WHERE holder = 'member:dev-1'")" = 0 ] || { ok=0; ksft_diag "dev-1's credential still in the registry"; }
for d in $REMAIN; do
	[ "$(sgg $d senders)" = 1 ] || { ok=0; ksft_diag "$d verifies $(sgg $d senders) senders"; }
	[ "$(sgg $d previous)" = true ] || { ok=0; ksft_diag "$d: no previous epoch"; }
done
ktap_check "dev-1 removed: doors rekeyed (epoch $e0 -> $e1), dev-1's credential gone from the registry and from what dev-2 and dev-3 verify with" [ $ok = 1 ]

# After: the same keys, dev-1's next message: refused by every remaining
# member, for want of its credential, though its Gid is still verified.
for d in $REMAIN; do
	eval "$(stats $d | jq -r '"u=\(.sgroup.unknown_kid) v=\(.sgroup.verified) f=\(.sgroup.sig_fail) n=\(.sgroup.no_group) r=\(.sgroup.replay)"')"
	U0[$d]=$u V0[$d]=$v F0[$d]=$f N0[$d]=$n R0[$d]=$r
done
ip netns exec "${NS[dev-1]}" $MC raw "$T/after.hex"
# (until each has judged it: dropped for want of a credential, or else)
for d in $REMAIN; do
	for ((i = 0; i < 150; i++)); do
		[ "$(stats $d | jq '.sgroup | .unknown_kid + .verified + .sig_fail + .no_group + .replay')" -gt \
			$((U0[$d] + V0[$d] + F0[$d] + N0[$d] + R0[$d])) ] && break
		sleep 0.2
	done
done
sleep 1
ok=1
for d in $REMAIN; do
	eval "$(stats $d | jq -r '"u=\(.sgroup.unknown_kid) v=\(.sgroup.verified) f=\(.sgroup.sig_fail) n=\(.sgroup.no_group)"')"
	[ $((u - U0[$d])) = 1 ] || { ok=0; ksft_diag "$d unknown_kid ${U0[$d]} -> $u (sig_fail ${F0[$d]} -> $f, no_group ${N0[$d]} -> $n)"; }
	[ $((v - V0[$d])) = 0 ] || { ok=0; ksft_diag "$d verified ${V0[$d]} -> $v"; }
	grep -q "after removal" "$T/$d.rx" && { ok=0; ksft_diag "$d delivered: $(tr '\n' ';' < "$T/$d.rx")"; }
	[ "$(sgg $d previous)" = true ] || { ok=0; ksft_diag "$d: the previous epoch went (grace over?)"; }
done
ktap_check "dev-1, removed, signs a command under the old keys (still verified for grace_s): dev-2 and dev-3 drop it (unknown_kid), deliver nothing" [ $ok = 1 ]

# The gateway's commands under the new keys: the remaining members
# verify them; dev-1 cannot.
for d in $REMAIN; do V0[$d]=$(sgc $d verified); done
ip netns exec "$GW" $MC send 10.0.5.254 2 4000 3 50 doors
for d in $REMAIN; do got "$T/$d.rx" 4 60 || true; done
done_listening
ok=1
want=$(printf 'dev-1 before removal\ndoors command 4000\ndoors command 4001\ndoors command 4002')
for d in $REMAIN; do
	[ "$(sort -V "$T/$d.rx")" = "$want" ] || { ok=0; ksft_diag "$d got: $(tr '\n' ';' < "$T/$d.rx")"; }
	[ $(($(sgc $d verified) - V0[$d])) = 3 ] || { ok=0; ksft_diag "$d verified ${V0[$d]} -> $(sgc $d verified)"; }
done
grep -q "doors command" "$T/dev-1.rx" && { ok=0; ksft_diag "dev-1 (removed) got: $(tr '\n' ';' < "$T/dev-1.rx")"; }
ktap_check "after the rekey: the gateway's 3 signed commands verified by dev-2 and dev-3, none delivered at dev-1" [ $ok = 1 ]
stop_agents
[ "$KSFT_FAIL" = 0 ] || { for f in "$T"/*.log; do echo "# --- $f"; grep -v " stats \|authenticated (inner)" "$f" | tail -20 | sed 's/^/# /'; done; }
ktap_finish
fi

# ---- forgery, replay, corrupted signatures: one set of receivers
# (python starts slowly under emulation), the messages one after the other.
# dev-3 holds the group's keys and forges the gateway's command ("unlock");
# dev-1's message (dev-1 sends: the others hold its credential) is sent
# three times; then 64 copies of another with one byte of the signature
# corrupted each, and that message intact.
tool dev-3 "$GW_SID" 100000 1 > "$T/forged.hex"
tool dev-1 "$D1_SID" 200000 1 > "$T/d1.hex"
tool dev-1 "$D1_SID" 300000 64 corrupt > "$T/bad.hex"
tool dev-1 "$D1_SID" 400000 1 > "$T/good.hex"
eval "$(stats dev-1 | jq -r '"F1=\(.sgroup.sig_fail)"')"
eval "$(stats dev-2 | jq -r '"F2=\(.sgroup.sig_fail) R2=\(.sgroup.replay)"')"
listen
ip netns exec "${NS[dev-3]}" $MC raw "$T/forged.hex"
for ((i = 0; i < 100; i++)); do [ $(($(sgc dev-2 sig_fail) - F2)) -ge 1 ] && break; sleep 0.2; done
eval "$(stats dev-1 | jq -r '"F1b=\(.sgroup.sig_fail)"')"
eval "$(stats dev-2 | jq -r '"F2b=\(.sgroup.sig_fail)"')"
ip netns exec "${NS[dev-3]}" $MC raw "$T/d1.hex" 3
got "$T/dev-2.rx" 1 60 || true
for ((i = 0; i < 100; i++)); do [ $(($(sgc dev-2 replay) - R2)) -ge 2 ] && break; sleep 0.2; done
R2b=$(sgc dev-2 replay)
ip netns exec "${NS[dev-3]}" $MC raw "$T/bad.hex"
ip netns exec "${NS[dev-3]}" $MC raw "$T/good.hex"
got "$T/dev-2.rx" 2 120 || true
for ((i = 0; i < 300; i++)); do [ $(($(sgc dev-2 sig_fail) - F2b)) -ge 64 ] && break; sleep 0.2; done
F2c=$(sgc dev-2 sig_fail)
done_listening
ok=1
[ -s "$T/forged.hex" ] || { ok=0; ksft_diag "no forged message made"; }
grep -q "forged command" "$T/dev-1.rx" && { ok=0; ksft_diag "dev-1 accepted: $(tr '\n' ';' < "$T/dev-1.rx")"; }
[ $((F1b - F1)) = 1 ] || { ok=0; ksft_diag "dev-1 sig_fail $F1 -> $F1b"; }
[ $((F2b - F2)) = 1 ] || { ok=0; ksft_diag "dev-2 sig_fail $F2 -> $F2b"; }
ktap_check "forgery: dev-3, holding the group's keys, sends \"unlock\" as the gateway: dropped, counted as a signature failure" [ $ok = 1 ]
ok=1
[ $((R2b - R2)) = 2 ] || { ok=0; ksft_diag "dev-2 replay $R2 -> $R2b"; }
[ "$(head -1 "$T/dev-2.rx")" = "forged command 0" ] || { ok=0; ksft_diag "dev-2 got: $(tr '\n' ';' < "$T/dev-2.rx")"; }
ktap_check "replay: dev-1's message sent three times, dev-2 delivers it once and counts two replays" [ $ok = 1 ]
ok=1
[ "$(wc -l < "$T/bad.hex")" = 64 ] || { ok=0; ksft_diag "$(wc -l < "$T/bad.hex") corrupted messages made"; }
[ "$(cat "$T/dev-2.rx")" = "$(printf 'forged command 0\nforged command 0')" ] || { ok=0; ksft_diag "dev-2 got: $(tr '\n' ';' < "$T/dev-2.rx")"; }
[ $((F2c - F2b)) = 64 ] || { ok=0; ksft_diag "dev-2 sig_fail $F2b -> $F2c"; }
ktap_check "a corrupted signature at each of its 64 bytes: 64 dropped as signature failures, the intact message delivered" [ $ok = 1 ]

# ---- fail closed: dev-2's agent killed, then the gateway's (one set of
# receivers for both)
kill -9 "${PID[dev-2]}"
wait "${PID[dev-2]}" 2>/dev/null
unset "PID[dev-2]"
n0=$(kst dev-2 queue_no_agent)
listen
ip netns exec "$GW" $MC send 10.0.5.254 2 2000 3 50 doors
got "$T/dev-1.rx" 3 60 || true
for ((i = 0; i < 100; i++)); do [ $(($(kst dev-2 queue_no_agent) - n0)) -ge 3 ] && break; sleep 0.2; done
ok=1
[ ! -s "$T/dev-2.rx" ] || { ok=0; ksft_diag "dev-2 got: $(tr '\n' ';' < "$T/dev-2.rx")"; }
[ "$(wc -l < "$T/dev-1.rx")" = 3 ] || { ok=0; ksft_diag "dev-1 got: $(tr '\n' ';' < "$T/dev-1.rx")"; }
[ $(($(kst dev-2 queue_no_agent) - n0)) = 3 ] || { ok=0; ksft_diag "dev-2 queue_no_agent $n0 -> $(kst dev-2 queue_no_agent)"; }
ktap_check "dev-2's agent killed: its 3 commands dropped in its kernel (queue_no_agent), never delivered unverified" [ $ok = 1 ]

kill -9 "${PID[gw]}"
wait "${PID[gw]}" 2>/dev/null
unset "PID[gw]"
n0=$(kst gw queue_no_agent)
ip netns exec "$GW" $MC sniff d1 6 "$T/wire2.raw" &
sp=$!
for ((i = 0; i < 100; i++)); do [ -e "$T/wire2.raw" ] && break; sleep 0.1; done
ip netns exec "$GW" $MC send 10.0.5.254 2 3000 3 50 doors
ip netns exec "$GW" $MC send6 fd05::fe br0 2 3100 2 50 doors
wait $sp 2>/dev/null
done_listening
ok=1
# (the receivers still hold the 3 commands sent before, with dev-2 down)
for d in dev-1 dev-3; do
	[ "$(wc -l < "$T/$d.rx")" = 3 ] || { ok=0; ksft_diag "$d got: $(tr '\n' ';' < "$T/$d.rx")"; }
done
grep -aq "doors command" "$T/wire2.raw" && { ok=0; ksft_diag "a command crossed the wire in clear"; }
[ $(($(kst gw queue_no_agent) - n0)) = 5 ] || { ok=0; ksft_diag "gw queue_no_agent $n0 -> $(kst gw queue_no_agent)"; }
ktap_check "the gateway's agent killed: its 5 commands (IPv4 and IPv6) dropped and counted (queue_no_agent), none on the wire" [ $ok = 1 ]

stop_agents
[ "$KSFT_FAIL" = 0 ] || { for f in "$T"/*.log; do echo "# --- $f"; grep -v " stats \|authenticated (inner)" "$f" | tail -20 | sed 's/^/# /'; done; }
ktap_finish
