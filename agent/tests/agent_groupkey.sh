#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# coapsecd --genkey / --credential: key pairs for signed groups.  The
# private key file is created with mode 0600 and never overwritten, the
# credential printed is the public one and the same when the key is loaded
# back, nothing of the private key reaches stdout or stderr, and every bad
# file is refused with an error that names it.  KTAP output.
set -u
. selftests/lib.sh
BIN=${COAPSECD:-build/coapsecd}
T=$(mktemp -d /tmp/coapsecd-groupkey-XXXXXX)
trap 'rm -rf "$T"' EXIT

ktap_header 12
K=$T/door1.key
"$BIN" --genkey "$K" --subject door-1 > "$T/gen.out" 2> "$T/gen.err"
ktap_check "--genkey writes FILE with mode 0600" \
	test "$(stat -c %a "$K" 2>/dev/null)" = 600
cred=$(cat "$T/gen.out")
# {2: "door-1", 8: {1: {1: 2, -1: 1, -2: x, -3: y}}}: 103 bytes
ktap_check "--genkey prints the CCS credential (sub, cnf, EC2 P-256)" \
	bash -c '[[ $0 =~ ^a20266646f6f722d3108a101a401022001215820[0-9a-f]{64}225820[0-9a-f]{64}$ ]]' "$cred"
ktap_check "--credential prints the same credential for the file" \
	test "$("$BIN" --credential "$K" --subject door-1 2>&1)" = "$cred"
# The base64 body of the PEM, line by line: none appears in any output.
leak=0
while IFS= read -r l; do
	case "$l" in -----*|"") continue ;; esac
	grep -qF -- "$l" "$T/gen.out" "$T/gen.err" && leak=1
done < "$K"
ktap_check "nothing of the private key on stdout or stderr" test $leak -eq 0
ktap_check "the file holds an EC private key in PEM" \
	grep -q '^-----BEGIN EC PRIVATE KEY-----$' "$K"

before=$(sha256sum < "$K")
err=$("$BIN" --genkey "$K" 2>&1)
ktap_check "--genkey never overwrites a key file (and says so)" \
	bash -c '[ "$0" = "$(sha256sum < "$1")" ] && [[ $2 == *"$1"*"never overwritten"* ]]' \
	"$before" "$K" "$err"
chmod 0640 "$K"
err=$("$BIN" --credential "$K" 2>&1)
ktap_check "a key file of mode 0640 is refused, naming file and mode" \
	bash -c '[[ $0 == *"$1"*"mode 0600"*"0640"* ]]' "$err" "$K"
err=$("$BIN" --credential "$T/none.key" 2>&1)
ktap_check "a missing key file: the error names it" \
	bash -c '[[ $0 == *"$1"*"No such file"* ]]' "$err" "$T/none.key"
printf 'not a key\n' > "$T/junk.key"
chmod 0600 "$T/junk.key"
err=$("$BIN" --credential "$T/junk.key" 2>&1)
ktap_check "a file that holds no key: the error names it" \
	bash -c '[[ $0 == *"$1"*"expected an unencrypted EC P-256 or Ed25519 private key"* ]]' \
	"$err" "$T/junk.key"

E=$T/gw-ed.key
ecred=$("$BIN" --genkey "$E" --subject gw --alg EdDSA 2>&1)
# {2: "gw", 8: {1: {1: 1, -1: 6, -2: x}}}: OKP, Ed25519
ktap_check "--alg EdDSA: an Ed25519 key (PKCS #8 PEM, 0600) and its CCS" \
	bash -c '[ "$(stat -c %a "$1")" = 600 ] &&
		grep -q "^-----BEGIN PRIVATE KEY-----$" "$1" &&
		[[ $0 =~ ^a20262677708a101a301012006215820[0-9a-f]{64}$ ]]' \
	"$ecred" "$E"
ktap_check "--credential loads the Ed25519 key back, same credential" \
	test "$("$BIN" --credential "$E" --subject gw 2>&1)" = "$ecred"
err=$("$BIN" --genkey "$T/x.key" --alg RSA 2>&1)
ktap_check "--alg RSA is refused, no file written" \
	bash -c '[[ $0 == *"--alg: expected ES256 or EdDSA"* ]] && [ ! -e "$1" ]' \
	"$err" "$T/x.key"
ktap_finish
