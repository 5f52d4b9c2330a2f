#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Where a coapsec message's instructions go: one flow (bench/udpflow, as
# bench/run.sh's coapsec point) under `perf record -e cpu-clock`, in the
# guest of `make bench-profile`.  Under qemu -icount the guest clock
# counts instructions, so a cpu-clock sample every PERIOD nanoseconds is
# one every PERIOD instructions: the flat profile is an instruction
# profile.  Writes $COAPSEC_VM_OUT/profile-*.txt.
#
#   PROFILE_WHAT=ccm|gcm|untouched|plain  (default ccm)
#   PROFILE_SIZE (100), BENCH_COUNT (20000), PROFILE_PERIOD (997),
#   PROFILE_PORT the flow's destination port (5683; untouched with 9000:
#   UDP to a port no policy names),
#   PROFILE_G=1 call graphs (who calls the string functions; slower)
B=${B:-build}
COAPSEC_KO=${COAPSEC_KO:-$PWD/$B/bench/coapsec.ko}
CLI=${CLI:-$B/bench/coapsec}
. selftests/lib.sh
. bench/lib.sh
OUT=${COAPSEC_VM_OUT:-/tmp}
COUNT=${BENCH_COUNT:-20000}
WHAT=${PROFILE_WHAT:-ccm}
SIZE=${PROFILE_SIZE:-100}
PERIOD=${PROFILE_PERIOD:-997}
PORT=${PROFILE_PORT:-5683}
TMP=$(mktemp -d)
trap 'cleanup_ns; rm -rf "$TMP"' EXIT
set -e

for m in veth aesni_intel ccm ctr cbc gcm ghash_generic seqiv echainiv \
	 $(modinfo -F softdep "$COAPSEC_KO" | sed 's/pre://; s/post:.*//'); do
	modprobe -q "$m" || true
done
echo > /proc/sys/kernel/modprobe
echo 0 > /proc/sys/kernel/kptr_restrict
echo -1 > /proc/sys/kernel/perf_event_paranoid

setup_ns A BN
link "$A" "$BN" 1

umask 077
echo 6a7e6a7e6a7e6a7e6a7e6a7e6a7e6a7e > "$TMP/secret"
alg=
[ "$WHAT" = gcm ] && alg="alg 1"
if [ "$WHAT" != plain ]; then
	coapsec_load
	cs "$A" context add id 1 $alg secret "$TMP/secret" id-context 00f0d0 \
		sender-id 01 recipient-id 00
	cs "$BN" context add id 1 $alg secret "$TMP/secret" id-context 00f0d0 \
		sender-id 00 recipient-id 01
fi
if [ "$WHAT" = untouched ]; then
	for ns in "$A" "$BN"; do
		for i in 1 2 3 4 5; do
			cs "$ns" policy add dir out dst "10.99.0.$i" \
				action protect 1
			cs "$ns" policy add dir in src "10.99.0.$i" \
				action require
		done
	done
elif [ "$WHAT" != plain ]; then
	cs "$A" policy add dir out dst 10.1.0.2 action protect 1
	cs "$BN" policy add dir in src 10.1.0.1 action require
fi

# Warm up (the exchange table fills as in a bench point), then profile.
"$B/bench/udpflow" "$A" 10.1.0.1 "$BN" 10.1.0.2 "$SIZE" "$COUNT" 32 "$PORT"
perf record -q ${PROFILE_G:+-g} -e cpu-clock -c "$PERIOD" -a -o "$TMP/perf.data" -- \
	"$B/bench/udpflow" "$A" 10.1.0.1 "$BN" 10.1.0.2 "$SIZE" "$COUNT" 32 "$PORT" \
	| tee "$OUT/profile-$WHAT-rate.json"
perf report -q -i "$TMP/perf.data" --stdio --no-children --sort sym \
	-g none --percent-limit 0.2 > "$OUT/profile-$WHAT.txt" 2>/dev/null
# Who calls the string functions, and coapsec's share with its callees.
perf report -q -i "$TMP/perf.data" --stdio --no-children --sort sym \
	--symbols=memset_erms,memcpy_erms,memcmp,memmove,jhash \
	-g caller,0.5,callee,function,percent \
	> "$OUT/profile-$WHAT-callers.txt" 2>/dev/null
perf report -q -i "$TMP/perf.data" --stdio --children --sort sym \
	-g none --percent-limit 0.3 > "$OUT/profile-$WHAT-children.txt" \
	2>/dev/null
perf report -q -i "$TMP/perf.data" --stdio --no-children --sort dso \
	> "$OUT/profile-$WHAT-dso.txt" 2>/dev/null
echo "samples every $PERIOD instructions, $COUNT messages" \
	>> "$OUT/profile-$WHAT-dso.txt"
# PROFILE_ANNOTATE=sym,...: where in those functions (from /proc/kcore).
for sym in ${PROFILE_ANNOTATE//,/ }; do
	perf annotate -q -i "$TMP/perf.data" --stdio "$sym" \
		> "$OUT/annotate-$sym.txt" 2>&1 || true
done
head -n 60 "$OUT/profile-$WHAT.txt"
cat "$OUT/profile-$WHAT-dso.txt"
