#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# In the debug kernel's guest (make check-debug): every VM selftest, then
# a kmemleak scan.  KASAN, lockdep, UBSAN and RCU reports land in the kernel
# log, which the runner judges; kmemleak must be asked.
. selftests/lib.sh
kmemleak=/sys/kernel/debug/kmemleak

# KASAN, lockdep and kmemleak under emulation run about ten times slower
# than the distribution kernel: fewer repetitions, more time per test.  The
# paths exercised are the same.
export COAPSEC_LOAD_CYCLES=${COAPSEC_LOAD_CYCLES:-10}
export COAPSEC_SCALE_N=${COAPSEC_SCALE_N:-10000}
# agent_group, the longest, ran out of 1800 s at its last check on 2
# shared cores (its 12 checks before all passed).
export COAPSEC_TEST_TIMEOUT=${COAPSEC_TEST_TIMEOUT:-3600}
# Boot-time objects are not ours to judge.
echo clear > "$kmemleak"

selftests/run_all.sh "$@"
rc=$?

# kmemleak reports objects unreferenced for 5 s or more, over two scans.
sleep 6
echo scan > "$kmemleak"
sleep 6
echo scan > "$kmemleak"
cat "$kmemleak" > "$COAPSEC_VM_OUT/kmemleak.txt"
leaks() {
	ktap_header 1
	sed 's/^/# /' "$COAPSEC_VM_OUT/kmemleak.txt" | head -n 60
	ktap_check "kmemleak: no unreferenced objects" \
		[ ! -s "$COAPSEC_VM_OUT/kmemleak.txt" ]
	ktap_finish
}
leaks | tee "$COAPSEC_VM_OUT/kmemleak.tap"
[ "${PIPESTATUS[0]}" = 0 ] || rc=1
exit $rc
