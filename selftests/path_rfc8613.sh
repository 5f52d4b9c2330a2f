#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# RFC 8613 Appendix C vectors through the kernel's packet path: plain UDP
# sockets in two namespaces over veth, coapsec on the client's side only.
# The vectors use one key and sequence number twice; the module lets a
# namespace use them once, so each round gets fresh namespaces.
#
# Twice: with the SIMD transforms (AES-NI), and with the synchronous
# fallback the packet path takes when the FPU is not usable, forced with
# the aead_sync_only parameter.  aead_sync_calls counts the fallback's
# calls: none the first time, every call the second.
. selftests/lib.sh

coapsec_load || exit 1
trap 'cleanup_ns; coapsec_unload' EXIT
TMP=$(mktemp -d)
P=/sys/module/coapsec/parameters

rounds() {		# rounds LABEL: every vector once, results in all.tap
	local cases round=0
	for cases in "inet:C.4/C.7 inet:C.5 inet:C.6" "inet:C.4/C.8" \
		     "inet6:C.4/C.7 inet6:C.5 inet6:C.6" "inet6:C.4/C.8"; do
		round=$((round + 1))
		setup_ns CLI SRV || exit 1
		veth_pair "$CLI" "$SRV" 0.7 fd07 || exit 1
		VEC_CASES=$cases python3 selftests/path_rfc8613.py "$CLI" "$SRV" |
			sed "s/^\(\(not \)\{0,1\}ok [0-9]*\) /\1 $1: /" \
			>> "$TMP/all.tap"
		ip netns del "$CLI"
		ip netns del "$SRV"
	done
}

# The fallback counter only moves where there is a SIMD transform to pass over.
simd=1
grep -qw aes /proc/cpuinfo || simd=0

before=$(cat $P/aead_sync_calls)
rounds simd
after=$(cat $P/aead_sync_calls)
{
	if [ $simd = 0 ]; then
		echo "ok 1 simd: no call took the fallback # SKIP no AES-NI"
	elif [ "$after" -eq "$before" ]; then
		echo "ok 1 simd: no call took the fallback"
	else
		echo "not ok 1 simd: $((after - before)) calls took the fallback"
	fi
} >> "$TMP/all.tap"

echo 1 > $P/aead_sync_only
before=$after
rounds sync
after=$(cat $P/aead_sync_calls)
echo 0 > $P/aead_sync_only
{
	echo "# fallback calls with aead_sync_only=1: $((after - before))"
	if [ $simd = 0 ]; then
		echo "ok 1 sync: the calls took the fallback # SKIP no AES-NI"
	# Each round protects and verifies at least two messages.
	elif [ "$((after - before))" -ge 8 ]; then
		echo "ok 1 sync: the calls took the fallback"
	else
		echo "not ok 1 sync: only $((after - before)) calls took the fallback"
	fi
} >> "$TMP/all.tap"

ktap_header "$(ktap_count "$TMP/all.tap")"
ktap_merge "$TMP/all.tap"
rm -rf "$TMP"
ktap_finish
