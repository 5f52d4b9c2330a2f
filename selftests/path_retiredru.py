#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""(rev12r) A context added with replay-unknown refuses every request:
its keys were used before and the window that judged them is lost (RFC
8613 B.1.2).  A window taken over by a swap keeps that state, but what a
namespace remembers of released keys (retired.c) holds only the highest
Partial IV a window accepted, and nothing at all for a window that
accepted nothing, as one with replay-unknown never does.  So the same
keys made again in the same namespace, by delete and add or by a swap
back to them once the replay-unknown context's grace ended, take a fresh
window, and a request the previous boot accepted passes again.

A request captured on the wire while the server has no context for its
keys stands for one the previous boot accepted: the kernel cannot tell
the two apart, which is what replay-unknown says."""
import socket
import sys
import time

sys.path.insert(0, "selftests/lib")
from ktap import Ktap  # noqa: E402
from netns import coapsec, packet_socket, stats, udp_socket  # noqa: E402
from wire import received, sniff, token_of  # noqa: E402

cli_ns, srv_ns = sys.argv[1], sys.argv[2]
CLI, SRV = "10.0.61.1", "10.0.61.2"
K1 = "7a" * 16 + "\n"
K2 = "3c" * 16 + "\n"
K3 = "91" * 16 + "\n"


def ctx(ns, verb, sender, recipient, secret, *extra):
    args = ["context", verb] + (["1"] if verb == "swap" else ["id", 1])
    args += ["secret", "-", "id-context", "6161", "sender-id", sender,
             "recipient-id", recipient] + list(extra)
    coapsec(ns, *args, stdin=secret)


srv = udp_socket(srv_ns, socket.AF_INET, SRV, 5683, timeout=1.0)
cli = udp_socket(cli_ns, socket.AF_INET, CLI)
atk = udp_socket(cli_ns, socket.AF_INET, CLI)
sn = packet_socket(cli_ns)


def wire(token):
    """The protected request with @token as it left the client."""
    return sniff(sn, lambda sp, dp, m: dp == 5683 and token_of(m) == token)


def delivered():
    """Whether the server application got a message within a second."""
    return received(srv)


def capture(token):
    """A request the client protects now, which the server does not take."""
    cli.sendto(bytes([0x54, 0x02, 0x70, token[-1]]) + token + b"\xffgo",
               (SRV, 5683))
    m = wire(token)
    if delivered():
        raise RuntimeError("the captured request was delivered")
    return m


def replay(m):
    atk.sendto(m, (SRV, 5683))
    return delivered()


ctx(cli_ns, "add", "01", "00", K1)
coapsec(cli_ns, "policy", "add", "dir", "out", "dst", SRV, "action",
        "protect", 1)
coapsec(srv_ns, "policy", "add", "dir", "in", "family", "inet", "action",
        "require")
k = Ktap(4)

# The previous boot: K1's request, taken there (not here: no context).
m1 = capture(b"RU01")
# This boot: K1 again, its window lost (as coapsecd pushes kept keys).
ctx(srv_ns, "add", "00", "01", K1, "replay-unknown")
k.result(m1 is not None and not replay(m1),
         "a context with replay-unknown refuses the earlier request")
# Deleted and added again in the same namespace.
coapsec(srv_ns, "context", "del", 1)
ctx(srv_ns, "add", "00", "01", K1)
got = replay(m1)
k.diag("server after delete and add: %s" % stats(srv_ns))
k.result(not got,
         "K1 deleted and added again refuses the request its replay-unknown "
         "predecessor could not judge (delivered: %s)" % got)

# The same by swaps: K2's request from the previous boot; K2 comes with
# replay-unknown, is replaced by K3, its grace ends, K2 comes back.
ctx(cli_ns, "swap", "01", "00", K2)
m2 = capture(b"RU02")
ctx(srv_ns, "swap", "00", "01", K2, "replay-unknown", "grace", 1)
k.result(m2 is not None and not replay(m2),
         "a context swapped in with replay-unknown refuses the earlier request")
ctx(srv_ns, "swap", "00", "01", K3, "grace", 1)
time.sleep(3)		# the K2 context's grace ends, the gc releases it
ctx(srv_ns, "swap", "00", "01", K2, "grace", 1)
got = replay(m2)
k.diag("server after the swap back: %s" % stats(srv_ns))
k.result(not got,
         "a swap back to K2 after its replay-unknown context was released "
         "refuses the earlier request (delivered: %s)" % got)
sys.exit(k.finish())
