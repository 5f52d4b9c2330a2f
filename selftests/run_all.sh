#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs every VM selftest listed in selftests/tests.list (or
# $COAPSEC_TEST_LIST), inside one guest
# (tools/vm/run -- selftests/run_all.sh).  Each test's KTAP goes to
# $COAPSEC_VM_OUT/<name>.tap; a test that exits non-zero without reporting
# a failure still counts as one.  Optional arguments select tests by name.
set -u
out=${COAPSEC_VM_OUT:-/tmp/coapsec-selftests}
mkdir -p "$out"
per_test_timeout=${COAPSEC_TEST_TIMEOUT:-$(sed -n "s/^timeout=//p" selftests/settings)}
rc=0

while read -r t; do
	case "$t" in ''|'#'*) continue ;; esac
	name=${t##*/}
	name=${name%.sh}
	if [ $# -gt 0 ] && ! printf '%s\n' "$@" | grep -qx "$name"; then
		continue
	fi
	echo "# selftest $name"
	timeout -k 5 "$per_test_timeout" "$t" > "$out/$name.tap" 2>&1
	st=$?
	cat "$out/$name.tap"
	if [ $st -ne 0 ] && ! grep -q '^not ok ' "$out/$name.tap"; then
		echo "not ok 1 $name # exit status $st" | tee -a "$out/$name.tap"
	fi
	[ $st -eq 0 ] || rc=1
	# A test must leave the module unloaded for the next one.
	if [ -d /sys/module/coapsec ]; then
		rmmod coapsec 2>/dev/null
		echo "not ok 1 $name left coapsec loaded" | tee -a "$out/$name.tap"
		rc=1
	fi
done < "${COAPSEC_TEST_LIST:-selftests/tests.list}"
exit $rc
