#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Attacks on a verifying host: bit flips, replays, reordering, plaintext,
# malformed CoAP and OSCORE (selftests/path_attacks.py).
. selftests/lib.sh
B=${B:-build}
TMP=$(mktemp -d)

coapsec_load || exit 1
trap 'cleanup_ns; rm -rf "$TMP"; coapsec_unload' EXIT
setup_ns CLI SRV || exit 1
veth_pair "$CLI" "$SRV" 0.5 || exit 1
ip -n "$CLI" addr add 10.0.5.3/24 dev veth0

umask 077
echo 5ec7e75ec7e75ec7e75ec7e75ec7e75e > "$TMP/secret"
ip netns exec "$CLI" "$B/coapsec" context add id 1 secret "$TMP/secret" \
	id-context a77ac4 sender-id 01 recipient-id 00 > /dev/null || exit 1
ip netns exec "$SRV" "$B/coapsec" context add id 1 secret "$TMP/secret" \
	id-context a77ac4 sender-id 00 recipient-id 01 > /dev/null || exit 1
ip netns exec "$CLI" "$B/coapsec" policy add dir out src 10.0.5.1/32 \
	dst 10.0.5.2 action protect 1 > /dev/null || exit 1

python3 selftests/path_attacks.py "$CLI" "$SRV"
