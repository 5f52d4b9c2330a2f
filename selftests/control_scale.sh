#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 10,000 contexts (100,000 under make check-long) added, dumped and flushed in a namespace of their own
# (control_scale, five results); then the receive path's lookup among as
# many contexts, timed in the kernel.  Time and memory per context in the
# diagnostics.
. selftests/lib.sh
B=${B:-build}
n=${COAPSEC_SCALE_N:-$(ksft_size 10000 100000)}
TMP=$(mktemp -d)
trap 'cleanup_ns; rm -rf "$TMP"' EXIT

ktap_header 6
coapsec_load || { ktap_result 1 "coapsec.ko loads"; ktap_finish; }
setup_ns NS || exit 1
ip netns exec "$NS" "$B/selftests/control_scale" "$n" > "$TMP/scale.tap"
st=$?
ktap_merge "$TMP/scale.tap"
[ $st = 0 ] || [ "$KSFT_FAIL" != 0 ] ||
	ktap_result 1 "control_scale exits 0 (status $st)"
cleanup_ns
coapsec_unload || ktap_result 1 "coapsec.ko unloads after control_scale"

if coapsec_load selftest=1 selftest_contexts="$n"; then
	dmesg | grep 'coapsec: selftest' | tail -n 3 | sed 's/^/# /'
	ktap_result 0 "lookup by (id context, kid) among $n contexts"
	coapsec_unload || ktap_result 1 "coapsec.ko unloads after its selftest"
else
	ktap_result 1 "lookup by (id context, kid) among $n contexts"
fi
ktap_finish
