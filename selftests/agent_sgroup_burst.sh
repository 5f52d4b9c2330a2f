#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Signed group commands in a burst (200; 1,000 under make check-long):
# every device verifies every one, none lost.  The setup of
# selftests/agent_sgroup.sh, then only the burst.
SGROUP_PART=burst exec selftests/agent_sgroup.sh
