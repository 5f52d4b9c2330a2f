#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The module's own checks of the lookups the packet path uses (context by
# (ID context, kid) and by ID, swap ordering, policy match), run at load
# with selftest=1, and a clean unload after them.
. selftests/lib.sh

ktap_header 3
coapsec_load selftest=1
ktap_result $? "load with selftest=1 (fails on any failed check)"
log=$(dmesg | grep 'coapsec: selftest' | tail -n 3)
echo "$log" | sed 's/^/# /'
echo "$log" | grep -q 'selftest: all [0-9]* checks passed'
ktap_result $? "every selftest check passed"
coapsec_unload
ktap_result $? "unload"
ktap_finish
