#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rmmod and insmod 5 times (20 under make check-long) while CoAP flows both ways through the hooks:
# each time contexts and policies are installed, traffic is protected and
# verified for a moment, and the module goes with all of it in place.
# The runner fails the test on any WARNING, BUG or Oops in the kernel log.
. selftests/lib.sh
B=${B:-build}
N=${N:-$(ksft_size 5 20)}
TMP=$(mktemp -d)

trap 'kill $GEN_PID 2>/dev/null; wait; cleanup_ns; rm -rf "$TMP"; coapsec_loaded && coapsec_unload' EXIT
setup_ns CLI SRV || exit 1
veth_pair "$CLI" "$SRV" 0.10 fd10 || exit 1
umask 077
echo 0f0e0d0c0b0a09080706050403020100 > "$TMP/secret"

# Requests from CLI to SRV and answers back, as fast as they go.
cat > "$TMP/gen.py" <<'PY'
import socket, sys, threading, time
sys.path.insert(0, "selftests/lib")
from netns import udp_socket
def serve(fam, addr):
    s = udp_socket(sys.argv[2], fam, addr, 5683, timeout=0.2)
    while True:
        try:
            m, peer = s.recvfrom(4096)
            s.sendto(b"\x60\x45" + m[2:4] + b"\xffok", peer)
        except OSError:
            pass
for fam, addr in ((socket.AF_INET, "10.0.10.2"), (socket.AF_INET6, "fd10::2")):
    threading.Thread(target=serve, args=(fam, addr), daemon=True).start()
c4 = udp_socket(sys.argv[1], socket.AF_INET, "10.0.10.1", timeout=0.01)
c6 = udp_socket(sys.argv[1], socket.AF_INET6, "fd10::1", timeout=0.01)
i = 0
while True:
    i += 1
    for c, a in ((c4, "10.0.10.2"), (c6, "fd10::2")):
        try:
            c.sendto(b"\x40\x02" + (i & 0xffff).to_bytes(2, "big") +
                     b"\xb4load\xffpayload", (a, 5683))
            c.recv(4096)
        except OSError:
            pass
    time.sleep(0.002)	# steady, without starving the emulated CPUs
PY
python3 "$TMP/gen.py" "$CLI" "$SRV" &
GEN_PID=$!
sleep 2

ktap_header 3
ok=0
protected=0
start=$(date +%s)
for i in $(seq "$N"); do
	# Dependencies once (coapsec_load), then the module alone.
	if [ "$i" -eq 1 ]; then coapsec_load || break
	else insmod "$COAPSEC_KO" || break; fi
	# Both hosts at once: the guest has two CPUs.
	{ ip netns exec "$CLI" "$B/coapsec" context add id 1 secret "$TMP/secret" \
		id-context 2e sender-id 01 recipient-id 00 &&
	  ip netns exec "$CLI" "$B/coapsec" policy add dir out \
		dst 10.0.10.0/24 action protect 1; } > /dev/null &
	bg=$!
	{ ip netns exec "$SRV" "$B/coapsec" context add id 1 secret "$TMP/secret" \
		id-context 2e sender-id 00 recipient-id 01 &&
	  ip netns exec "$SRV" "$B/coapsec" policy add dir in family inet \
		action require; } > /dev/null || break
	wait "$bg" || break
	sleep 0.3
	if [ "$i" -eq "$N" ]; then
		protected=$(ip netns exec "$CLI" "$B/coapsec" stats |
			awk '$1 == "protected" { print $2 }')
	fi
	coapsec_unload || break
	ok=$i
done
ksft_diag "$ok of $N cycles, $protected messages protected in the last"
ksft_diag "$(($(date +%s) - start)) s"
ktap_check "insmod, traffic, rmmod $N times" [ "$ok" -eq "$N" ]
ktap_check "traffic was protected while loaded" [ "${protected:-0}" -gt 0 ]
ktap_check "the traffic generator survived" kill -0 "$GEN_PID"
ktap_finish
