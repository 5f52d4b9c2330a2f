#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Load and unload coapsec 5 times (20 under make check-long), querying the family each time, and check
# that after the last unload the family is gone (genl ctrl shows nothing).
. selftests/lib.sh
B=${B:-build}
N=${COAPSEC_LOAD_CYCLES:-$(ksft_size 5 20)}

ktap_header 3
ok_cycles=0
for i in $(seq "$N"); do
	coapsec_load || break
	"$B/selftests/features" > /tmp/features.$i.log 2>&1 || break
	coapsec_unload || break
	ok_cycles=$i
done
ksft_diag "$ok_cycles of $N load/query/unload cycles completed"
ktap_check "load, query and unload $N times" [ "$ok_cycles" -eq "$N" ]
ktap_check "module gone after unload" test ! -d /sys/module/coapsec
ktap_check "family unregistered after unload" \
	bash -c '! genl ctrl get name coapsec > /dev/null 2>&1'
ktap_finish
