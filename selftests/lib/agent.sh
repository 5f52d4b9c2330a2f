# SPDX-License-Identifier: GPL-2.0
#
# Helpers for the tests that run coapsecd: agent/tests/agent_flow.sh on
# the host, selftests/agent_group.sh in the VM.  Each keeps agent NAME's
# log in $T/NAME.log and its contexts file in $T/NAME.ctx.

# wait_log NAME TEXT SECONDS: whether NAME's log shows TEXT in time.
wait_log() {
	local i
	for ((i = 0; i < $3 * 20; i++)); do
		grep -q -- "$2" "$T/$1.log" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# ctx NAME CONTEXT FIELD: FIELD (a jq path) of the context named CONTEXT
# in NAME's contexts file.
ctx() {
	jq -r --arg n "$2" ".contexts[] | select(.name==\$n) | .$3" "$T/$1.ctx" 2>/dev/null
}

# key: a fresh 16-byte key, in hex.
key() { head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
