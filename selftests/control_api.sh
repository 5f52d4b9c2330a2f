#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The netlink API from C (control_api), in a namespace of its own.
. selftests/lib.sh
B=${B:-build}

coapsec_load || { echo "not ok 1 load coapsec"; exit 1; }
setup_ns NS
ip netns exec "$NS" "$B/selftests/control_api"
st=$?
cleanup_ns
coapsec_unload
exit $st
