#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# selftests/agent_sgroup.sh with EdDSA (Ed25519): the group's Signature
# Algorithm and every key pair.  SGROUP_PART (main, burst, remove) as set.
SGROUP_SIG=EdDSA exec selftests/agent_sgroup.sh
