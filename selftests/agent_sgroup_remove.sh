#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Signed group commands after a member's removal: the group rekeyed
# without the removed member's credential; its signed command under the
# old keys (still verified during the grace period) dropped by every
# remaining member (unknown_kid); the gateway's commands under the new
# keys verified by the remaining members only.  The setup of
# selftests/agent_sgroup.sh, then only the removal.
SGROUP_PART=remove exec selftests/agent_sgroup.sh
