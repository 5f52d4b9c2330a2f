#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Two gateways serving one group, with the kernel: gw1 and gw2 sit on
# one bridge with the group's members (dev-1 joined through gw1, dev-2
# through gw2), the server behind gw1.  The server gives each gateway
# its own sender ID in "lights"; both gateways send group commands,
# every member verifies both (its policy requires protection), and a
# capture of the bridge shows no (kid, Partial IV) repeated under one
# key.  A third gateway with valid credentials but no member (gw3)
# asks the server for lights' keys, a rekey and a member's Ks first,
# and gets none of them: the members' traffic goes on.
. selftests/lib.sh
. selftests/lib/agent.sh
B=${B:-build}
BIN=$PWD/$B/coapsecd
CLI=$PWD/$B/coapsec
MC="python3 $PWD/selftests/agent_mcast.py"
T=$(mktemp -d /tmp/agent-multigw-XXXXXX)
declare -A PID NS
MEMBERS="dev-1 dev-2"
declare -A GWOF=([dev-1]=gw1 [dev-2]=gw2)
declare -A GWADDR=([gw1]=10.0.5.254 [gw2]=10.0.5.253)

trap 'stop_agents; cleanup_ns; coapsec_unload 2>/dev/null; rm -rf "$T"' EXIT

ktap_header 6
coapsec_load || { ktap_result 1 "coapsec.ko loads"; ktap_finish; }

# ---- topology: bridge br0 in GW (gw1) with dev-1, dev-2 and GW2 (gw2)
# on it; SRV behind GW.
agent_topology gw1 || exit 1
setup_ns GW2 || exit 1
NS[gw2]=$GW2
ip link add g2 netns "$GW" type veth peer name eth0 netns "$GW2"
ip -n "$GW" link set g2 master br0 up
ip -n "$GW2" addr add 10.0.5.253/24 dev eth0
ip -n "$GW2" link set eth0 up
ip -n "$GW2" route add 10.0.6.0/24 via 10.0.5.254
ip -n "$GW2" route add 224.0.0.0/4 dev eth0

# ---- configurations (keys in 0600 files)
umask 077
key > "$T/gw1.kg"
key > "$T/gw2.kg"
G3_TEXT=rogue-gateway-psk-3
printf %s "$G3_TEXT" | od -An -tx1 | tr -d ' \n' > "$T/gw3.kg"
for d in $MEMBERS; do key > "$T/$d.kx"; key > "$T/$d.km"; done
m=""
for d in $MEMBERS; do
	m="$m${m:+,}{\"id\":\"$d\",\"group\":\"lights\",\"identity\":\"$d@in-cse\",\"key_file\":\"$T/$d.kx\",\"gateways\":[\"${GWOF[$d]}\"]}"
done
cat > "$T/server.json" <<EOF
{"role":"server","id":"in-cse","listen":"10.0.6.1:5684","db":"$T/registry.db",
 "contexts_file":"$T/server.ctx","kernel":true,"grace_s":5,
 "policies":[{"direction":"in","family":"inet","action":"require"}],
 "gateways":[{"id":"gw1","identity":"gw1@in-cse","key_file":"$T/gw1.kg"},
  {"id":"gw2","identity":"gw2@in-cse","key_file":"$T/gw2.kg"},
  {"id":"gw3","identity":"gw3@in-cse","key_file":"$T/gw3.kg"}],
 "groups":[{"name":"lights"}],
 "members":[$m]}
EOF
for g in gw1 gw2; do
	gm=""
	for d in $MEMBERS; do
		[ "${GWOF[$d]}" = $g ] || continue
		gm="$gm${gm:+,}{\"id\":\"$d\",\"identity\":\"$d@$g\",\"key_file\":\"$T/$d.km\"}"
	done
	cat > "$T/$g.json" <<-EOF
	{"role":"gateway","id":"$g","listen":"${GWADDR[$g]}:5684","contexts_file":"$T/$g.ctx",
	 "kernel":true,"grace_s":5,
	 "policies":[{"context":"group:lights","direction":"out","dst":"224.0.1.187/32","mark":1,"action":"protect"}],
	 "server":{"address":"10.0.6.1:5684","identity":"$g@in-cse","key_file":"$T/$g.kg"},
	 "members":[$gm]}
	EOF
done
for d in $MEMBERS; do
	g=${GWOF[$d]}
	cat > "$T/$d.json" <<-EOF
	{"role":"device","id":"$d","contexts_file":"$T/$d.ctx","kernel":true,"grace_s":5,
	 "policies":[{"direction":"in","family":"inet","action":"require"}],
	 "gateway":{"address":"${GWADDR[$g]}:5684","id":"$g","identity":"$d@$g","key_file":"$T/$d.km"},
	 "server_credential":{"identity":"$d@in-cse","key_file":"$T/$d.kx"}}
	EOF
done

kstat() { ip netns exec "${NS[$1]}" "$CLI" -j stats 2>/dev/null | jq "$2"; }

start server
wait_log server started 10
start gw1
start gw2
for d in $MEMBERS; do start $d; done
ok=1
for d in $MEMBERS gw1 gw2; do wait_log $d "contexts installed" 30 || { ok=0; ksft_diag "$d: no contexts"; }; done
for n in $MEMBERS gw1 gw2; do [ "$(kctx $n)" = "$( [ ${n#dev} != $n ] && echo 2 || echo 1)" ] || { ok=0; ksft_diag "$n: kernel holds $(kctx $n) contexts"; }; done
ktap_check "two gateways of one group and its members authenticated and pushed contexts" [ $ok = 1 ]

# Every member verifies both gateways.
settled() {
	local i d g ok
	for ((i = 0; i < 150; i++)); do
		ok=1
		for d in dev-1 dev-2; do
			for g in gw1 gw2; do
				verifies $d $g group:lights || ok=0
			done
			kernel_has $d group:lights || ok=0
		done
		kernel_has gw1 group:lights && kernel_has gw2 group:lights || ok=0
		[ $ok = 1 ] && return 0
		sleep 0.1
	done
	return 1
}
settled || ksft_diag "members and gateways disagree on lights"
s1=$(ctx gw1 group:lights sender_id) s2=$(ctx gw2 group:lights sender_id)
ksft_diag "lights: gw1 sends as $s1, gw2 as $s2; dev-1 $(ctx dev-1 group:lights sender_id), dev-2 $(ctx dev-2 group:lights sender_id)"
ktap_check "each gateway has its own sender ID in lights, and every member verifies both" \
	eval '[ -n "$s1" ] && [ -n "$s2" ] && [ "$s1" != "$s2" ] && settled'

# ---- gw3: valid credentials, no member: gets nothing
rogue() {	# PATH JSON
	ip netns exec "$GW2" timeout 20 coap-client-openssl -B 10 -u gw3@in-cse -k "$G3_TEXT" \
		-m post -t 50 -e "$2" "coaps://10.0.6.1:5684$1" 2>&1
}
gid=$(ctx dev-1 group:lights id_context)
r1=$(rogue /ga/report '{"gateway":"gw3","members":["dev-1","dev-2"]}')
r2=$(rogue /ga/group '{"name":"lights","restart":true}')
r3=$(rogue /ga/rekey-request '{"group":"lights"}')
ksft_diag "gw3: report: $r1"
ksft_diag "gw3: group: $r2; rekey: $r3"
ok=1
jq -e '.refused == ["dev-1","dev-2"] and .members == []' <<<"$r1" >/dev/null || ok=0
grep -q "secret" <<<"$r2$r3" && ok=0
grep -q "serves no member" <<<"$r2" && grep -q "serves no member" <<<"$r3" || ok=0
[ "$(grep -c "gateway gw3 refused" "$T/server.log")" = 4 ] || { ok=0; ksft_diag "server log: $(grep -c "gateway gw3 refused" "$T/server.log") refusals"; }
[ "$(ctx dev-1 group:lights id_context)" = "$gid" ] || { ok=0; ksft_diag "lights rekeyed"; }
ktap_check "gw3 (valid PSK, serves no member) gets no Rand, no keys and no rekey, each refusal logged" [ $ok = 1 ]

# ---- both gateways send to the group; the bridge is captured
ip netns exec "$GW" dumpcap -q -i br0 -f "udp port 5683" -w "$T/br0.pcapng" 2>/dev/null &
CAP=$!
# dumpcap starts slowly under emulation: wait for its file first.
for ((i = 0; i < 300; i++)); do [ -s "$T/br0.pcapng" ] && break; sleep 0.1; done
broadcast 60
sleep 1
v0=$(( $(kstat dev-1 .verified) + $(kstat dev-2 .verified) ))
ip netns exec "$GW" $MC send 10.0.5.254 1 0 5 50 gw1-lights &
s1p=$!
ip netns exec "$GW2" $MC send 10.0.5.253 1 0 5 50 gw2-lights
wait $s1p
heard
kill "$CAP"
wait "$CAP" 2>/dev/null
v1=$(( $(kstat dev-1 .verified) + $(kstat dev-2 .verified) ))
want=$(for g in gw1 gw2; do for k in 0 1 2 3 4; do echo "$g-lights command $k"; done; done)
ok=1
for d in $MEMBERS; do
	[ "$(sort -V "$T/$d.rx")" = "$want" ] || { ok=0; ksft_diag "$d got: $(tr '\n' ';' < "$T/$d.rx")"; }
done
ksft_diag "members' kernels verified $((v1 - v0)) messages"
[ $((v1 - v0)) -ge 20 ] || ok=0
[ $ok = 1 ] || for n in $MEMBERS gw1 gw2; do ksft_diag "$n: $(ip netns exec "${NS[$n]}" "$CLI" -j stats 2>&1 | jq -c '{verified, no_context, auth_failures, replays, policy_drops, protected}')"; done
ktap_check "commands of both gateways verified by every member's kernel (policy: require)" [ $ok = 1 ]

python3 selftests/nonce_check.py "$T/br0.pcapng" > "$T/wire.check" 2>&1
sed 's/^/# /' "$T/wire.check" | grep -v "^# check\|^# count" | head -10
ksft_diag "wire: $(grep '^count' "$T/wire.check")"
ok=1
grep -q "^check br0 kid-piv ok" "$T/wire.check" || ok=0
grep -q "^check br0 nonce ok" "$T/wire.check" || ok=0
grep -q "^check br0 plaintext ok" "$T/wire.check" || ok=0
[ "$(sed -n 's/^count br0 protected //p' "$T/wire.check")" -ge 10 ] 2>/dev/null || ok=0
[ $ok = 1 ] || sed 's/^/# /' "$T/wire.check" | tail -20
ktap_check "the capture shows no (kid, Partial IV) repeated under one group key, and no plaintext" [ $ok = 1 ]

stop_agents
left=0
for n in gw1 gw2 server $MEMBERS; do left=$((left + $(kctx $n))); done
ktap_check "stopped agents leave no context in the kernel" [ "$left" = 0 ]
[ "$KSFT_FAIL" = 0 ] || { for f in "$T"/*.log; do echo "# --- $f"; grep -v " stats \|authenticated (inner)" "$f" | tail -15 | sed 's/^/# /'; done; }
ktap_finish
