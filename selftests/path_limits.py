#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Sequence number limits: soft limit 5, hard limit 10.  A listener on
the events group gets seq-soft, then seq-hard; sequence numbers 0 to 9
are protected and nothing after them, each refusal counted.  A message
over 4096 bytes is refused as too big."""
import errno
import socket
import sys
import time

sys.path.insert(0, "selftests/lib")
from ktap import Ktap  # noqa: E402
from netns import Monitor, coapsec, stats, udp_socket  # noqa: E402

cli_ns, srv_ns = sys.argv[1], sys.argv[2]
coapsec(cli_ns, "context", "add", "id", 1, "secret", "-", "id-context",
        "11a1", "sender-id", "01", "recipient-id", "00", "soft-limit", 5,
        "hard-limit", 10, stdin="00112233445566778899aabbccddeeff\n")
coapsec(cli_ns, "policy", "add", "dir", "out", "dst", "10.0.6.2",
        "action", "protect", 1)

mon = Monitor(cli_ns, 2, 30)
time.sleep(2)	# the listener subscribes

srv = udp_socket(srv_ns, socket.AF_INET, "10.0.6.2", 5683, timeout=0.5)
cli = udp_socket(cli_ns, socket.AF_INET, "10.0.6.1")
got = []
refused = 0
for i in range(12):
    try:
        cli.sendto(bytes([0x50, 0x01, 0, i]) + b"\xb4ping",
                   ("10.0.6.2", 5683))
    except PermissionError:	# a LOCAL_OUT drop reaches the sender
        refused += 1
for i in range(12):
    try:
        got.append(srv.recv(4096))
    except socket.timeout:
        break

k = Ktap(5)
# Partial IV: the OSCORE option (delta 9 after no option) at byte 4.
pivs = []
for m in got:
    flags = m[5]
    pivs.append(int.from_bytes(m[6:6 + (flags & 7)], "big"))
k.diag("Partial IVs seen: %s" % pivs)
k.result(pivs == list(range(10)), "sequence numbers 0 to 9 protected")
st = stats(cli_ns)
k.diag("stats: %s" % st)
k.result(st["protected"] == 10 and st["seq_exhausted"] == 2 and
         st["policy_drops"] == 0 and refused == 2,
         "the two past the hard limit refused and counted as seq_exhausted")
events = mon.events()
k.diag("events: %s" % events)
k.result(any(e["event"] == "seq-soft" and e["context_id"] == 1
             for e in events), "the listener got the soft limit event")
k.result(any(e["event"] == "seq-hard" and e["context_id"] == 1
             for e in events), "the listener got the hard limit event")
# Over 4096 bytes (it would leave in IP fragments): refused, never cut,
# and the sender is told why.
before = stats(cli_ns)["too_big"]
err = 0
try:
    cli.sendto(bytes([0x50, 0x01, 0, 99]) + b"\xff" + b"b" * 5000,
               ("10.0.6.2", 5683))
except OSError as e:
    err = e.errno
k.result(err == errno.EMSGSIZE and stats(cli_ns)["too_big"] == before + 1,
         "a 5000-byte message under a protect policy refused with EMSGSIZE, "
         "counted as too_big")
coapsec(cli_ns, "flush")
sys.exit(k.finish())
