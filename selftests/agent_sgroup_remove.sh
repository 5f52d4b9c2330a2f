#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Signed group commands after a member's removal: the group rekeyed
# without the removed member's credential; its signed command under the
# old keys (still verified during the grace period) dropped by every
# remaining member (unknown_kid); the gateway's commands under the new
# keys verified by the remaining members only.  The setup of
# selftests/agent_sgroup.sh, then only the removal.  With EdDSA unless
# SGROUP_SIG says otherwise: agent_sgroup runs ES256, so that make check
# takes both algorithms end to end in a guest.
SGROUP_SIG=${SGROUP_SIG:-EdDSA} SGROUP_PART=remove exec selftests/agent_sgroup.sh
