#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# selftests/agent_sgroup.sh with EdDSA (Ed25519): the group's Signature
# Algorithm and every key pair.  SGROUP_PART (main, burst, remove) as set.
# Under make check-long only: make check takes EdDSA end to end in
# agent_sgroup_remove, and the whole of agent_sgroup once (ES256).
. selftests/lib.sh
[ -n "${COAPSEC_LONG:-}" ] ||
	ktap_skip_all "EdDSA's agent_sgroup runs under make check-long (agent_sgroup_remove runs EdDSA here)"
SGROUP_SIG=EdDSA exec selftests/agent_sgroup.sh
