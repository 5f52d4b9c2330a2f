#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make install and make uninstall staged in a temporary DESTDIR: every part
# lands where the systemd unit and depmod look for it, and uninstall takes
# it all away again.  PREFIX=/usr, as a distribution package would, since
# the unit starts /usr/sbin/coapsecd.  KTAP.
set -u
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
. selftests/lib.sh
trap 'rm -rf "$tmp" "$tmp.log" "$tmp.install.log"' EXIT

ktap_header 16
mk() { make -s --no-print-directory PREFIX=/usr DESTDIR="$tmp" "$@" > "$tmp.log" 2>&1 ||
	{ sed 's/^/# /' "$tmp.log"; return 1; }; }
ktap_check "make install DESTDIR=... PREFIX=/usr" mk install
cp "$tmp.log" "$tmp.install.log"
# An unsigned out-of-tree module is said so once, with what Secure Boot
# users do; no sign-file errors (distribution headers carry no key).
ktap_check "an unsigned module is said once, with the Secure Boot way (DKMS's MOK key)" \
	test "$(grep -c 'coapsec.ko is not signed.*dkms-install.*MOK' "$tmp.install.log")" = 1
ktap_check "no module signing or depmod noise" \
	eval '! grep -Ei "SSL error|sign-file|System.map|could not open modules" "$tmp.install.log" | sed "s/^/# /" | grep -q .'
krel=$(ls "$tmp/lib/modules" 2>/dev/null | head -n1)
ko=$tmp/lib/modules/$krel/updates/coapsec.ko
ktap_check "module in lib/modules/$krel/updates" test -f "$ko"
ktap_check "depmod lists it" grep -qs '^updates/coapsec.ko:' "$tmp/lib/modules/$krel/modules.dep"
ktap_check "coapsec and coapsecd in /usr/sbin" \
	test -x "$tmp/usr/sbin/coapsec" -a -x "$tmp/usr/sbin/coapsecd"
ktap_check "man pages in /usr/share/man/man8" test -f "$tmp/usr/share/man/man8/coapsecd.8"
unit=$tmp/etc/systemd/system/coapsecd.service
exe=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$unit" 2>/dev/null)
ktap_check "the unit's ExecStart ($exe) is what was installed" test -n "$exe" -a -x "$tmp$exe"
ktap_check "configuration directory mode 0700" \
	test "$(stat -c %a "$tmp/etc/coapsecd" 2>/dev/null)" = 700
ex=$tmp/usr/share/doc/coapsec/examples
ktap_check "example configurations in /usr/share/doc/coapsec/examples" \
	test -f "$ex/device.json" -a -f "$ex/gateway.json" -a -f "$ex/server.json"
# What the examples write must be where the sandboxed unit may write:
# its RuntimeDirectory (contexts, one file per role) and StateDirectory (db).
rundir=/run/$(sed -n 's/^RuntimeDirectory=//p' "$unit" 2>/dev/null)
statedir=/var/lib/$(sed -n 's/^StateDirectory=//p' "$unit" 2>/dev/null)
files() { for r in device gateway server; do jq -r .contexts_file "$ex/$r.json" 2>/dev/null; done; }
ktap_check "each example's contexts_file is its own, in the unit's RuntimeDirectory ($rundir)" \
	eval '[ "$rundir" != /run/ ] && [ "$(files | sed "s|/[^/]*$||" | sort -u)" = "$rundir" ] && [ "$(files | sort -u | wc -l)" = 3 ]'
ktap_check "the server example's db is in the unit's StateDirectory ($statedir)" \
	eval '[ "$statedir" != /var/lib/ ] && [ "$(jq -r .db "$ex/server.json" 2>/dev/null | sed "s|/[^/]*$||")" = "$statedir" ]'
ktap_check "make uninstall" mk uninstall
left=$(find "$tmp" -type f ! -name 'modules.*' ! -name '*.log' | sed "s|^$tmp||")
[ -z "$left" ] || echo "# left behind: $left"
ktap_check "nothing left but depmod's indexes" test -z "$left"
# The default PREFIX (/usr/local): the unit follows it.
rm -rf "$tmp" && mkdir -p "$tmp"
mk() { make -s --no-print-directory DESTDIR="$tmp" "$@" > "$tmp.log" 2>&1 ||
	{ sed 's/^/# /' "$tmp.log"; return 1; }; }
ktap_check "make install DESTDIR=... (default PREFIX)" mk install
exe=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$unit" 2>/dev/null)
ktap_check "the unit starts $exe, which was installed" \
	test "$exe" = /usr/local/sbin/coapsecd -a -x "$tmp$exe"
rm -f "$tmp.log" "$tmp.install.log"
ktap_finish
