#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# RFC 8613 C.1-C.3 through coapsec(8): the keys the CLI derives for
# 'context add' (shown by 'coapsec -j derive'), and the CLI's refusals of
# secrets it must not accept.  Host-side, no kernel needed.  KTAP.
set -u
cd "$(dirname "$0")/../../.."
. selftests/lib.sh
CLI=${COAPSEC_CLI:-build/coapsec}
V=${COAPSEC_VECTORS:-selftests/vectors}/rfc8613.json
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ktap_header 9
# The vectors are part of the repository and jq is a build dependency
# (tools/deps): either missing is a failure, not a reason to skip.
why=
[ -r "$V" ] || why="cannot read $V"
command -v jq >/dev/null || why="${why:+$why; }no jq (tools/deps installs it)"
if [ -n "$why" ]; then
	for i in $(seq 9); do ktap_result 1 "$why"; done
	ktap_finish
fi

for c in C.1 C.2 C.3; do
	j() { jq -r ".contexts[\"$c\"]$1 // empty" "$V"; }
	key=$tmp/$c.key
	(umask 077; {
		echo "secret $(j .master_secret)"
		[ -n "$(j .master_salt)" ] && echo "salt $(j .master_salt)"
	} > "$key")
	args=(sender-id "$(j .client.sender_id)" recipient-id "$(j .client.recipient_id)")
	[ -n "$(j .id_context)" ] && args+=(id-context "$(j .id_context)")
	out=$("$CLI" -j derive alg 10 secret "$key" "${args[@]}")
	got="$(jq -r '.sender_key, .recipients[0].key, .common_iv' <<< "$out" 2>/dev/null | tr '\n' ' ')"
	want="$(j .client_sender_key) $(j .client_recipient_key) $(j .common_iv) "
	[ "$got" = "$want" ]
	ktap_result $? "$c: sender key, recipient key and Common IV"
	[ "$c" = C.2 ] || continue
	# The same secret from stdin.
	got2=$("$CLI" -j derive alg 10 secret - "${args[@]}" < "$key" |
	       jq -r '.sender_key, .recipients[0].key, .common_iv' | tr '\n' ' ')
	[ "$got2" = "$want" ]
	ktap_result $? "$c: secret read from stdin"
done

chmod 0644 "$tmp/C.1.key"
"$CLI" derive secret "$tmp/C.1.key" sender-id "" recipient-id 01 2> "$tmp/err" >/dev/null
st=$?
[ $st = 2 ] && grep -q "must be 0600" "$tmp/err"
ktap_result $? "a secret file of mode 0644 is refused (exit 2)"

"$CLI" context add alg 10 sender-id 00 recipient-id 01 2> "$tmp/err" >/dev/null
st=$?
[ $st = 2 ] && grep -q "secret FILE" "$tmp/err"
ktap_result $? "context add without a secret file is a usage error"

"$CLI" context add alg 10 secret 0102030405060708 sender-id 00 recipient-id 01 2> "$tmp/err" >/dev/null
[ $? = 2 ]
ktap_result $? "a secret on the command line is not taken for a file"

"$CLI" derive alg 10 secret "$tmp/C.2.key" sender-id 0001020304050607 recipient-id 01 2> "$tmp/err" >/dev/null
[ $? = 2 ]
ktap_result $? "an 8-byte sender ID is refused"

"$CLI" derive alg 99 secret "$tmp/C.2.key" sender-id 00 recipient-id 01 2> "$tmp/err" >/dev/null
[ $? = 2 ] && grep -q "invalid algorithm" "$tmp/err"
ktap_result $? "an unknown algorithm is refused"

ktap_finish
