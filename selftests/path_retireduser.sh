#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The memory of retired keys of an unprivileged user's namespace is
# bounded lower than the host's (selftests/path_retireduser.py).
. selftests/lib.sh

# The bound at a size an emulated guest churns in seconds (default 65536).
coapsec_load user_retired_keys=4096 || exit 1
trap 'cleanup_ns; coapsec_unload' EXIT
setup_ns HOST || exit 1

python3 selftests/path_retireduser.py "$HOST"
