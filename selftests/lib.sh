# SPDX-License-Identifier: GPL-2.0
#
# Helpers for coapsec's shell selftests, in kselftest style: KTAP output,
# module load/unload, network namespaces cleaned up on exit.  Source it from
# a test run inside the VM (tools/vm/run), from the repository root.

COAPSEC_KO=${COAPSEC_KO:-$PWD/coapsec.ko}
KSFT_PASS=0 KSFT_FAIL=0 KSFT_SKIP=0 KSFT_NUM=0
KSFT_NETNS=()

ktap_header() {		# ktap_header N
	echo "TAP version 13"
	echo "1..$1"
}

ktap_result() {		# ktap_result STATUS(0=pass,1=fail,4=skip) DESCRIPTION
	KSFT_NUM=$((KSFT_NUM + 1))
	case "$1" in
	0) KSFT_PASS=$((KSFT_PASS + 1)); echo "ok $KSFT_NUM $2" ;;
	4) KSFT_SKIP=$((KSFT_SKIP + 1)); echo "ok $KSFT_NUM $2 # SKIP" ;;
	*) KSFT_FAIL=$((KSFT_FAIL + 1)); echo "not ok $KSFT_NUM $2" ;;
	esac
}

# ktap_check DESCRIPTION COMMAND...: one result from a command's status.
ktap_check() {
	local desc=$1
	shift
	if "$@"; then ktap_result 0 "$desc"; else ktap_result 1 "$desc"; fi
}

ktap_finish() {
	echo "# Totals: pass:$KSFT_PASS fail:$KSFT_FAIL xfail:0 xpass:0 skip:$KSFT_SKIP error:0"
	[ "$KSFT_FAIL" -eq 0 ]
	exit $?
}

# ktap_count FILE: how many results the KTAP in FILE holds.
ktap_count() {
	grep -c '^\(not \)\{0,1\}ok ' "$1"
}

# ktap_merge FILE: the results of other KTAP runs gathered in FILE,
# renumbered into this test's plan; their headers, plans and totals are
# left out, their diagnostics kept.
ktap_merge() {
	local l
	while IFS= read -r l; do
		case "$l" in
		"TAP version "*|"1.."*|"# Totals:"*) ;;
		"ok "*"# SKIP"*) l=${l#ok [0-9]* }; ktap_result 4 "${l% # SKIP*}" ;;
		"ok "*) ktap_result 0 "${l#ok [0-9]* }" ;;
		"not ok "*) ktap_result 1 "${l#not ok [0-9]* }" ;;
		*) echo "$l" ;;
		esac
	done < "$1"
}

# ktap_verify FILE: whether the KTAP in FILE is whole: one plan, as many
# results as it announces, none after the totals.  Says what is wrong.
ktap_verify() {
	awk '
	/^1\.\.[0-9]+/ { if (!plans++) plan = substr($1, 4) + 0 }
	/^(not )?ok [0-9]+/ { n++; if (totals) late++ }
	/^# Totals:/ { totals = 1 }
	END {
		if (plans != 1) { printf "%d plans\n", plans; exit 1 }
		if (n != plan) { printf "plan 1..%d, %d results\n", plan, n; exit 1 }
		if (late) { printf "%d results after the totals\n", late; exit 1 }
	}' "$1"
}

# ktap_skip_all REASON: the whole test does not apply here; exits 0.
ktap_skip_all() {
	echo "TAP version 13"
	echo "1..0 # SKIP $*"
	exit 0
}

# ksft_diag TEXT: TEXT as diagnostics, "# " before each of its lines.
# In bash alone: under emulation every process costs a good part of a
# second, and tests print many.
ksft_diag() {
	local line
	while IFS= read -r line; do
		printf '# %s\n' "$line"
	done <<< "$*"
}

# wait_files FILE...: returns once every FILE exists, or after 60 s (the
# watchers' "ready" files: watch() in selftests/lib/wire.py).
wait_files() {
	local f missing _
	for _ in $(seq 600); do
		missing=
		for f; do [ -e "$f" ] || missing=$f; done
		[ -z "$missing" ] && return 0
		sleep 0.1
	done
	return 1
}

# ksft_size SHORT FULL: how many rounds or objects a test runs.  make check
# takes SHORT so that it stays short; make check-long (COAPSEC_LONG=1)
# takes FULL.
ksft_size() { if [ -n "${COAPSEC_LONG:-}" ]; then echo "$2"; else echo "$1"; fi; }

# Loads coapsec.ko with the modules it depends on.  insmod does not read
# modules.dep, so do what modprobe would: hard dependencies, then softdeps.
# A dependency already loaded is not probed again: modprobe costs seconds
# under emulation, and some tests load coapsec twenty times.
coapsec_load() {
	local d
	for d in $(modinfo -F depends "$COAPSEC_KO" | tr ',' ' ') \
		 $(modinfo -F softdep "$COAPSEC_KO" | sed 's/pre://; s/post:.*//'); do
		[ -d "/sys/module/${d//-/_}" ] || modprobe -q "$d" 2>/dev/null || true
	done
	insmod "$COAPSEC_KO" "$@"
}

coapsec_unload() {
	rmmod coapsec
}

coapsec_loaded() {
	[ -d /sys/module/coapsec ]
}

# setup_ns VAR...: creates uniquely named netns, stored in the given
# variables, removed by cleanup_ns (installed as an EXIT trap).
setup_ns() {
	local var name
	for var in "$@"; do
		name="$var-$$-$RANDOM"
		ip netns add "$name" || return 1
		ip -n "$name" link set lo up
		KSFT_NETNS+=("$name")
		eval "$var=\$name"
	done
}

# veth_pair NS1 NS2 NET [NET6]: a veth0 link between two namespaces,
# NS1 10.NET.1/24 and NS2 10.NET.2/24 (NET as "0.7"), and with NET6 (as
# "fd07") also NET6::1/64 and NET6::2/64; both ends up.
veth_pair() {
	ip link add veth0 netns "$1" type veth peer name veth0 netns "$2" &&
	ip -n "$1" addr add "10.$3.1/24" dev veth0 &&
	ip -n "$2" addr add "10.$3.2/24" dev veth0 || return 1
	if [ -n "${4:-}" ]; then
		ip -n "$1" addr add "$4::1/64" dev veth0 nodad &&
		ip -n "$2" addr add "$4::2/64" dev veth0 nodad || return 1
	fi
	ip -n "$1" link set veth0 up && ip -n "$2" link set veth0 up
}

# pair_setup NET [NET6]: the module loaded and two namespaces, CLI and
# SRV, joined by veth_pair NET [NET6]; all of it undone on exit.
pair_setup() {
	coapsec_load || return 1
	trap 'cleanup_ns; coapsec_unload' EXIT
	setup_ns CLI SRV || return 1
	veth_pair "$CLI" "$SRV" "$@"
}

# Ends what a test left running in its namespaces (a server, a sniffer),
# then deletes them: a namespace whose processes live on is not freed, and
# they would hold the module and sockets into the next test.
cleanup_ns() {
	local ns pids
	for ns in "${KSFT_NETNS[@]}"; do
		pids=$(ip netns pids "$ns" 2>/dev/null)
		if [ -n "$pids" ]; then
			kill $pids 2>/dev/null
			sleep 0.2
			pids=$(ip netns pids "$ns" 2>/dev/null)
			[ -z "$pids" ] || kill -KILL $pids 2>/dev/null
		fi
		ip netns del "$ns" 2>/dev/null
	done
	KSFT_NETNS=()
}
trap cleanup_ns EXIT
