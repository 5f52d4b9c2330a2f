#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The registry's unit tests (agent/tests/test_registry.c) on both backends:
# SQLite, and PostgreSQL in a throwaway cluster (agent/tests/pg_cluster.sh)
# named to the tests through COAPSEC_TEST_PG.  Without PostgreSQL's server
# binaries the postgresql variants report "# SKIP"; a cluster that exists
# but does not start is a failure.  KTAP from the test program.
set -u
BIN=${REGISTRY_TEST:-build/unit/agent_test_registry}
PGC=agent/tests/pg_cluster.sh
T=$(mktemp -d /tmp/coapsec-regtest-XXXXXX)
trap '"$PGC" stop "$T/pg" 2>/dev/null; rm -rf "$T"' EXIT

if conn=$("$PGC" start "$T/pg" 2>"$T/pg.err"); then
	COAPSEC_TEST_PG=$conn "$BIN"
	exit
fi
sed 's/^/# /' "$T/pg.err"
"$BIN"
st=$?
grep -q "no PostgreSQL server binaries" "$T/pg.err" && exit $st
echo "# the PostgreSQL cluster did not start: the postgresql variants did not run"
exit 1
