#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Unmodified libcoap (coap-client-notls, coap-server-notls) through
# coapsec, IPv4 and IPv6, in two topologies:
#
#   hosts:     CLI --- SRV                   coapsec on both ends
#                                            (LOCAL_OUT, LOCAL_IN)
#   gateways:  CLI --- GW1 --- GW2 --- SRV   coapsec on GW1 and GW2 only
#                                            (FORWARD)
#
# Each case runs first without coapsec policies (the baseline: when it
# fails, the harness is at fault, not coapsec) and then with them:
# Observe of /time for 30 s (RFC 7641: as many notifications as the
# baseline, then a clean end), block-wise transfer of 6 KB (RFC 7959:
# PUT with Block1, GET with Block2, 64-byte blocks), a separate response
# (/async: empty ACK, then the answer), a NON request, resource
# discovery (/.well-known/core).  All cases of one run go at once, during
# the observation.  The protected link is captured for the whole run
# with coapsec; selftests/nonce_check.py then checks that nothing
# crosses in clear and that no two protected messages under one key
# share a (kid, Partial IV) or a nonce, a response without Partial IV
# counting as its request's nonce (RFC 8613 sections 5.2, 7.4, 8.3).
. selftests/lib.sh
B=${B:-build}
OBS=${COAPSEC_INTEROP_OBSERVE:-30}	# seconds of observation, >= 30
BODY=6000				# bytes moved block-wise
MIN_PROTECTED=100			# a wire check on less proves nothing
TMP=$(mktemp -d)
PIDS=()
# Captures and check outputs are kept for a look afterwards.
KEEP=${COAPSEC_VM_OUT:+$COAPSEC_VM_OUT/path_interop}
T0=$(date +%s)
elapsed() { ksft_diag "t+$(($(date +%s) - T0)) s: $*"; }
klog_start=$(dmesg | wc -l)

coapsec_load || exit 1
trap 'kill "${PIDS[@]}" 2>/dev/null; wait; cleanup_ns; rm -rf "$TMP"; coapsec_unload' EXIT
setup_ns ACLI ASRV BCLI BGW1 BGW2 BSRV || exit 1
veth_pair "$ACLI" "$ASRV" 0.40 fd40 || exit 1
link() {		# link NS1 NS2 NET: NS1 gets .1, NS2 .2
	ip link add "v$3" netns "$1" type veth peer name "v$3" netns "$2" &&
	ip -n "$1" addr add "10.$3.0.1/24" dev "v$3" &&
	ip -n "$2" addr add "10.$3.0.2/24" dev "v$3" &&
	ip -n "$1" addr add "fd$3::1/64" dev "v$3" nodad &&
	ip -n "$2" addr add "fd$3::2/64" dev "v$3" nodad &&
	ip -n "$1" link set "v$3" up && ip -n "$2" link set "v$3" up
}
link "$BCLI" "$BGW1" 41 && link "$BGW1" "$BGW2" 42 &&
	link "$BGW2" "$BSRV" 43 || exit 1
for ns in "$BGW1" "$BGW2"; do
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv6.conf.all.forwarding=1 || exit 1
done
ip -n "$BCLI" route add default via 10.41.0.2 &&
ip -n "$BCLI" -6 route add default via fd41::2 &&
ip -n "$BGW1" route add 10.43.0.0/24 via 10.42.0.2 &&
ip -n "$BGW1" -6 route add fd43::/64 via fd42::2 &&
ip -n "$BGW2" route add 10.41.0.0/24 via 10.42.0.1 &&
ip -n "$BGW2" -6 route add fd41::/64 via fd42::1 &&
ip -n "$BSRV" route add default via 10.43.0.1 &&
ip -n "$BSRV" -6 route add default via fd43::1 || exit 1

# One pairwise context per topology, mirrored: client side 01, server
# side 00.  Policies come only for the run with coapsec.
CSEC() { ip netns exec "$1" "$B/coapsec" "${@:2}" > /dev/null; }
umask 077
echo 3b5f0c9e2a7d41e8b6c0f3a95d1e7c24 > "$TMP/secret"
for side in "$ACLI 01 00" "$ASRV 00 01" "$BGW1 01 00" "$BGW2 00 01"; do
	set -- $side
	CSEC "$1" context add id 1 secret "$TMP/secret" salt 5a17ab1e \
		id-context 1a7e0b5e sender-id "$2" recipient-id "$3" || exit 1
done
umask 022

for ns in "$ASRV" "$BSRV"; do
	ip netns exec "$ns" coap-server-notls -v 3 > "$TMP/server.$ns.log" 2>&1 &
	PIDS+=($!)
done

COMBOS="A4 A6 B4 B6"
topo() { case $1 in A*) echo hosts ;; B*) echo gateways ;; esac; }
fam() { case $1 in *4) echo inet ;; *6) echo inet6 ;; esac; }
cli() { case $1 in A*) echo "$ACLI" ;; B*) echo "$BCLI" ;; esac; }
host() {
	case $1 in
	A4) echo 10.0.40.2 ;; A6) echo '[fd40::2]' ;;
	B4) echo 10.43.0.2 ;; B6) echo '[fd43::2]' ;;
	esac
}

client() {		# client COMBO NAME ARGS...: $D/COMBO.NAME.{out,err,rc}
	local c=$1 n=$2
	shift 2
	ip netns exec "$(cli "$c")" timeout $((OBS + 60)) \
		coap-client-notls "$@" > "$D/$c.$n.out" 2> "$D/$c.$n.err"
	echo $? > "$D/$c.$n.rc"
}

others() {		# others COMBO: every case but Observe, one after another
	local c=$1 u
	u="coap://$(host "$1")"
	printf "INTEROP-SECRET-$RUN-$c-%.0s" $(seq 300) | head -c $BODY \
		> "$D/$c.body"
	client "$c" async -B 20 -w "$u/async?1"
	client "$c" non -N -B 20 -w "$u/"
	client "$c" discovery -B 20 -w "$u/.well-known/core"
	# The two families of a topology share its server's /example_data.
	(
		flock 9
		client "$c" put -b 128 -B 60 -m put -f "$D/$c.body" \
			"$u/example_data"
		client "$c" get -b 256 -B 60 -o "$D/$c.data" "$u/example_data"
	) 9> "$D/${c%?}.lock"
}

run() {			# run base|with: every case on every combination
	local pids=() c
	RUN=$1
	D=$TMP/$1
	mkdir -p "$D"
	for c in $COMBOS; do
		client "$c" observe -s "$OBS" -w "coap://$(host "$c")/time" &
		pids+=($!)
	done
	# Every case starts during the observation: other clients on the
	# observer's host talk to the same server, with the same token
	# (libcoap's first is always 01), from other ports.
	for c in $COMBOS; do
		others "$c" &
		pids+=($!)
	done
	wait "${pids[@]}"
}

rc() { cat "$TMP/$1/$2.$3.rc" 2>/dev/null || echo none; }
notifications() {
	grep -c -E '^[A-Z][a-z]{2} [0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$' \
		"$TMP/$1/$2.observe.out" 2>/dev/null
}

case_ok() {		# case_ok RUN COMBO CASE: did the case work in RUN?
	local r=$1 c=$2 d=$TMP/$1 n
	case $3 in
	observe)
		n=$(notifications "$r" "$c")
		[ "$(rc "$r" "$c" observe)" = 0 ] || return 1
		if [ "$r" = base ]; then
			[ "${n:-0}" -ge $((OBS / 2)) ]
		else
			local b slack
			b=$(notifications base "$c")
			slack=$((b / 10 > 3 ? b / 10 : 3))
			[ "${n:-0}" -ge $((b - slack)) ]
		fi ;;
	block)
		[ "$(rc "$r" "$c" put)" = 0 ] && [ "$(rc "$r" "$c" get)" = 0 ] &&
			cmp -s "$d/$c.body" "$d/$c.data" ;;
	separate)
		[ "$(rc "$r" "$c" async)" = 0 ] &&
			[ "$(cat "$d/$c.async.out")" = "done" ] ;;
	non)
		[ "$(rc "$r" "$c" non)" = 0 ] || return 1
		if [ "$r" = base ]; then
			grep -q libcoap "$d/$c.non.out"
		else
			cmp -s "$TMP/base/$c.non.out" "$d/$c.non.out"
		fi ;;
	discovery)
		[ "$(rc "$r" "$c" discovery)" = 0 ] || return 1
		if [ "$r" = base ]; then
			grep -q '</time>;.*obs' "$d/$c.discovery.out"
		else
			cmp -s "$TMP/base/$c.discovery.out" \
				"$d/$c.discovery.out"
		fi ;;
	esac
}

case_diag() {		# case_diag RUN COMBO CASE: what the client saw
	local d=$TMP/$1 c=$2 f
	case $3 in
	observe) f=observe ;; block) f="put get" ;; separate) f=async ;;
	*) f=$3 ;;
	esac
	[ "$3" != observe ] ||
		ksft_diag "  $1 $c: $(notifications "$1" "$c") notifications in ${OBS} s"
	for f in $f; do
		ksft_diag "  $1 $c $f: exit $(rc "$1" "$c" "$f"), out" \
			"'$(head -c 120 "$d/$c.$f.out" 2>/dev/null | tr '\n' ' ')'," \
			"err '$(head -c 200 "$d/$c.$f.err" 2>/dev/null | tr '\n' ' ')'"
	done
	[ "$3" != block ] || ksft_diag "  $1 $c: GET returned" \
		"$(wc -c < "$d/$c.data" 2>/dev/null || echo no) of $BODY bytes"
}

describe() {
	case $1 in
	observe) echo "Observe /time for $OBS s: as many notifications as the baseline, clean end" ;;
	block) echo "block-wise PUT (Block1, 128) and GET (Block2, 256) of $BODY bytes" ;;
	separate) echo "separate response (/async: empty ACK, then CON)" ;;
	non) echo "NON request" ;;
	discovery) echo "resource discovery (/.well-known/core)" ;;
	esac
}

CASES="observe block separate non discovery"
ktap_header $((1 + 4 * 5 * 2 + 2 * 3 + 1))

# The checker's own test runs during the baseline (tshark is slow).
python3 selftests/nonce_check.py --self-test > "$TMP/self-test" 2>&1 &
SELF=$!
elapsed "baseline: no policies, ${OBS} s of observation"
run base
wait $SELF
st=$?
cat "$TMP/self-test"
ktap_result $st "nonce_check.py flags planted nonce and Partial IV reuse and plaintext in synthetic captures, nothing in clean ones"

# The run with coapsec: policies on, the protected links captured.
for dst in 10.0.40.2 fd40::2; do
	CSEC "$ACLI" policy add dir out dst "$dst" action protect 1 || exit 1
done
for fam in inet inet6; do
	CSEC "$ASRV" policy add dir in family $fam action require || exit 1
done
for dst in 10.43.0.2 fd43::2; do
	CSEC "$BGW1" policy add dir fwd dst "$dst" action protect 1 || exit 1
	CSEC "$BGW2" policy add dir fwd dst "$dst" action require || exit 1
done
ip netns exec "$ASRV" dumpcap -q -i veth0 -w "$TMP/hosts.pcapng" 2>/dev/null &
CAP_A=$!
ip netns exec "$BGW1" dumpcap -q -i v42 -w "$TMP/gateways.pcapng" 2>/dev/null &
CAP_B=$!
PIDS+=("$CAP_A" "$CAP_B")
# dumpcap starts slowly under emulation: wait for its files.
for _ in $(seq 150); do
	[ -s "$TMP/hosts.pcapng" ] && [ -s "$TMP/gateways.pcapng" ] && break
	sleep 0.1
done
sleep 1
elapsed "with coapsec: ${OBS} s of observation, links captured"
run with
sleep 1
kill "$CAP_A" "$CAP_B"
wait "$CAP_A" "$CAP_B" 2>/dev/null
elapsed "runs done"
# The wire checks: both captures in one run of tshark.
python3 selftests/nonce_check.py --peer 01=00 \
	--marker INTEROP-SECRET --marker example_data \
	--marker well-known --marker 'Internal Clock' \
	--marker 'test server made with libcoap' --marker async \
	"$TMP/hosts.pcapng" "$TMP/gateways.pcapng" > "$TMP/wire.check" 2>&1
elapsed "wire checks done"

for c in $COMBOS; do
	for k in $CASES; do
		d="$(topo "$c") $(fam "$c") $(describe "$k")"
		if case_ok base "$c" "$k"; then
			ktap_result 0 "$d, without coapsec (baseline)"
			if case_ok with "$c" "$k"; then
				ktap_result 0 "$d, through coapsec"
				[ "$k" != observe ] || ksft_diag "  $c:" \
					"$(notifications with "$c") notifications," \
					"baseline $(notifications base "$c")"
			else
				ktap_result 1 "$d, through coapsec"
				case_diag with "$c" "$k"
				[ "$k" != observe ] || ksft_diag "  baseline:" \
					"$(notifications base "$c")"
			fi
		else
			ktap_result 1 "$d, without coapsec (baseline): harness failure"
			case_diag base "$c" "$k"
			ktap_result 4 "$d, through coapsec: baseline failed"
		fi
	done
done

for ns in "$ACLI" "$ASRV" "$BGW1" "$BGW2"; do
	ksft_diag "stats ${ns%%-*}: $(ip netns exec "$ns" "$B/coapsec" stats | tr '\n' ' ')"
done
for ns in "$ASRV" "$BSRV"; do
	[ -s "$TMP/server.$ns.log" ] &&
		ksft_diag "server ${ns%%-*}: $(tail -n 3 "$TMP/server.$ns.log" | tr '\n' ' ')"
done

sed 's/^\([^#]\)/# \1/' "$TMP/wire.check"
for t in hosts gateways; do
	n=$(sed -n "s/^count $t protected //p" "$TMP/wire.check")
	enough=0
	[ "${n:-0}" -ge $MIN_PROTECTED ] || enough=1
	[ $enough -eq 0 ] ||
		ksft_diag "$t: only ${n:-no} protected messages captured (want $MIN_PROTECTED)"
	wire() { [ $enough -eq 0 ] && grep -qx "check $t $1 ok" "$TMP/wire.check"; }
	ktap_check "$t: nothing in clear on the protected link (every non-empty message protected, no Uri-Path, no payload text)" wire plaintext
	ktap_check "$t: no two protected messages under one key share a (kid, Partial IV)" wire kid-piv
	ktap_check "$t: no two protected messages under one key share a nonce (a response without Partial IV uses its request's)" wire nonce
done

if [ -n "$KEEP" ] && mkdir -p "$KEEP"; then
	cp -r "$TMP"/base "$TMP"/with "$TMP"/*.pcapng "$TMP"/*.check "$KEEP"/ &&
		ksft_diag "captures and client outputs kept in $KEEP"
fi

bad='WARNING:|BUG:|Oops|KASAN|UBSAN|general protection|refcount_t|Call Trace:'
dmesg | tail -n +$((klog_start + 1)) > "$TMP/klog"
grep -i coapsec "$TMP/klog" | tail -n 5 | sed 's/^/# kernel: /'
ktap_check "kernel log: no warning or crash report during the test" \
	bash -c "! grep -q -E '$bad' '$TMP/klog'"
ktap_finish
