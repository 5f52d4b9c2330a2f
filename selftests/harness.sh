#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The selftests' own harness: cleanup_ns ends what a test left running in
# its namespaces before deleting them, the Python KTAP writer fails a
# test whose results do not match its plan, and ktap_verify (run_all.sh,
# tools/run-unit) refuses KTAP that is not whole.
. selftests/lib.sh

ktap_header 6

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

tap=$(mktemp)
printf 'TAP version 13\n1..2\nok 1 a\n# b\nok 2 c\n# Totals: pass:2 fail:0\n' > "$tap"
ktap_check "ktap_verify: whole KTAP passes" ktap_verify "$tap"
# control_scale's before it was fixed: its program planned 6 and ran 5,
# the script added the sixth after the program's totals.
printf 'TAP version 13\n1..6\n' > "$tap"
for i in 1 2 3 4 5; do echo "ok $i step $i"; done >> "$tap"
printf '# Totals: pass:5 fail:0\nok 6 lookup\n' >> "$tap"
why=$(ktap_verify "$tap")
st=$?
ksft_diag "$why"
ktap_check "ktap_verify: a result after the totals is refused" test $st -ne 0
printf 'TAP version 13\n1..3\nok 1 a\nok 2 b\n' > "$tap"
why=$(ktap_verify "$tap")
st=$?
ksft_diag "$why"
ktap_check "ktap_verify: fewer results than planned are refused" \
	test $st -ne 0
rm -f "$tap"
ktap_finish
