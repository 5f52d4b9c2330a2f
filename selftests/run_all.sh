#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs every VM selftest listed in selftests/tests.list (or
# $COAPSEC_TEST_LIST), inside one guest
# (tools/vm/run -- selftests/run_all.sh).  Each test's KTAP goes to
# $COAPSEC_VM_OUT/<name>.tap; a test that exits non-zero without reporting
# a failure still counts as one, and so does one that passes with KTAP
# that is not whole (ktap_verify).  Optional arguments select tests by
# name.
set -u
. selftests/lib.sh
out=${COAPSEC_VM_OUT:-/tmp/coapsec-selftests}
mkdir -p "$out"
per_test_timeout=${COAPSEC_TEST_TIMEOUT:-$(sed -n "s/^timeout=//p" selftests/settings)}
rc=0

# Keep the netfilter hooks' static keys on for the whole run: an accepting
# chain on every hook coapsec uses, in the initial namespace, where no test
# sends.  Otherwise the first hook registered (module load, a namespace
# created) and the last removed (unload, namespace deleted) patch the
# kernel text of ip_local_deliver() and the like while another vCPU runs
# it.  Under TCG that can leave the other vCPU spinning forever on the
# patched jump (seen: a soft lockup at the static branch in
# ip_local_deliver(), its int3 gone, while coapsec unloaded under
# traffic); real CPUs and KVM do not do that.
if command -v nft > /dev/null; then
	nft -f - <<'NFT' || echo "# warning: nft could not pin the netfilter hooks"
table inet coapsec_selftests_pin {
	chain pin_input { type filter hook input priority 0; policy accept; }
	chain pin_output { type filter hook output priority 0; policy accept; }
	chain pin_forward { type filter hook forward priority 0; policy accept; }
}
NFT
else
	echo "# warning: no nft: netfilter hooks not pinned (tools/deps installs nftables)"
fi

# Names given as paths (selftests/path_coap.sh) are taken by name; a name
# that no list has is an error, not a run of nothing.
names=()
for a in "$@"; do
	a=${a##*/}
	names+=("${a%.sh}")
done
set -- "${names[@]}"
for a in "$@"; do
	if ! grep -qx "selftests/$a.sh" selftests/tests.list \
		"${COAPSEC_TEST_LIST:-selftests/tests.list}"; then
		echo "not ok 1 $a # no such selftest in the list" |
			tee -a "$out/run_all.tap"
		rc=1
	fi
done

while read -r t; do
	case "$t" in ''|'#'*) continue ;; esac
	name=${t##*/}
	name=${name%.sh}
	if [ $# -gt 0 ] && ! printf '%s\n' "$@" | grep -qx "$name"; then
		continue
	fi
	echo "# selftest $name"
	t0=$SECONDS
	timeout -k 5 "$per_test_timeout" "$t" > "$out/$name.tap" 2>&1
	st=$?
	cat "$out/$name.tap"
	# Where the run's time goes (tools/vm/check-vm lists the slowest).
	echo "# selftest $name took $((SECONDS - t0)) s"
	if [ $st -ne 0 ] && ! grep -q '^not ok ' "$out/$name.tap"; then
		echo "not ok 1 $name # exit status $st" | tee -a "$out/$name.tap"
	fi
	if [ $st -eq 0 ] && ! why=$(ktap_verify "$out/$name.tap"); then
		echo "not ok 1 $name # KTAP not whole: $why" | tee -a "$out/$name.tap"
		st=1
	fi
	[ $st -eq 0 ] || rc=1
	# A test must leave the module unloaded for the next one.
	if [ -d /sys/module/coapsec ]; then
		rmmod coapsec 2>/dev/null
		echo "not ok 1 $name left coapsec loaded" | tee -a "$out/$name.tap"
		rc=1
	fi
done < "${COAPSEC_TEST_LIST:-selftests/tests.list}"
exit $rc
