#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench-agent: coapsecd's figures, printed and written to
# build/results/bench-agent.json.
#
# 1. DTLS-PSK handshakes per second per server core: the bare mbedTLS
#    baseline (agent/bench/hsbench.c, see README.md there; cookies on)
#    and coapsecd's server role (cookies, CoAP GET /status with a JSON
#    answer, close_notify), measured in the same run with the same
#    pinning: server on CPU 0, load client on CPU 1.  Per core = completed
#    handshakes / server CPU seconds, which holds on a shared machine.
# 2. Time from start to contexts installed for N members (default 1000):
#    server, gateway and N devices (one process, tools: agent/bench/swarm)
#    started together on loopback.
#
# Environment: BENCH_SECS (5), BENCH_SLOTS (32), BENCH_ROUNDS (3),
# BENCH_MEMBERS (1000).
set -eu
B=${B:-build}
D=${BENCH_SECS:-5}
SLOTS=${BENCH_SLOTS:-32}
N=${BENCH_MEMBERS:-1000}
OUT=$B/results/bench-agent.json
T=$(mktemp -d /tmp/coapsecd-bench-XXXXXX)
TCK=$(getconf CLK_TCK)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
mkdir -p "$B/results"
umask 077
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
port() { echo $((20000 + RANDOM % 20000)); }

# ---- 1. handshakes: baseline and agent alternately, ROUNDS times each;
# the medians are reported (the machine is shared).
ROUNDS=${BENCH_ROUNDS:-3}
K=000102030405060708090a0b0c0d0e0f
baseline_round() {	# prints: per_core cpu_us wall
	local P
	P=$(port)
	taskset -c 0 "$B/agent/hsbench" server -p "$P" -k 1 -w 1 -d "$D" > "$T/hs.server" &
	local hp=$!
	sleep 0.2
	taskset -c 1 "$B/agent/hsbench" client -p "$P" -c "$SLOTS" -w 1 \
		-t "$(echo "$D + 1.2" | bc)" > "$T/hs.client"
	wait $hp
	echo "$(grep -o 'per_core_hs_per_s=[0-9.]*' "$T/hs.server" | cut -d= -f2)" \
	     "$(grep -o 'cpu_us_per_hs=[0-9.]*' "$T/hs.server" | cut -d= -f2)" \
	     "$(grep -o ' hs_per_s=[0-9.]*' "$T/hs.server" | cut -d= -f2)"
}
agent_round() {		# prints: per_core cpu_us wall completed errors
	local P sp c0 c1 ok err wall
	P=$(port)
	rm -f "$T"/hs.db*
	printf '%s\n' "{\"role\":\"server\",\"id\":\"bench\",\"listen\":\"127.0.0.1:$P\"," \
		"\"db\":\"$T/hs.db\",\"max_peers\":4096," \
		"\"gateways\":[{\"id\":\"gw\",\"identity\":\"bench-gw\",\"key\":\"$K\"}]," \
		"\"groups\":[{\"name\":\"g\"}]," \
		"\"members\":[{\"id\":\"m\",\"group\":\"g\",\"identity\":\"m\",\"key\":\"$K\"}]}" > "$T/hs.json"
	taskset -c 0 "$B/coapsecd" -c "$T/hs.json" 2>"$T/hs.log" &
	sp=$!
	for ((i = 0; i < 100; i++)); do grep -q started "$T/hs.log" && break; sleep 0.05; done
	c0=$(cpu_ticks $sp)
	taskset -c 1 "$B/agent/dtls_probe" bench "$P" "$SLOTS" "$D" bench-gw "$K" > "$T/probe"
	c1=$(cpu_ticks $sp)
	kill $sp; wait $sp 2>/dev/null || true
	ok=$(grep -o 'ok=[0-9]*' "$T/probe" | cut -d= -f2)
	err=$(grep -o 'err=[0-9]*' "$T/probe" | cut -d= -f2)
	wall=$(grep -o 'hs_per_s=[0-9.]*' "$T/probe" | cut -d= -f2)
	awk -v ok="$ok" -v t=$((c1 - c0)) -v tck="$TCK" -v wall="$wall" -v err="$err" \
		'BEGIN { s = t / tck; if (s <= 0) s = 1e-9;
			 printf "%.0f %.2f %s %d %d\n", ok / s, 1e6 * s / (ok ? ok : 1), wall, ok, err }'
}
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
: > "$T/base.runs"; : > "$T/agent.runs"
for ((r = 0; r < ROUNDS; r++)); do
	baseline_round >> "$T/base.runs"
	agent_round >> "$T/agent.runs"
done
base=$(cut -d' ' -f1 "$T/base.runs" | median)
base_us=$(cut -d' ' -f2 "$T/base.runs" | median)
base_wall=$(cut -d' ' -f3 "$T/base.runs" | median)
agent=$(cut -d' ' -f1 "$T/agent.runs" | median)
agent_us=$(cut -d' ' -f2 "$T/agent.runs" | median)
agent_wall=$(cut -d' ' -f3 "$T/agent.runs" | median)
ok=$(awk '{s += $4} END {print s}' "$T/agent.runs")
err=$(awk '{s += $5} END {print s}' "$T/agent.runs")
ratio=$(awk -v a="$agent" -v b="$base" 'BEGIN {printf "%.3f", a / b}')
base_all=$(cut -d' ' -f1 "$T/base.runs" | paste -sd,)
agent_all=$(cut -d' ' -f1 "$T/agent.runs" | paste -sd,)

# ---- 2. startup with N members
SP=$(port) GP=$((SP + 1))
groups=$(( (N + 61) / 62 ))
{
	printf '{"role":"server","id":"in-cse","listen":"127.0.0.1:%s","db":"%s/st.db","max_peers":64,' "$SP" "$T"
	printf '"gateways":[{"id":"gw1","identity":"gw1@srv","key":"%s"}],"groups":[' "$K"
	for ((g = 0; g < groups; g++)); do printf '%s{"name":"g%d"}' "${g:+$([ $g -gt 0 ] && echo ,)}" $g; done
	printf '],"members":['
	for ((i = 0; i < N; i++)); do
		printf '%s{"id":"m%d","group":"g%d","identity":"m%d@srv","key":"%032x"}' \
			"$([ $i -gt 0 ] && echo ,)" $i $((i % groups)) $i $((i + 1000000))
	done
	printf ']}\n'
} > "$T/st-server.json"
{
	printf '{"role":"gateway","id":"gw1","listen":"127.0.0.1:%s","max_peers":%d,' "$GP" $((N + 64))
	printf '"server":{"address":"127.0.0.1:%s","identity":"gw1@srv","key":"%s"},"members":[' "$SP" "$K"
	for ((i = 0; i < N; i++)); do
		printf '%s{"id":"m%d","identity":"m%d@gw","key":"%032x"}' \
			"$([ $i -gt 0 ] && echo ,)" $i $i $((i + 2000000))
	done
	printf ']}\n'
} > "$T/st-gw.json"
for ((i = 0; i < N; i++)); do
	printf 'm%d %032x %032x\n' $i $((i + 2000000)) $((i + 1000000))
done > "$T/st-list"

t0=$(date +%s%N)
"$B/coapsecd" -c "$T/st-server.json" 2>"$T/st-server.log" &
pids+=($!)
"$B/coapsecd" -c "$T/st-gw.json" 2>"$T/st-gw.log" &
pids+=($!)
swarm=$("$B/agent/swarm" "127.0.0.1:$GP" "$T/st-list" 120 || true)
t1=$(date +%s%N)
sleep 0.3
srv_ms=$(grep -o 'contexts installed: [0-9]*, [0-9]* ms' "$T/st-server.log" | awk '{print $4}' | tail -1)
gw_ms=$(grep -o 'contexts installed: [0-9]*, [0-9]* ms' "$T/st-gw.log" | awk '{print $4}' | tail -1)
dev_ready=$(sed -n 's/ready=\([0-9]*\).*/\1/p' <<<"$swarm")
dev_ms=$(sed -n 's/.*ms=\([0-9]*\).*/\1/p' <<<"$swarm")
all_ms=$(( (t1 - t0) / 1000000 ))

cat > "$OUT" <<EOF
{
  "handshakes": {
    "slots": $SLOTS, "seconds": $D, "rounds": $ROUNDS,
    "baseline_rounds_per_core": [$base_all], "coapsecd_rounds_per_core": [$agent_all],
    "baseline_mbedtls": {"per_core_hs_per_s": $base, "cpu_us_per_hs": $base_us, "wall_hs_per_s": $base_wall},
    "coapsecd_server": {"per_core_hs_per_s": $agent, "cpu_us_per_hs": $agent_us, "wall_hs_per_s": $agent_wall,
                        "completed": $ok, "errors": $err},
    "ratio": $ratio, "target_ratio": 0.8
  },
  "startup": {
    "members": $N, "groups": $groups, "devices_ready": ${dev_ready:-0},
    "server_contexts_ms": ${srv_ms:-null}, "gateway_contexts_ms": ${gw_ms:-null},
    "devices_all_ready_ms": ${dev_ms:-null}, "start_to_all_installed_ms": $all_ms
  }
}
EOF
echo "DTLS-PSK handshakes per server core (cookies on, $SLOTS clients, ${D}s):"
echo "  bare mbedTLS baseline: $base/s ($base_us us CPU each)"
echo "  coapsecd server role:  $agent/s ($agent_us us CPU each, CoAP GET + JSON answer included)"
echo "  ratio: $ratio (target >= 0.8); medians of $ROUNDS alternating rounds: baseline [$base_all], agent [$agent_all]"
echo "Start to contexts installed, $N members in $groups groups:"
echo "  server ${srv_ms:-?} ms, gateway ${gw_ms:-?} ms, devices ${dev_ready:-0}/$N ready at ${dev_ms:-?} ms; all: $all_ms ms"
echo "written to $OUT"
