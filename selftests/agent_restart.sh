#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What coapsecd owns in the kernel, across restarts: a server, a gateway
# and three devices in two groups, each in its own netns (the topology of
# agent_group.sh).  Every context and policy an agent installs carries
# its owner tag; an agent killed with SIGKILL and started again takes its
# contexts over (same IDs, nothing stale; the server's sequence numbers go
# on); a push the kernel refuses is counted and retried, never reported as
# installed; the gateway reloads its members on SIGHUP; a stopped agent
# leaves nothing; and after a simulated host restart (module reloaded,
# checkpoints from another boot, in the DB.seq file of earlier versions,
# which the server imports into its registry once) the server re-creates
# its pairwise contexts above the last sequence checkpoint, with
# replay-unknown.  The server's kept keys carry a ceiling (seq_persisted)
# that it raises only to what it kept: killed, its kernel stops there and
# sends nothing in clear; a module reload in the same boot is known by the
# kernel's instance ID (replay-unknown as after a reboot).
. selftests/lib.sh
. selftests/lib/agent.sh
B=${B:-build}
BIN=$PWD/$B/coapsecd
CLI=$PWD/$B/coapsec
MC="python3 $PWD/selftests/agent_mcast.py"
T=$(mktemp -d /tmp/agent-restart-XXXXXX)
declare -A PID NS
MEMBERS="dev-1 dev-2 dev-3"
declare -A GROUP=([dev-1]=lights [dev-2]=lights [dev-3]=doors)
declare -A MARK=([lights]=1 [doors]=2)

trap 'stop_agents; cleanup_ns; coapsec_unload 2>/dev/null; rm -rf "$T"' EXIT

ktap_header 19
coapsec_load || { ktap_result 1 "coapsec.ko loads"; ktap_finish; }

# ---- topology: devices on a bridge in GW; SRV behind GW
agent_topology gw || exit 1

# ---- configurations (keys in 0600 files)
umask 077
key > "$T/kg"
for d in $MEMBERS; do key > "$T/$d.kx"; key > "$T/$d.km"; done
server_conf() {
	local sep="" d m=""
	for d in "$@"; do
		m="$m$sep{\"id\":\"$d\",\"group\":\"${GROUP[$d]}\",\"identity\":\"$d@in-cse\",\"key_file\":\"$T/$d.kx\"}"
		sep=,
	done
	cat > "$T/server.json.new" <<-EOF
	{"role":"server","id":"in-cse","listen":"10.0.6.1:5684","db":"$T/registry.db",
	 "contexts_file":"$T/server.ctx","kernel":true,"grace_s":5,"seq_soft_limit":1024,
	 "policies":[{"direction":"in","family":"inet","action":"require"},
	  {"context":"pairwise:dev-1","direction":"out","dst":"10.0.5.1/32","action":"protect"}],
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

# NAME OWNER-SUFFIX FIELD: a field of the current context of that owner
kfield() { ip netns exec "${NS[$1]}" "$CLI" -j context show 2>/dev/null | jq -r --arg o "$2" '.[] | select(.state=="current" and (.owner // "" | endswith($o))) | .'"$3"; }

agents_up 30
owned() {	# NAME OWNER: every context and policy in NAME's kernel carries OWNER/
	ip netns exec "${NS[$1]}" "$CLI" -j context show 2>/dev/null |
		jq -e --arg o "$2/" 'length > 0 and all(.[]; (.owner // "") | startswith($o))' > /dev/null &&
	ip netns exec "${NS[$1]}" "$CLI" -j policy show 2>/dev/null |
		jq -e --arg o "$2/" 'length > 0 and all(.[]; (.owner // "") | startswith($o))' > /dev/null
}
for d in $MEMBERS; do owned $d coapsecd:device:$d || { ok=0; ksft_diag "$d: $(ip netns exec "${NS[$d]}" "$CLI" context show 2>&1 | head -3)"; }; done
owned gw coapsecd:gateway:gw1 || ok=0
owned server coapsecd:server:in-cse || ok=0
[ "$(kcur server | grep -c '/pairwise:')" = 3 ] || ok=0
ktap_check "agents pushed their contexts and policies, each with its owner tag" [ $ok = 1 ]

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
# ---- kill -9 and start again: the new instance takes its contexts over
restart() {	# NAME: SIGKILL, then start again with a fresh log
	kill -KILL "${PID[$1]}" 2>/dev/null
	wait "${PID[$1]}" 2>/dev/null
	mv "$T/$1.log" "$T/$1.log.$(date +%s%N)"
	start "$1"
}
before=$(kcur dev-1)
restart dev-1
ok=1
wait_log dev-1 "contexts installed" 30 || { ok=0; ksft_diag "dev-1: not installed again"; }
after=$(kcur dev-1)
[ "$after" = "$before" ] || { ok=0; ksft_diag "dev-1 before: $(echo "$before" | tr '\n' ';') after: $(echo "$after" | tr '\n' ';')"; }
[ "$(echo "$after" | grep -c .)" = 2 ] || ok=0
echo "$after" | grep -q ' coapsecd:device:dev-1/pairwise:dev-1$' || ok=0
echo "$after" | grep -q ' coapsecd:device:dev-1/group:lights$' || ok=0
owned dev-1 coapsecd:device:dev-1 || { ok=0; ksft_diag "dev-1: a context without its owner tag"; }
grep -q "the kernel refused" "$T/dev-1.log" && { ok=0; ksft_diag "dev-1: $(grep "the kernel refused" "$T/dev-1.log" | head -2)"; }
ktap_check "device killed (SIGKILL) and started again: it takes its 2 contexts over, nothing stale" [ $ok = 1 ]

# The gateway learns its groups again from its members' reports: they
# start again too (a device does not notice a gateway that restarted).
before=$(kcur gw)
restart gw
wait_log gw "listening" 10
for d in dev-1 dev-2 dev-3; do restart $d; done
ok=1
for ((i = 0; i < 600; i++)); do
	[ "$(grep -c 'group:.* adopted: context' "$T/gw.log")" -ge 2 ] && break
	sleep 0.1
done
after=$(kcur gw)
[ "$after" = "$before" ] || { ok=0; ksft_diag "gateway before: $(echo "$before" | tr '\n' ';') after: $(echo "$after" | tr '\n' ';')"; }
owned gw coapsecd:gateway:gw1 || ok=0
settled dev-1 dev-2 dev-3 || { ok=0; ksft_diag "devices and the restarted gateway disagree"; }
ktap_check "gateway killed and started again: it takes both group contexts over; devices follow its new epochs" [ $ok = 1 ]

# ---- a push the kernel refuses: counted, retried, never "installed"
kill "${PID[dev-3]}"
wait "${PID[dev-3]}" 2>/dev/null
mv "$T/dev-3.log" "$T/dev-3.log.1"
head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T/foreign"
# Someone else's context holds (KsxId, kid 00): dev-3's pairwise clashes.
ip netns exec "${NS[dev-3]}" "$CLI" context add alg 10 secret "$T/foreign" \
	sender-id 07 recipient-id 00 id-context "$(printf dev-3@in-cse | od -An -tx1 | tr -d ' \n')" > /dev/null
foreign=$(ip netns exec "${NS[dev-3]}" "$CLI" -j context show | jq -r '.[0].id')
start dev-3
ok=1
wait_log dev-3 "contexts not installed" 60 || { ok=0; ksft_diag "dev-3: no failure reported"; }
sleep 2
grep -q "contexts installed" "$T/dev-3.log" && { ok=0; ksft_diag "dev-3 said installed while refused"; }
kill -USR1 "${PID[dev-3]}"
wait_log dev-3 '"push_failed":[1-9]' 5 || { ok=0; ksft_diag "dev-3: push_failed not counted: $(grep ' stats ' "$T/dev-3.log" | tail -1)"; }
ip netns exec "${NS[dev-3]}" "$CLI" context del "$foreign"
wait_log dev-3 "contexts installed" 40 || { ok=0; ksft_diag "dev-3: not installed after the clash went"; }
[ "$(kcur dev-3 | grep -c .)" = 2 ] || { ok=0; ksft_diag "dev-3 holds $(kcur dev-3 | tr '\n' ';')"; }
ktap_check "a push the kernel refuses is logged, counted and retried; installed only once it went in" [ $ok = 1 ]

# ---- the gateway reloads its members on SIGHUP
gw_conf() {	# MEMBERS...
	local d m=""
	for d in "$@"; do m="$m${m:+,}{\"id\":\"$d\",\"identity\":\"$d@gw1\",\"key_file\":\"$T/$d.km\"}"; done
	jq --argjson m "[$m]" '.members = $m' "$T/gw.json" > "$T/gw.json.new" && mv "$T/gw.json.new" "$T/gw.json"
}
gw_conf dev-1 dev-3
kill -HUP "${PID[gw]}"
ok=1
wait_log gw "members reloaded: 2 (0 added, 1 removed)" 5 || { ok=0; ksft_diag "gateway: $(grep -i reload "$T/gw.log" | tail -2)"; }
restart dev-2
sleep 6
grep -q "contexts installed" "$T/dev-2.log" && { ok=0; ksft_diag "dev-2 joined a gateway that no longer lists it"; }
gw_conf $MEMBERS
kill -HUP "${PID[gw]}"
wait_log gw "members reloaded: 3 (1 added, 0 removed)" 5 || ok=0
wait_log dev-2 "contexts installed" 40 || { ok=0; ksft_diag "dev-2 not back after the second reload"; }
ktap_check "gateway SIGHUP: a member taken out cannot join, put back it can" [ $ok = 1 ]

# The server's pairwise context to dev-1 protects what it sends there.
send_dev1() {	# N: protected NON POSTs from the server to dev-1 (drops ignored)
	ip netns exec "$SRV" python3 -c 'import socket,sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for k in range(int(sys.argv[1])):
    try:
        s.sendto(bytes([0x51, 2, 0, k & 0xff, 0x42, 0xb3]) + b"cmd\xffseq", ("10.0.5.1", 5683))
    except OSError:
        pass	# dropped by coapsec (EPERM): counted there' "$1"
}
send_dev1 40
sleep 0.5
s1=$(kfield server /pairwise:dev-1 seq)
id1=$(kfield server /pairwise:dev-1 id)
ckpt() { sqlite3 "$T/registry.db" "SELECT seq FROM checkpoints WHERE name = 'pairwise:${1:-dev-1}'"; }
c1=$(ckpt)
ok=1
[ -n "$s1" ] && [ "$s1" -ge 40 ] && [ "${c1:-0}" -gt "$s1" ] || ok=0
[ "$(stat -c %a "$T/registry.db" 2>/dev/null)" = 600 ] || { ok=0; ksft_diag "registry: $(ls -l "$T/registry.db" 2>&1)"; }
[ ! -e "$T/registry.db.seq" ] || { ok=0; ksft_diag "a registry.db.seq beside the registry"; }
ktap_check "server: the checkpoint kept in the registry for pairwise:dev-1 ($c1) lies above its sequence number ($s1)" [ $ok = 1 ]
# The ceiling: pushed as the checkpoint kept, raised as traffic crosses
# checkpoints (K = 1024 / 16 = 64), always the value kept first.
sp1=$(kfield server /pairwise:dev-1 seq_persisted)
# Namespace-wide: a context's own counters go with it at a swap.
nsunp() { ip netns exec "$SRV" "$CLI" -j stats 2>/dev/null | jq -r .seq_unpersisted; }
un1=$(nsunp)
ok=1
[ "${sp1:-null}" != null ] && [ "$sp1" = "$c1" ] || ok=0
send_dev1 200
for ((i = 0; i < 50; i++)); do
	sleep 0.1
	[ "$(kfield server /pairwise:dev-1 seq_persisted)" = "$(ckpt)" ] && break
done
sp2=$(kfield server /pairwise:dev-1 seq_persisted)
s4=$(kfield server /pairwise:dev-1 seq)
# Each of the 200 went out with the next number, or (on a loaded host,
# when traffic outran the agent's checkpoint) was dropped at the ceiling
# and counted: none lost unaccounted.
un4=$(nsunp)
[ "${sp2:-null}" != null ] && [ "$sp2" -gt "${sp1:-0}" ] && [ "$sp2" = "$(ckpt)" ] &&
	[ $((${s4:-0} - s1 + un4 - un1)) -eq 200 ] && [ "$s4" -lt "$sp2" ] || ok=0
ktap_check "server: pairwise:dev-1 carries seq_persisted = the kept checkpoint, raised as traffic crosses checkpoints ($sp1 -> $sp2, seq $s4)" [ $ok = 1 ]
[ $ok = 1 ] || ksft_diag "seq_persisted $sp1 -> $sp2, checkpoint $c1 -> $(ckpt), seq $s1 -> $s4"
# ---- SIGKILL: nobody persists, the kernel stops at the ceiling
kill -KILL "${PID[server]}"
wait "${PID[server]}" 2>/dev/null
kid=$(kfield server /pairwise:dev-1 id)
over=10
n=$((sp2 - s4 + over))
# Every frame the server's namespace sends while it tries: none plain.
ip netns exec "$SRV" python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.settimeout(0.2)
plain = 0
end = time.time() + float(sys.argv[1])
while time.time() < end:
    try:
        f = s.recv(65535)
    except socket.timeout:
        continue
    plain += b"cmd\xffseq" in f
open(sys.argv[2], "w").write(str(plain))' 4 "$T/plain" &
cap=$!
sleep 0.5
un5=$(nsunp)
send_dev1 "$n"
wait $cap
sleep 0.2
s5=$(kfield server /pairwise:dev-1 seq)
un=$(($(nsunp) - un5))
ok=1
[ "$s5" = "$sp2" ] && [ "$un" = "$over" ] && [ "$(cat "$T/plain" 2>/dev/null)" = 0 ] || ok=0
ktap_check "server SIGKILLed: the kernel stops pairwise:dev-1 at its ceiling $sp2 ($over messages beyond it dropped, seq_unpersisted $un, none in clear)" [ $ok = 1 ]
[ $ok = 1 ] || ksft_diag "seq $s4 -> $s5 (ceiling $sp2), seq_unpersisted $un, plain frames $(cat "$T/plain" 2>&1)"
before=$(kcur server)
mv "$T/server.log" "$T/server.log.$(date +%s%N)"
start server
ok=1
wait_log server "started" 10 || ok=0
after=$(kcur server)
[ "$after" = "$before" ] || { ok=0; ksft_diag "server before: $(echo "$before" | tr '\n' ';') after: $(echo "$after" | tr '\n' ';')"; }
owned server coapsecd:server:in-cse || ok=0
send_dev1 5
sleep 0.5
s2=$(kfield server /pairwise:dev-1 seq)
[ "$(kfield server /pairwise:dev-1 id)" = "$id1" ] && [ "${s2:-0}" -ge $((s1 + 5)) ] ||
	{ ok=0; ksft_diag "pairwise:dev-1: id $id1 -> $(kfield server /pairwise:dev-1 id), seq $s1 -> $s2"; }
ktap_check "server killed and started again: its pairwise contexts taken over, dev-1's sequence goes on ($s1 -> $s2)" [ $ok = 1 ]

# ---- the registry refuses writes (another process holds it locked):
# the kernel stops at its ceiling, nothing in clear; once the registry
# takes writes again the agent's retry raises it and traffic goes on
sp=$(kfield server /pairwise:dev-1 seq_persisted)
s7=$(kfield server /pairwise:dev-1 seq)
kid=$(kfield server /pairwise:dev-1 id)
unp() { nsunp; }
u0=$(unp)
rm -f "$T/locked" "$T/unlock"
# Held for 8 s, well past the agent's 2 s busy timeout, so that its
# checkpoint write fails, and on until the checks below are read (at
# most 120 s): on a slow (debug) kernel the sends outlast any fixed hold.
python3 -c 'import os, sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
open(sys.argv[2], "w").write("1")
start = time.monotonic()
while time.monotonic() < start + 120 and (time.monotonic() < start + 8 or
                                          not os.path.exists(sys.argv[3])):
    time.sleep(0.1)
c.execute("ROLLBACK")' "$T/registry.db" "$T/locked" "$T/unlock" &
locker=$!
for ((i = 0; i < 100; i++)); do [ -s "$T/locked" ] && break; sleep 0.1; done
send_dev1 $((sp - s7 + 5))
sleep 0.5
s8=$(kfield server /pairwise:dev-1 seq)
u1=$(unp)
touch "$T/unlock"
wait $locker
for ((i = 0; i < 100; i++)); do
	[ "$(kfield server /pairwise:dev-1 seq_persisted)" -gt "$sp" ] && break
	sleep 0.1
done
sp9=$(kfield server /pairwise:dev-1 seq_persisted)
send_dev1 3
s9=$(kfield server /pairwise:dev-1 seq)
kill -USR1 "${PID[server]}"
ok=1
wait_log server '"checkpoint_failed":[1-9]' 5 || ok=0
[ "$s8" = "$sp" ] && [ $((u1 - u0)) -ge 5 ] && [ "$sp9" -gt "$sp" ] &&
	[ "$sp9" = "$(ckpt)" ] && [ "$s9" -ge $((sp + 3)) ] || ok=0
ktap_check "registry locked: pairwise:dev-1 stops at its ceiling $sp ($((u1 - u0)) dropped); unlocked: raised to $sp9 by the retry, traffic goes on" [ $ok = 1 ]
[ $ok = 1 ] || ksft_diag "seq $s7 -> $s8 -> $s9, ceiling $sp -> $sp9, checkpoint $(ckpt), unpersisted $u0 -> $u1; server: $(grep -E 'registry|checkpoint|stats' "$T/server.log" | tail -4 | tr '\n' ';')"

# ---- a context deleted behind the server's back: a reload installs it
# again above its checkpoint, replay-unknown (its windows are gone), never
# where the lost one started (RFC 8613 B.1.1)
kid=$(kfield server /pairwise:dev-2 id)
c3=$(ckpt dev-2)
req=$(ip netns exec "$SRV" "$CLI" -j policy show | jq -r '.[] | select(.action == "require") | .id')
ip netns exec "$SRV" "$CLI" context del "$kid"
ip netns exec "$SRV" "$CLI" policy del "$req"
kill -HUP "${PID[server]}"
ok=1
wait_log server "configuration reloaded" 10 || ok=0
# its require policy, deleted too, is back: plain CoAP stays out
ip netns exec "$SRV" "$CLI" -j policy show | jq -e --arg o coapsecd:server:in-cse/ \
	'[.[] | select(.action == "require" and (.owner | startswith($o)))] | length == 1' > /dev/null || ok=0
nid=$(kfield server /pairwise:dev-2 id)
s6=$(kfield server /pairwise:dev-2 seq)
[ -n "$nid" ] && [ "${s6:-0}" -ge "${c3:-1}" ] &&
	[ "$(kfield server /pairwise:dev-2 'flags | index("replay-unknown") != null')" = true ] &&
	[ "$(kfield server /pairwise:dev-2 seq_persisted)" = "$(ckpt dev-2)" ] &&
	[ "$(ckpt dev-2)" -gt "$s6" ] || ok=0
kill -USR1 "${PID[server]}"
wait_log server '"lost":1' 5 || ok=0
ktap_check "a context and a policy deleted behind the server's back come back on SIGHUP, the context at or above its checkpoint ($c3), replay-unknown" [ $ok = 1 ]
[ $ok = 1 ] || ksft_diag "pairwise:dev-2: context $kid -> ${nid:-none}, seq ${s6:-none}, checkpoint $c3 -> $(ckpt dev-2): $(ip netns exec "$SRV" "$CLI" -j context show | jq -c '[.[] | {id, seq, seq_persisted, flags, owner}]')"

# ---- a device's kernel flushed behind its back: its keys keep no
# checkpoint, so SIGHUP brings fresh ones (a new Ks, a new doors epoch),
# never the same keys from sequence 0
fp0=$(ctx dev-3 pairwise:dev-3 sender_key_fp)
e0=$(ctx dev-3 group:doors epoch)
ip netns exec "${NS[dev-3]}" "$CLI" flush
kill -HUP "${PID[dev-3]}"
ok=1
for ((i = 0; i < 300; i++)); do
	[ "$(ctx dev-3 pairwise:dev-3 sender_key_fp)" != "$fp0" ] &&
		[ "$(ctx dev-3 group:doors epoch)" -gt "$e0" ] &&
		[ "$(kctx dev-3)" = 2 ] && break
	sleep 0.1
done
[ "$(ctx dev-3 pairwise:dev-3 sender_key_fp)" != "$fp0" ] || { ok=0; ksft_diag "dev-3: the same pairwise keys again"; }
[ "$(ctx dev-3 group:doors epoch)" -gt "$e0" ] || { ok=0; ksft_diag "dev-3: doors epoch $e0 -> $(ctx dev-3 group:doors epoch)"; }
[ "$(kctx dev-3)" = 2 ] && owned dev-3 coapsecd:device:dev-3 &&
	[ "$(ip netns exec "${NS[dev-3]}" "$CLI" -j policy show | jq length)" = 2 ] ||
	{ ok=0; ksft_diag "dev-3 holds: $(kcur dev-3 | tr '\n' ';') policies $(ip netns exec "${NS[dev-3]}" "$CLI" -j policy show | jq -c '[.[] | .action]')"; }
ktap_check "a device's kernel flushed behind its back: SIGHUP brings a new Ks and a new group epoch, and its policies back" [ $ok = 1 ]

# ---- the gateway's kernel flushed behind its back: both groups come back
# with new epochs (never the lost keys from sequence 0), its members follow
el=$(ctx gw group:lights epoch)
ed=$(ctx gw group:doors epoch)
ip netns exec "${NS[gw]}" "$CLI" flush
kill -HUP "${PID[gw]}"
ok=1
for ((i = 0; i < 300; i++)); do
	[ "$(ctx gw group:lights epoch)" -gt "$el" ] && [ "$(ctx gw group:doors epoch)" -gt "$ed" ] &&
		[ "$(kctx gw)" = 2 ] && break
	sleep 0.1
done
[ "$(ctx gw group:lights epoch)" -gt "$el" ] && [ "$(ctx gw group:doors epoch)" -gt "$ed" ] ||
	{ ok=0; ksft_diag "gateway epochs: lights $el -> $(ctx gw group:lights epoch), doors $ed -> $(ctx gw group:doors epoch)"; }
[ "$(kctx gw)" = 2 ] && owned gw coapsecd:gateway:gw1 &&
	[ "$(ip netns exec "${NS[gw]}" "$CLI" -j policy show | jq length)" = 2 ] ||
	{ ok=0; ksft_diag "gateway holds: $(kcur gw | tr '\n' ';')"; }
settled dev-1 dev-2 dev-3 || { ok=0; ksft_diag "members and the gateway disagree after its flush"; }
ktap_check "the gateway's kernel flushed behind its back: SIGHUP brings new epochs of both groups, its policies back; members follow" [ $ok = 1 ]

# ---- a module reload in the same boot: the kernel's replay windows are
# gone though the boot ID is the same; the instance ID tells
stop_agents
ok=1
[ "$(sqlite3 "$T/registry.db" "SELECT replay_unknown FROM checkpoints WHERE name = 'pairwise:dev-1'")" = 0 ] || ok=0
coapsec_unload && coapsec_load || ok=0
mv "$T/server.log" "$T/server.log.$(date +%s%N)"
start server
wait_log server "restored from the registry" 10 || ok=0
sleep 0.5
[ "$(kfield server /pairwise:dev-1 'flags | index("replay-unknown") != null')" = true ] || ok=0
sp=$(kfield server /pairwise:dev-1 seq_persisted)
[ "${sp:-null}" != null ] && [ "$(kfield server /pairwise:dev-1 seq)" -lt "$sp" ] || ok=0
ktap_check "module reloaded without a reboot: the server's kept keys come back replay-unknown" [ $ok = 1 ]
[ $ok = 1 ] || ksft_diag "server after the reload: $(ip netns exec "$SRV" "$CLI" -j context show | jq -c '[.[] | {id, seq, seq_persisted, flags, owner}]')"

# ---- the agents remove what they installed
stop_agents
left=0
for n in gw server $MEMBERS; do left=$((left + $(kctx $n))); done
ktap_check "stopped agents leave no context in the kernel" [ "$left" = 0 ]

# ---- a host restart: the kernel forgets, the checkpoints (from another
# boot) remember; the server's kept keys start above the checkpoint and
# refuse requests (their replay windows are lost, RFC 8613 B.1.2).  They
# come from an upgrade: moved out of the registry into the DB.seq file
# an earlier version kept them in, which the server imports once.
c2=$(ckpt)
sqlite3 -json "$T/registry.db" "SELECT name, key_fp, seq, replay_unknown FROM checkpoints" |
	jq '{contexts: (map({(.name): {key_fp, seq_start: .seq,
		boot_id: "00000000-0000-0000-0000-000000000000",
		replay_unknown: (.replay_unknown != 0)}}) | add)}' > "$T/registry.db.seq" &&
	sqlite3 "$T/registry.db" "DELETE FROM checkpoints"
ok=1
[ "$(jq '.contexts | length' "$T/registry.db.seq")" -ge 1 ] && [ -z "$(ckpt)" ] ||
	{ ok=0; ksft_diag "sidecar: $(cat "$T/registry.db.seq")"; }
coapsec_unload && coapsec_load || ok=0
mv "$T/server.log" "$T/server.log.2"
start server
wait_log server "restored from the registry" 10 || { ok=0; ksft_diag "server restored nothing"; }
s3=$(kfield server /pairwise:dev-1 seq)
[ "${s3:-0}" -ge "$c2" ] || { ok=0; ksft_diag "pairwise:dev-1 starts at $s3, checkpoint $c2"; }
[ "$(kfield server /pairwise:dev-1 'flags | index("replay-unknown") != null')" = true ] || ok=0
[ "$(kcur server | grep -c '/pairwise:')" = 3 ] || ok=0
send_dev1 3
[ "$(kfield server /pairwise:dev-1 seq)" -ge $((c2 + 3)) ] || ok=0
[ $ok = 1 ] || ksft_diag "server after the restart: $(ip netns exec "$SRV" "$CLI" -j context show | jq -c '[.[] | {id, seq, flags, owner}]')"
# imported: in the registry again, the file gone
[ ! -e "$T/registry.db.seq" ] && [ "$(ckpt)" -ge "$c2" ] &&
	grep -q "sequence checkpoint(s) imported into the registry" "$T/server.log" ||
	{ ok=0; ksft_diag "import: file $(ls "$T"/registry.db.seq 2>&1), registry $(ckpt)"; }
ktap_check "host restart after an upgrade: DB.seq imported, pairwise contexts re-created at or above the checkpoint ($c2), replay-unknown" [ $ok = 1 ]
stop_agents
ktap_check "the stopped server leaves no context" [ "$(kctx server)" = 0 ]

# ---- keys near the end of their sequence space: the ceiling two
# intervals ahead would pass COAPSEC_SEQ_MAX; the kernel gets SEQ_MAX
max=$(((1 << 40) - 1))
sqlite3 "$T/registry.db" "UPDATE checkpoints SET seq = $((max - 10)) WHERE name = 'pairwise:dev-1'"
mv "$T/server.log" "$T/server.log.3"
start server
ok=1
wait_log server "restored from the registry" 10 || ok=0
[ "$(kfield server /pairwise:dev-1 seq_persisted)" = "$max" ] &&
	[ "$(kfield server /pairwise:dev-1 seq)" -ge $((max - 10)) ] || ok=0
grep -q "pairwise:dev-1: the kernel refused" "$T/server.log" && ok=0
ktap_check "kept keys 10 numbers before the end of their space: installed with the ceiling at SEQ_MAX" [ $ok = 1 ]
[ $ok = 1 ] || ksft_diag "server: $(grep -i 'dev-1' "$T/server.log" | tail -3 | tr '\n' ';')"
stop_agents
# What it kept now passes SEQ_MAX: those keys have nothing left to send.
mv "$T/server.log" "$T/server.log.4"
start server
ok=1
wait_log server "started" 10 || ok=0
grep -q "member dev-1: its Ks has used up its sequence numbers" "$T/server.log" || ok=0
kcur server | grep -q '/pairwise:dev-1$' && ok=0
[ "$(sqlite3 "$T/registry.db" "SELECT ks IS NULL FROM members WHERE id = 'dev-1'")" = 1 ] || ok=0
ktap_check "kept keys whose checkpoint passed SEQ_MAX: forgotten, not installed (a new Ks at the next join)" [ $ok = 1 ]
[ $ok = 1 ] || ksft_diag "server: $(grep -i 'dev-1' "$T/server.log" | tail -3 | tr '\n' ';') registry: $(sqlite3 "$T/registry.db" "SELECT id, ks IS NULL FROM members")"
stop_agents
[ "$KSFT_FAIL" = 0 ] || { for f in "$T"/*.log; do echo "# --- $f"; grep -v " stats \|authenticated (inner)\|join refused\|unknown member" "$f" | tail -25 | sed 's/^/# /'; done; }
ktap_finish
