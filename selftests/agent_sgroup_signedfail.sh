#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A rekey that removes a member of a signed group while another member
# cannot install the new epoch (its state file cannot be written): that
# member drops the group's messages, never keeps the old epoch, whose keys
# the removed member holds (review 15s).  The setup of
# selftests/agent_sgroup.sh, then only the removal.
SGROUP_PART=signedfail exec selftests/agent_sgroup.sh
