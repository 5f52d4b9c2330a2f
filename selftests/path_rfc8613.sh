#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# RFC 8613 Appendix C vectors through the kernel's packet path: plain UDP
# sockets in two namespaces over veth, coapsec on the client's side only.
. selftests/lib.sh

coapsec_load || exit 1
trap 'cleanup_ns; coapsec_unload' EXIT
setup_ns CLI SRV || exit 1
veth_pair "$CLI" "$SRV" 0.7 fd07 || exit 1

python3 selftests/path_rfc8613.py "$CLI" "$SRV"
