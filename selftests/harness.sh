#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The selftests' own harness: cleanup_ns ends what a test left running in
# its namespaces before deleting them, and the Python KTAP writer fails a
# test whose results do not match its plan.
. selftests/lib.sh

ktap_header 3

(
	# A test that leaves a process behind in its namespace.
	trap cleanup_ns EXIT
	setup_ns NS || exit 1
	ip netns exec "$NS" sleep 300 &
	echo $! > "/tmp/harness-$$.pid"
	echo "$NS" > "/tmp/harness-$$.ns"
	sleep 0.5
)				# the subshell's EXIT trap runs cleanup_ns
pid=$(cat "/tmp/harness-$$.pid")
ns=$(cat "/tmp/harness-$$.ns")
rm -f "/tmp/harness-$$.pid" "/tmp/harness-$$.ns"
sleep 0.5
left=$(ps -o stat=,args= -p "$pid" | grep -v '^Z')
[ -z "$left" ] || ksft_diag "still running: $pid $left"
ktap_check "cleanup_ns ends what a test left in its namespaces" \
	test -z "$left"
ktap_check "cleanup_ns deletes the namespaces" \
	bash -c "! ip netns list | grep -qw '$ns'"
kill "$pid" 2>/dev/null

out=$(python3 -c 'import sys; sys.path.insert(0, "selftests/lib")
from ktap import Ktap
k = Ktap(2); k.result(True, "one"); sys.exit(k.finish())')
st=$?
printf "%s\n" "$out" | sed "s/^/# /"
ktap_check "ktap.py: fewer results than planned fail the test" \
	test $st -ne 0
ktap_finish
