#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The seq-persisted ceiling (RFC 8613 Appendix B.1.1, enforced): a
context whose key manager persisted P sends sequence numbers below P and
no further.  What would need P is dropped, never sent in clear, counted
as seq_unpersisted, and one seq-checkpoint event names P + 2K for the key
manager to persist; once `context set ... seq-persisted` raises the
ceiling, the sequence continues where it stopped, no number used twice.

  CLI (10.0.41.1) --veth0-- SRV (10.0.41.2)

CLI protects its requests to SRV; SRV has no coapsec configuration, so a
plain UDP socket there receives exactly what went over the wire, and the
OSCORE option of each datagram (selftests/lib/oscore.py) says which
sequence number it used."""
import json
import socket
import sys
import time

sys.path.insert(0, "selftests/lib")
from ktap import Ktap  # noqa: E402
from netns import Monitor, cli, coapsec, stats, udp_socket  # noqa: E402
from oscore import oscore_option  # noqa: E402

cli_ns, srv_ns = sys.argv[1], sys.argv[2]
CLI, SRV = "10.0.41.1", "10.0.41.2"
SECRET = "41c0ffee41c0ffee41c0ffee41c0ffee\n"
START, K, P1, P2 = 1, 5, 8, 13


def request(i):
    """A NON POST /s with the 1-byte token @i; the payload is a marker
    that only the plaintext holds."""
    return bytes([0x51, 0x02, 0x41, i & 0xff, i & 0xff]) + \
        b"\xb1s\xffLEAK-%d" % i


def burst(first, n):
    """Sends @n requests; what SRV received: (sequence numbers of the
    OSCORE messages, datagrams without an OSCORE option or with a
    marker)."""
    for i in range(first, first + n):
        try:
            c.sendto(request(i), (SRV, 5683))
        except OSError:
            pass	# dropped at LOCAL_OUT: the sender sees EPERM
    seqs, clear = [], []
    while True:
        try:
            m = srv.recv(4096)
        except socket.timeout:
            return seqs, clear
        kid, piv = oscore_option(m)
        if piv is None or b"LEAK" in m:
            clear.append(m)
        else:
            seqs.append(int.from_bytes(piv, "big"))


def ctx_stats():
    return json.loads(coapsec(cli_ns, "-j", "stats", "context", 1))


def show():
    return json.loads(coapsec(cli_ns, "-j", "context", "show", 1))[0]


k = Ktap(8)
coapsec(cli_ns, "context", "add", "id", 1, "secret", "-", "id-context",
        "5e41", "sender-id", "01", "recipient-id", "00", "seq-start", START,
        "checkpoint", K, "seq-persisted", P1, stdin=SECRET)
coapsec(cli_ns, "policy", "add", "dir", "out", "dst", SRV, "action",
        "protect", 1)

# The client's events, from before the first request on: checkpoints at
# its first number (START lies between checkpoints), 5 and 10, and one per
# ceiling reached.
mon = Monitor(cli_ns, 5, 90)
time.sleep(1.5)
srv = udp_socket(srv_ns, socket.AF_INET, SRV, 5683, timeout=2.0)
c = udp_socket(cli_ns, socket.AF_INET, CLI, timeout=2.0)

# 1. Up to P1 - 1, then nothing.
seqs1, clear1 = burst(0, 10)
st, cst, sh = stats(cli_ns), ctx_stats(), show()
k.diag("ceiling %d: sent %s, in clear %d; stats %s; context %s"
       % (P1, seqs1, len(clear1), st, sh))
k.result(seqs1 == list(range(START, P1)),
         "seq-persisted %d: sequence numbers %d to %d go out, none beyond"
         % (P1, START, P1 - 1))
k.result(not clear1, "the refused messages are not sent in clear")
k.result(st["seq_unpersisted"] == 10 - (P1 - START) and
         cst["seq_unpersisted"] == st["seq_unpersisted"] and
         st["seq_exhausted"] == 0 and st["protected"] == P1 - START,
         "each refused message counted as seq_unpersisted, in the "
         "namespace and in the context")
k.result(sh["seq"] == P1 and sh["seq_persisted"] == P1,
         "context show: seq stays at the ceiling, seq_persisted %d" % P1)

# 2. Raised: the sequence continues where it stopped.
coapsec(cli_ns, "context", "set", 1, "seq-persisted", P2)
seqs2, clear2 = burst(20, 8)
st2 = stats(cli_ns)
k.diag("ceiling %d: sent %s, in clear %d; stats %s" % (P2, seqs2,
                                                       len(clear2), st2))
k.result(seqs2 == list(range(P1, P2)) and not clear2 and
         not set(seqs1) & set(seqs2),
         "after context set seq-persisted %d: %d to %d go out, no number "
         "used twice, nothing in clear" % (P2, P1, P2 - 1))
k.result(st2["seq_unpersisted"] == st["seq_unpersisted"] + 8 - (P2 - P1),
         "at the new ceiling the rest is refused and counted again")

# 3. The events: the advisory checkpoints, and one per ceiling reached
#    however many messages it refused.
events = mon.events()
marks = [e.get("seq") for e in events if e.get("event") == "seq-checkpoint"]
k.diag("events: %s" % events)
want = [START + 2 * K, 5 + 2 * K, P1 + 2 * K, 10 + 2 * K, P2 + 2 * K]
k.result(marks == want,
         "seq-checkpoint events name %s: at %d (the first number), at 5, "
         "ceiling %d + 2K (once), at 10, ceiling %d + 2K (once)"
         % (want, START, P1, P2))

# 4. The ceiling only rises.
r = cli(cli_ns, "context", "set", 1, "seq-persisted", P2 - 1)
k.diag("lowering: exit %d: %s" % (r.returncode, r.stderr.strip()))
k.result(r.returncode == 1 and "seq-persisted" in r.stderr and
         show()["seq_persisted"] == P2,
         "context set to a lower ceiling is refused, naming seq-persisted")
sys.exit(k.finish())
