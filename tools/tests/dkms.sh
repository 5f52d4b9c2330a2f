#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make dkms-install and make dkms-uninstall for the distribution kernel
# (the headers tools/env.sh resolves, not the running kernel, which may
# have none): DKMS builds and installs the module, and removal takes it
# away.  It changes the host's DKMS tree, so it holds a lock and leaves
# alone a coapsec that DKMS already knows.  KTAP.
set -u
cd "$(dirname "$0")/../.."
. tools/env.sh
. selftests/lib.sh

skip() { ktap_skip_all "$*"; }
command -v dkms > /dev/null || skip "dkms is not installed (tools/deps installs it)"
[ "$(id -u)" = 0 ] || skip "dkms needs root"
KDIR=/usr/src/linux-headers-$KABI
[ -n "$KABI" ] && [ -d "$KDIR" ] || skip "no distribution kernel headers ($KDIR)"
exec 9> /tmp/coapsec-dkms-test.lock
flock 9
[ -z "$(dkms status -m coapsec 2>/dev/null)" ] ||
	skip "coapsec is in DKMS already; not touching it: $(dkms status -m coapsec | head -n1)"

version=$(sed -n 's/^#define COAPSEC_VERSION "\(.*\)"/\1/p' kmod/version.h)
log=$(mktemp)
trap 'make -s --no-print-directory KDIR="$KDIR" dkms-uninstall > /dev/null 2>&1; rm -f "$log"' EXIT
mk() { make -s --no-print-directory KDIR="$KDIR" "$@" > "$log" 2>&1 ||
	{ sed 's/^/# /' "$log"; return 1; }; }

ktap_header 6
ktap_check "make dkms-install KDIR=$KDIR" mk dkms-install
ktap_check "source in /usr/src/coapsec-$version" test -f "/usr/src/coapsec-$version/dkms.conf"
ktap_check "dkms status: coapsec $version installed for $KABI" \
	eval 'dkms status -m coapsec -v "$version" -k "$KABI" | grep -q ": installed"'
ko=$(find "/lib/modules/$KABI/updates/dkms" -name 'coapsec.ko*' 2>/dev/null | head -n1)
ktap_check "the module in /lib/modules/$KABI/updates/dkms, for $KABI" \
	eval '[ -n "$ko" ] && [ "$(modinfo -F vermagic "$ko" | cut -d" " -f1)" = "$KABI" ]'
ktap_check "make dkms-uninstall" mk dkms-uninstall
ktap_check "nothing left: no source, no module, unknown to dkms" \
	eval '[ ! -e "/usr/src/coapsec-$version" ] && [ -z "$(find "/lib/modules/$KABI" -name "coapsec.ko*")" ] && [ -z "$(dkms status -m coapsec)" ]'
ktap_finish
