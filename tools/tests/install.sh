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
trap 'rm -rf "$tmp"' EXIT
n=0 fail=0
ok() {			# ok DESCRIPTION COMMAND...
	local d=$1
	shift
	n=$((n + 1))
	if "$@"; then echo "ok $n $d"; else echo "not ok $n $d"; fail=$((fail + 1)); fi
}

echo "TAP version 13"
echo "1..11"
mk() { make -s --no-print-directory PREFIX=/usr DESTDIR="$tmp" "$@" > "$tmp.log" 2>&1 ||
	{ sed 's/^/# /' "$tmp.log"; return 1; }; }
ok "make install DESTDIR=... PREFIX=/usr" mk install
krel=$(ls "$tmp/lib/modules" 2>/dev/null | head -n1)
ko=$tmp/lib/modules/$krel/updates/coapsec.ko
ok "module in lib/modules/$krel/updates" test -f "$ko"
ok "depmod lists it" grep -qs '^updates/coapsec.ko:' "$tmp/lib/modules/$krel/modules.dep"
ok "coapsec and coapsecd in /usr/sbin" \
	test -x "$tmp/usr/sbin/coapsec" -a -x "$tmp/usr/sbin/coapsecd"
ok "man pages in /usr/share/man/man8" test -f "$tmp/usr/share/man/man8/coapsecd.8"
unit=$tmp/etc/systemd/system/coapsecd.service
exe=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$unit" 2>/dev/null)
ok "the unit's ExecStart ($exe) is what was installed" test -n "$exe" -a -x "$tmp$exe"
ok "configuration directory mode 0700" \
	test "$(stat -c %a "$tmp/etc/coapsecd" 2>/dev/null)" = 700
ok "make uninstall" mk uninstall
left=$(find "$tmp" -type f ! -name 'modules.*' ! -name '*.log' | sed "s|^$tmp||")
[ -z "$left" ] || echo "# left behind: $left"
ok "nothing left but depmod's indexes" test -z "$left"
# The default PREFIX (/usr/local): the unit follows it.
rm -rf "$tmp" && mkdir -p "$tmp"
mk() { make -s --no-print-directory DESTDIR="$tmp" "$@" > "$tmp.log" 2>&1 ||
	{ sed 's/^/# /' "$tmp.log"; return 1; }; }
ok "make install DESTDIR=... (default PREFIX)" mk install
exe=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$unit" 2>/dev/null)
ok "the unit starts $exe, which was installed" \
	test "$exe" = /usr/local/sbin/coapsecd -a -x "$tmp$exe"
echo "# Totals: pass:$((n - fail)) fail:$fail xfail:0 xpass:0 skip:0 error:0"
rm -f "$tmp.log"
[ $fail -eq 0 ]
