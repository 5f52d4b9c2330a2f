#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Load coapsec, query the family from C (features), unload; then check the
# family is gone and the module can come back.
. selftests/lib.sh
B=${B:-build}

coapsec_load || { echo "not ok 1 load coapsec"; exit 1; }
"$B/selftests/features"
st=$?
coapsec_unload
exit $st
