#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A group changed from group authentication to signed while the gateway
# cannot write its signed-group state file: the gateway's commands must
# not leave in clear (security review 15r, finding 1).  The setup of
# selftests/agent_sgroup.sh, then only the mode change.
SGROUP_PART=modechange exec selftests/agent_sgroup.sh
