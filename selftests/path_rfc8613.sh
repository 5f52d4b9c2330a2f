#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# RFC 8613 Appendix C vectors through the kernel's packet path: plain UDP
# sockets in two namespaces over veth, coapsec on the client's side only.
# The vectors use one key and sequence number twice; the module lets a
# namespace use them once, so each round gets fresh namespaces.
. selftests/lib.sh

coapsec_load || exit 1
trap 'cleanup_ns; coapsec_unload' EXIT
TMP=$(mktemp -d)

round=0
for cases in "inet:C.4/C.7 inet:C.5 inet:C.6" "inet:C.4/C.8" \
	     "inet6:C.4/C.7 inet6:C.5 inet6:C.6" "inet6:C.4/C.8"; do
	round=$((round + 1))
	setup_ns CLI SRV || exit 1
	veth_pair "$CLI" "$SRV" 0.7 fd07 || exit 1
	VEC_CASES=$cases python3 selftests/path_rfc8613.py "$CLI" "$SRV" \
		>> "$TMP/all.tap"
	ip netns del "$CLI"
	ip netns del "$SRV"
done
ktap_header "$(ktap_count "$TMP/all.tap")"
ktap_merge "$TMP/all.tap"
rm -rf "$TMP"
ktap_finish
