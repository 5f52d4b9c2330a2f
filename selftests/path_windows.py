#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Replay windows that a rekey must not lose (issue 12 §4): every
recipient that holds a key, current or previous in its grace period,
shares what it accepted with a context made for the same key; a context
whose window was lost (replay-unknown) refuses requests also once a swap
made it previous.  Each check replays a request that SRV accepted (or
captured before SRV had keys) and must see it refused.

  CLI (10.0.38.1) --veth0-- SRV (10.0.38.2)"""
import socket
import sys
import time

sys.path.insert(0, "selftests/lib")
from ktap import Ktap  # noqa: E402
from netns import coapsec, packet_socket, policy_flush, sent_and_seen, \
    udp_socket  # noqa: E402

cli_ns, srv_ns = sys.argv[1], sys.argv[2]
CLI, SRV = "10.0.38.1", "10.0.38.2"
K1 = "5e9c5e9c5e9c5e9c5e9c5e9c5e9c5e9c\n"
K2 = "a11ea11ea11ea11ea11ea11ea11ea11e\n"


def ctx(ns, verb, cid, idctx, sid, rid, secret, *extra):
    args = ["context", verb] + ([cid] if verb == "swap" else ["id", cid])
    return coapsec(ns, *(args + ["secret", "-", "id-context", idctx,
                                 "sender-id", sid, "recipient-id", rid] +
                                list(extra)), stdin=secret)


def captured(sniffer, quiet=0.4):
    """The CoAP payload of the first UDP datagram to SRV:5683 seen."""
    deadline, d = time.time() + quiet, socket.inet_aton(SRV)
    while time.time() < deadline:
        try:
            f = sniffer.recv(65535)
        except BlockingIOError:
            time.sleep(0.02)
            continue
        if f[12:14] != b"\x08\x00" or f[23] != 17 or f[30:34] != d:
            continue
        u = f[14 + (f[14] & 0xf) * 4:]
        if int.from_bytes(u[2:4], "big") == 5683:
            return u[8:int.from_bytes(u[4:6], "big")]
    return None


def drain(s):
    try:
        while True:
            s.recv(65535)
    except (socket.timeout, BlockingIOError):
        pass


def send(i):
    """Sends request @i from CLI; what went on the wire (protected)."""
    drain(sn)
    cli.sendto(bytes([0x54, 0x01, 0x00, i]) + b"T%03d" % i + b"\xb1s" +
               b"\xffreq %d" % i, (SRV, 5683))
    wire = captured(sn)
    drain(app)
    return wire


def replay(m):
    """(delivered to SRV's application?, counter changes) for @m sent
    again from CLI's address."""
    drain(app)
    return sent_and_seen(srv_ns, lambda: atk.sendto(m, (SRV, 5683)), app)


def fresh(idctx):
    for ns in (cli_ns, srv_ns):
        policy_flush(ns)
        coapsec(ns, "flush")
    ctx(cli_ns, "add", 1, idctx, "01", "00", K1)
    coapsec(cli_ns, "policy", "add", "dir", "out", "dst", SRV, "action",
            "protect", 1)
    coapsec(srv_ns, "policy", "add", "dir", "in", "family", "inet",
            "action", "require")


app = udp_socket(srv_ns, socket.AF_INET, SRV, 5683, timeout=0.5)
cli = udp_socket(cli_ns, socket.AF_INET, CLI, timeout=1.0)
atk = udp_socket(cli_ns, socket.AF_INET, CLI)
sn = packet_socket(cli_ns)
k = Ktap(4)

# 1. After a reboot: kept keys with replay-unknown, then a swap to fresh
# ones.  A request from before the reboot must not pass under the old.
fresh("5e40")
d0 = send(1)			# SRV has no context yet: captured only
ctx(srv_ns, "add", 1, "5e40", "00", "01", K1, "replay-unknown")
ctx(srv_ns, "swap", 1, "5e40", "00", "01", K2)
got, d = replay(d0)
k.diag("old request after replay-unknown, then swap: %r %s" % (got, d))
k.result(d0 is not None and got is None and d.get("replays") == 1,
         "a replay-unknown context refuses requests also once previous")

# 2. A new context for a key that a previous context still holds.
fresh("5e41")
ctx(srv_ns, "add", 1, "5e41", "00", "01", K1)
d1 = send(2)
got, d = replay(d1)
k.diag("replay, same context: %r %s" % (got, d))
ok = got is None and d.get("replays") == 1
ctx(srv_ns, "swap", 1, "5e41", "00", "02", K2)
ctx(srv_ns, "add", 2, "5e41", "05", "01", K1)
got, d = replay(d1)
k.diag("replay to context 2 (context 1's previous holds its key): %r %s"
       % (got, d))
k.result(ok and got is None and d.get("replays") == 1,
         "a new context for a key a previous context holds keeps its "
         "window")

# 3. Swap back within the grace period: A, B, A.
fresh("5e42")
ctx(srv_ns, "add", 1, "5e42", "00", "01", K1)
d2 = send(3)
ctx(srv_ns, "swap", 1, "5e42", "00", "01", K2)
ctx(srv_ns, "swap", 1, "5e42", "00", "01", K1)
got, d = replay(d2)
k.diag("replay after A, B, A: %r %s" % (got, d))
k.result(got is None and d.get("replays") == 1,
         "a swap back to the previous-but-one keys keeps their window")

# 4. What inherits a window that was lost inherits the loss: a new
# context for the key of a replay-unknown context in its grace period.
fresh("5e43")
d3 = send(4)			# SRV has no context yet: captured only
ctx(srv_ns, "add", 1, "5e43", "00", "01", K1, "replay-unknown")
ctx(srv_ns, "swap", 1, "5e43", "00", "02", K2)
ctx(srv_ns, "add", 2, "5e43", "05", "01", K1)
got, d = replay(d3)
k.diag("old request to a context that inherited replay-unknown: %r %s" %
       (got, d))
k.result(d3 is not None and got is None and d.get("replays") == 1,
         "a context that takes a replay-unknown context's window refuses "
         "requests too")
for ns in (cli_ns, srv_ns):
    policy_flush(ns)
    coapsec(ns, "flush")
sys.exit(k.finish())
