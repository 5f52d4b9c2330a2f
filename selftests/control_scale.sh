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
coapsec_unload
exit $st
