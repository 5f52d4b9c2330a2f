#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Hooks on demand: registered with a namespace's first policy, gone with
# its last, fail closed in between (selftests/path_hooks.py).
. selftests/lib.sh

pair_setup 0.35 fd35 || exit 1
ip -n "$SRV" addr add 10.0.35.3/24 dev veth0

python3 selftests/path_hooks.py "$CLI" "$SRV"
