#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Every operation of uapi/coapsec.yaml, built from the spec alone
# (selftests/control_spec.py), in a namespace of its own.
. selftests/lib.sh

coapsec_load || { echo "not ok 1 load coapsec"; exit 1; }
setup_ns NS
ip netns exec "$NS" python3 selftests/control_spec.py
st=$?
cleanup_ns
coapsec_unload
exit $st
