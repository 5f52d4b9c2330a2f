#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 100,000 contexts added, dumped and flushed in a namespace of their own;
# time and memory per context in the diagnostics.
. selftests/lib.sh
B=${B:-build}

coapsec_load || { echo "not ok 1 load coapsec"; exit 1; }
setup_ns NS
ip netns exec "$NS" "$B/selftests/control_scale" "${COAPSEC_SCALE_N:-100000}"
st=$?
cleanup_ns
coapsec_unload || st=1

# The receive path's lookup among as many contexts, timed in the kernel.
n=${COAPSEC_SCALE_N:-100000}
if coapsec_load selftest=1 selftest_contexts="$n"; then
	dmesg | grep 'coapsec: selftest' | tail -n 2 | sed 's/^/# /'
	echo "ok 6 lookup by (id context, kid) among $n contexts"
	coapsec_unload || st=1
else
	echo "not ok 6 lookup by (id context, kid) among $n contexts"
	st=1
fi
exit $st
