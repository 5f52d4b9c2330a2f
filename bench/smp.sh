#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench-smp: does the packet path scale across CPUs?  Run in a guest
# with 2 CPUs and no -icount (TCG threads, so wall time), by make bench-smp.
# Each flow is one bench/udpflow process pinned to one CPU: on veth the
# whole path, both ends, runs in that process's context, so two flows on
# two CPUs share nothing but what coapsec (and the stack) share.
#
#   one         one flow on CPU 0, alone
#   two         two flows at once, CPU 0 and CPU 1: the sum of their rates
#
# for plain UDP (the machine's own scaling, the reference), coapsec with
# each flow on its own context, and coapsec with both flows on one context.
# Wall-clock figures on a shared host are noisy: each point is the median
# of ROUNDS runs, and only ratios measured in this one run mean anything.
B=${B:-build}
COAPSEC_KO=${COAPSEC_KO:-$PWD/$B/bench/coapsec.ko}
CLI=${CLI:-$B/bench/coapsec}
. selftests/lib.sh
. bench/lib.sh
OUT=${COAPSEC_VM_OUT:-/tmp}
COUNT=${BENCH_COUNT:-20000}
ROUNDS=${BENCH_ROUNDS:-5}
POINTS=$OUT/smp.jsonl
TMP=$(mktemp -d)
: > "$POINTS"
trap 'cleanup_ns; rm -rf "$TMP"' EXIT
set -e

if [ "$(nproc)" -lt 2 ]; then
	echo "ERROR: bench-smp needs 2 guest CPUs, the guest has $(nproc)" >&2
	exit 1
fi

# run_flow CPU NET: one udpflow on CPU from 10.NET.0.1 to 10.NET.0.2.
run_flow() {
	taskset -c "$1" "$B/bench/udpflow" "$A" "10.$2.0.1" "$BN" "10.$2.0.2" \
		100 "$COUNT" 32
}

# rate FILE: the flow's rate; a lost or bad message voids the figures,
# except where LOSS_OK (one context on two CPUs: the receiver's replay
# window refuses what arrives further behind than the window).
rate() {
	python3 - "$1" "${LOSS_OK:-}" <<'PY' || exit 1
import json, sys
r = json.load(open(sys.argv[1]))
if r["bad"] or r["received"] > r["sent"] or \
   (r["received"] < r["sent"] and not sys.argv[2]):
    sys.exit("ERROR: %s: the figures are void" % r)
print(r["rate"], r["sent"] - r["received"])
PY
}

# measure CONFIG: ROUNDS of one flow alone and of two flows at once.
measure() {
	local i r one two a b la lb lost
	# Warm up (TCG translates the path's code on first use); its losses
	# count in the verified total below.
	run_flow 0 51 > "$TMP/w0"
	run_flow 1 52 > "$TMP/w1"
	r=$(rate "$TMP/w0"); la=${r#* }
	r=$(rate "$TMP/w1"); lb=${r#* }
	echo "{\"config\": \"$1_warmup\", \"lost\": $((la + lb))}" >> "$POINTS"
	for i in $(seq "$ROUNDS"); do
		run_flow 0 51 > "$TMP/one"
		r=$(rate "$TMP/one"); one=${r% *}; lost=${r#* }
		run_flow 0 51 > "$TMP/a" & run_flow 1 52 > "$TMP/b"
		wait
		r=$(rate "$TMP/a"); a=${r% *}; la=${r#* }
		r=$(rate "$TMP/b"); b=${r% *}; lb=${r#* }
		two=$(python3 -c "print($a + $b)")
		lost=$((lost + la + lb))
		echo "{\"config\": \"$1\", \"round\": $i, \"one\": $one, \"two\": $two, \"lost\": $lost}" \
			>> "$POINTS"
		printf '  %-22s round %d: one %8.0f/s  two %8.0f/s  %.2fx  lost %d\n' \
			"$1" "$i" "$one" "$two" "$(python3 -c "print($two / $one)")" "$lost"
	done
}

setup_ns A BN
link "$A" "$BN" 51
link "$A" "$BN" 52
modprobe -q aesni_intel || true
modprobe -q ccm || true

echo "plain UDP, 100 B, no module loaded"
measure plain

coapsec_load
umask 077
echo 6a7e6a7e6a7e6a7e6a7e6a7e6a7e6a7e > "$TMP/secret"
for id in 1 2; do
	cs "$A" context add id $id secret "$TMP/secret" id-context 00f05$id \
		sender-id 01 recipient-id 00
	cs "$BN" context add id $id secret "$TMP/secret" id-context 00f05$id \
		sender-id 00 recipient-id 01 window 1024
done
cs "$A" policy add id 1 dir out dst 10.51.0.2 action protect 1
cs "$A" policy add id 2 dir out dst 10.52.0.2 action protect 2
cs "$BN" policy add dir in family inet action require
echo "coapsec, AES-CCM-16-64-128, 100 B, a context per flow"
before=$(ip netns exec "$BN" "$CLI" -j stats | python3 -c "import json,sys; print(json.load(sys.stdin)['verified'])")
measure coapsec_two_contexts
cs "$A" policy del 2
cs "$A" policy add id 2 dir out dst 10.52.0.2 action protect 1
echo "coapsec, AES-CCM-16-64-128, 100 B, both flows on one context"
LOSS_OK=1 measure coapsec_one_context
after=$(ip netns exec "$BN" "$CLI" -j stats | python3 -c "import json,sys; print(json.load(sys.stdin)['verified'])")
lost=$(python3 -c "import json,sys; print(sum(json.loads(l)['lost'] for l in open(sys.argv[1])))" "$POINTS")
want=$(((ROUNDS * 3 + 2) * COUNT * 2 - lost))
if [ $((after - before)) -lt $want ]; then
	echo "ERROR: $((after - before)) messages verified, expected $want: the figures are void" >&2
	exit 1
fi
echo "  # verified $((after - before)) messages"
coapsec_unload

python3 - "$POINTS" > "$OUT/summary.txt" <<'PY'
import json, statistics, sys
pts = [json.loads(l) for l in open(sys.argv[1])]
med = {}
for cfg in ("plain", "coapsec_two_contexts", "coapsec_one_context"):
    ps = [p for p in pts if p["config"] == cfg]
    med[cfg] = (statistics.median(p["one"] for p in ps),
                statistics.median(p["two"] / p["one"] for p in ps))
print("two flows on two CPUs against one flow (100 B, medians of %d rounds)"
      % len([p for p in pts if p["config"] == "plain"]))
for cfg, (one, ratio) in med.items():
    lost = sum(p["lost"] for p in pts if p["config"] == cfg)
    print("  %-22s one flow %8.0f/s   two flows %.2fx%s" % (cfg, one, ratio,
          "   (%d lost: replay window)" % lost if lost else ""))
r2 = med["coapsec_two_contexts"][1]
print("target two flows on two contexts >= 1.7x one flow   %s (%.2fx; plain UDP %.2fx)"
      % ("met" if r2 >= 1.7 else "NOT met", r2, med["plain"][1]))
PY
cat "$OUT/summary.txt"
