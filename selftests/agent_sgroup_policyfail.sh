#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A group's mode change (group authentication to signed and back) while
# the kernel refuses the gateway's new policies: no command in clear at
# any moment, and the policies move once the kernel accepts them (review
# 15r).  The setup of selftests/agent_sgroup.sh, then only the changes.
SGROUP_PART=policyfail exec selftests/agent_sgroup.sh
