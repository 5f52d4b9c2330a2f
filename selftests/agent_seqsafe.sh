#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The server agent never installs a kept Ks at an unknown sequence number,
# and never leaves plain CoAP in while no agent runs.  A server, a gateway
# and two devices on loopback in one netns; only the server pushes into the
# kernel.  A registry written without a kernel (no checkpoints, as by a
# version that never wrote them) is started with one: its issued Ks are
# forgotten, not installed at sequence 0, and the members get new ones.
# A member spelt in a non-NFKC form keeps its pairwise context across a
# SIGKILL and a restart.  A start that fails (its port taken) after an
# earlier instance was killed deletes nothing, and so does a second server
# with kernel true on the same registry; a clean stop deletes the
# contexts and keeps the require policy: plain CoAP stays dropped.
. selftests/lib.sh
. selftests/lib/agent.sh
B=${B:-build}
BIN=${COAPSECD:-$PWD/$B/coapsecd}
CLI=$PWD/$B/coapsec
T=$(mktemp -d /tmp/agent-seqsafe-XXXXXX)
declare -A PID

trap 'stop_agents; cleanup_ns; coapsec_unload 2>/dev/null; rm -rf "$T"' EXIT

ktap_header 7
coapsec_load || { ktap_result 1 "coapsec.ko loads"; ktap_finish; }
setup_ns S || exit 1

umask 077
key > "$T/kg"
for d in dev-1 dev-2; do key > "$T/$d.kx"; key > "$T/$d.km"; done
server_conf() {	# KERNEL: true or false
	# dev-2 in fullwidth letters: NFKC "dev-2"
	cat > "$T/server.json" <<-EOF
	{"role":"server","id":"in-cse","listen":"127.0.0.1:5684","db":"$T/registry.db",
	 "contexts_file":"$T/server.ctx","kernel":$1,"grace_s":5,
	 "policies":[{"direction":"in","family":"inet","action":"require"}],
	 "gateways":[{"id":"gw1","identity":"gw1@in-cse","key_file":"$T/kg"}],
	 "groups":[{"name":"lights"}],
	 "members":[{"id":"dev-1","group":"lights","identity":"dev-1@in-cse","key_file":"$T/dev-1.kx"},
	  {"id":"ｄｅｖ-2","group":"lights","identity":"dev-2@in-cse","key_file":"$T/dev-2.kx"}]}
	EOF
}
cat > "$T/gw.json" <<EOF
{"role":"gateway","id":"gw1","listen":"127.0.0.1:5685","contexts_file":"$T/gw.ctx",
 "server":{"address":"127.0.0.1:5684","identity":"gw1@in-cse","key_file":"$T/kg"},
 "members":[{"id":"dev-1","identity":"dev-1@gw1","key_file":"$T/dev-1.km"},
  {"id":"dev-2","identity":"dev-2@gw1","key_file":"$T/dev-2.km"}]}
EOF
for d in dev-1 dev-2; do
	cat > "$T/$d.json" <<-EOF
	{"role":"device","id":"$d","contexts_file":"$T/$d.ctx",
	 "gateway":{"address":"127.0.0.1:5685","identity":"$d@gw1","key_file":"$T/$d.km"},
	 "server_credential":{"identity":"$d@in-cse","key_file":"$T/$d.kx"}}
	EOF
done

# Every agent in one namespace.
start() {	# NAME
	ip netns exec "$S" "$BIN" -c "$T/$1.json" 2>>"$T/$1.log" &
	PID[$1]=$!
}
stop() { kill "${PID[$1]}" 2>/dev/null; wait "${PID[$1]}" 2>/dev/null; unset "PID[$1]"; }
fresh_log() { [ -f "$T/$1.log" ] && mv "$T/$1.log" "$T/$1.log.$(date +%s%N)"; }
q() { sqlite3 "$T/registry.db" "$1"; }
# "ID OWNER" of each current context of the server, sorted
kmine() { ip netns exec "$S" "$CLI" -j context show 2>/dev/null | jq -r '.[] | select(.state=="current" and ((.owner // "") | startswith("coapsecd:server:in-cse/"))) | "\(.id) \(.owner)"' | sort; }
# "ID SEQ OWNER" of each current pairwise context, sorted
kpair() { ip netns exec "$S" "$CLI" -j context show 2>/dev/null | jq -r '.[] | select(.state=="current" and ((.owner // "") | contains("/pairwise:"))) | "\(.id) \(.seq) \(.owner)"' | sort; }
kctx() { ip netns exec "$S" "$CLI" -j context show 2>/dev/null | jq length; }
krequire() { ip netns exec "$S" "$CLI" -j policy show 2>/dev/null | jq '[.[] | select(.action=="require")] | length'; }
# Whether plain CoAP sent to 127.0.0.1:5683 reaches a socket there.
plain_gets_in() {
	ip netns exec "$S" python3 -c 'import socket
r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
r.bind(("127.0.0.1", 5683)); r.settimeout(1.0)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for k in range(3):
    try:
        s.sendto(bytes([0x51, 2, 0, k, 0x42, 0xb3]) + b"cmd\xffplain", ("127.0.0.1", 5683))
    except OSError:
        pass
try:
    r.recv(100); print("in")
except socket.timeout:
    print("dropped")'
}
keyed() {	# every device has its contexts, and the server both Ks
	local d
	for d in dev-1 dev-2; do wait_log $d "contexts installed" 40 || return 1; done
	[ "$(q "SELECT count(*) FROM members WHERE ks IS NOT NULL")" = 2 ]
}

# ---- a registry written without a kernel: Ks issued, no checkpoint
server_conf false
start server
wait_log server "started" 10
start gw
start dev-1
start dev-2
ok=1
keyed || ok=0
stop_agents
ktap_check "without a kernel: two members keyed, both Ks kept in the registry" [ $ok = 1 ]

# ---- the same registry with a kernel: the Ks with no checkpoint go
server_conf true
fresh_log server
start server
ok=1
wait_log server "started" 10 || ok=0
sleep 0.5
k=$(kpair)
[ -z "$k" ] || { ok=0; ksft_diag "pairwise contexts installed without a checkpoint: $(echo "$k" | tr '\n' ';')"; }
[ "$(q "SELECT count(*) FROM members WHERE ks IS NULL")" = 2 ] || { ok=0; ksft_diag "registry: $(q "SELECT id, ks IS NULL FROM members" | tr '\n' ';')"; }
[ "$(grep -c "has no sequence checkpoint" "$T/server.log")" = 2 ] || ok=0
ktap_check "issued Ks without a sequence checkpoint: not installed, forgotten in the registry" [ $ok = 1 ]

# The members get new Ks: their contexts go in with checkpoints.
for n in gw dev-1 dev-2; do fresh_log $n; done
start gw
start dev-1
start dev-2
ok=1
keyed || ok=0
sleep 0.5
before=$(kpair | cut -d" " -f1,3)
[ "$(echo "$before" | grep -c .)" = 2 ] || ok=0
echo "$before" | grep -q '/pairwise:dev-2$' || ok=0
ktap_check "the members join again: new Ks, both pairwise contexts installed" [ $ok = 1 ]
[ $ok = 1 ] || ksft_diag "kernel: $(echo "$before" | tr '\n' ';')"

# ---- SIGKILL and start again: both taken over, the fullwidth one too
before=$(kmine)
kill -KILL "${PID[server]}"
wait "${PID[server]}" 2>/dev/null
fresh_log server
start server
ok=1
wait_log server "restored from the registry" 10 || ok=0
sleep 0.5
after=$(kmine)
[ "$(echo "$before" | grep -c .)" = 2 ] && [ "$after" = "$before" ] || ok=0
ktap_check "server killed and started again: both pairwise contexts taken over (a non-NFKC member ID too)" [ $ok = 1 ]
[ $ok = 1 ] || ksft_diag "before: $(echo "$before" | tr '\n' ';') after: $(echo "$after" | tr '\n' ';')"

# ---- one registry, one kernel: a second server with kernel true refuses
sed 's/127.0.0.1:5684/127.0.0.1:5694/; s|server.ctx|server2.ctx|' "$T/server.json" > "$T/server2.json"
before=$(kpair | cut -d" " -f1,3)
ip netns exec "$S" timeout 20 "$BIN" -c "$T/server2.json" 2>"$T/server2.log"
rc=$?
ok=1
[ $rc != 0 ] && grep -q 'another coapsecd server with "kernel": true uses the registry' "$T/server2.log" ||
	{ ok=0; ksft_diag "second server: rc $rc: $(tail -2 "$T/server2.log" | tr '\n' ';')"; }
[ -n "$before" ] && [ "$(kpair | cut -d" " -f1,3)" = "$before" ] || { ok=0; ksft_diag "pairwise contexts: $before -> $(kpair | tr '\n' ';')"; }
ktap_check "a second server with kernel true on the same SQLite registry refuses to start; the first keeps its contexts" [ $ok = 1 ]

# ---- killed, then a start that fails (its port taken): nothing deleted
kill -KILL "${PID[server]}"
wait "${PID[server]}" 2>/dev/null
unset "PID[server]"
ip netns exec "$S" python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(100):
    try:
        s.bind(("127.0.0.1", 5684)); break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit(1)
open(sys.argv[1], "w").write("held")
time.sleep(60)' "$T/held" &
holder=$!
for ((i = 0; i < 150; i++)); do [ -s "$T/held" ] && break; sleep 0.1; done
fresh_log server
ip netns exec "$S" timeout 20 "$BIN" -c "$T/server.json" 2>>"$T/server.log"
rc=$?
kill $holder 2>/dev/null
wait $holder 2>/dev/null
ok=1
[ -s "$T/held" ] || { ok=0; ksft_diag "could not take the server's port: $(ip netns exec "$S" ss -uanp 2>&1 | grep 5684)"; }
[ $rc != 0 ] && grep -q "not starting" "$T/server.log" || { ok=0; ksft_diag "second start: rc $rc"; }
[ "$(krequire)" -ge 1 ] || { ok=0; ksft_diag "the require policy went"; }
[ "$(kpair | grep -c .)" = 2 ] || { ok=0; ksft_diag "pairwise contexts: $(kpair | tr '\n' ';')"; }
pl=$(plain_gets_in)
[ "$pl" = dropped ] || { ok=0; ksft_diag "plain CoAP: $pl"; }
ktap_check "a failed start deletes nothing: require policy and contexts stay, plain CoAP dropped" [ $ok = 1 ]

# ---- a clean stop: the keys go, the require policy stays
fresh_log server
start server
wait_log server "started" 10
sleep 0.5
stop server
ok=1
[ "$(kctx)" = 0 ] || { ok=0; ksft_diag "contexts left: $(kctx)"; }
[ "$(krequire)" -ge 1 ] || { ok=0; ksft_diag "the require policy went"; }
pl=$(plain_gets_in)
[ "$pl" = dropped ] || { ok=0; ksft_diag "plain CoAP: $pl"; }
ktap_check "a stopped server leaves no context, keeps its require policy: plain CoAP dropped" [ $ok = 1 ]

[ "$KSFT_FAIL" = 0 ] || { for f in "$T"/*.log; do echo "# --- $f"; grep -v " stats " "$f" | tail -20 | sed 's/^/# /'; done; }
ktap_finish
