#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""(rev12t) A mirrored context (the peer's keys with the roles turned
round) is refused while the context it mirrors lives (path_mirrorkey),
but the check saw only live contexts: once the server's context is
deleted, a context whose recipient key is the deleted one's sender key
was taken, and the server's own protected request, captured on the path
and sent back, was verified by it and delivered as the peer's.  The
namespace's memory of retired sender keys (retired.c) is checked too.

(rev12u) The other way round was not: a context whose sender key is the
deleted one's recipient key (the key the client sent with) was taken,
and its first message took the nonce (sender ID 01, Partial IV 0) the
client's first request took under that key.  Retired recipients' keys
are remembered too, and such a sender refused."""
import socket
import sys

sys.path.insert(0, "selftests/lib")
from ktap import Ktap  # noqa: E402
from netns import cli, coapsec, packet_socket, policy_flush, stats, \
    udp_socket  # noqa: E402
from wire import delivered_again, oscore_split, received, \
    sniff  # noqa: E402

cli_ns, srv_ns = sys.argv[1], sys.argv[2]
CLI, SRV = "10.0.66.1", "10.0.66.2"
K = "6b" * 16 + "\n"


def ctx(ns, cid, sender, recipient):
    return cli(ns, "context", "add", "id", cid, "secret", "-", "id-context",
               "6666", "sender-id", sender, "recipient-id", recipient,
               stdin=K)


for ns, sender, recipient in ((cli_ns, "01", "00"), (srv_ns, "00", "01")):
    r = ctx(ns, 1, sender, recipient)
    if r.returncode:
        raise RuntimeError("context add: " + r.stderr.strip())
coapsec(srv_ns, "policy", "add", "dir", "out", "dst", CLI, "action",
        "protect", 1)
coapsec(srv_ns, "policy", "add", "dir", "in", "family", "inet", "action",
        "require")
app = udp_socket(srv_ns, socket.AF_INET, SRV, 5683, timeout=1.0)
own = udp_socket(srv_ns, socket.AF_INET, SRV, 40000, timeout=1.0)
atk = udp_socket(cli_ns, socket.AF_INET, CLI)
sn = packet_socket(cli_ns)
own.sendto(b"\x54\x02\x73\x01MR01\xffopen the door", (CLI, 5683))
m = sniff(sn, lambda sp, dp, m: sp == 40000)
# The client's first request, under its sender key (the server's
# recipient key).
coapsec(cli_ns, "policy", "add", "dir", "out", "dst", SRV, "action",
        "protect", 1)
peer = udp_socket(cli_ns, socket.AF_INET, CLI, 40001, timeout=1.0)
peer.sendto(b"\x54\x02\x73\x02MR02\xffhello", (SRV, 5683))
mc = sniff(sn, lambda sp, dp, m: sp == 40001)
hello = received(app)	# drained: later deliveries are replays
policy_flush(cli_ns)


def nonce_of(msg):
    """(kid, Partial IV) of a protected request: with the key, its nonce."""
    osc = oscore_split(msg)[0] if msg else None
    if not osc:
        return None
    n, pos = osc[0] & 7, 1 + (osc[0] & 7)
    if osc[0] & 0x10:
        pos += 1 + osc[pos]
    return osc[pos:] if osc[0] & 8 else None, osc[1:1 + n]


k = Ktap(4)
# The server's context goes; a mirror of it comes.
policy_flush(srv_ns)
coapsec(srv_ns, "context", "del", 1)
coapsec(srv_ns, "policy", "add", "dir", "in", "family", "inet", "action",
        "require")
r = ctx(srv_ns, 2, "01", "00")
k.diag("mirror context: status %d %s" % (r.returncode, r.stderr.strip()))
k.result(r.returncode != 0 and "was a sender key" in r.stderr,
         "a context whose recipient key is a deleted context's sender key "
         "is refused")

got = delivered_again(m, atk, (SRV, 5683), app)
k.diag("server %s" % stats(srv_ns))
k.result(m is not None and not got,
         "the deleted context's own request sent back to the server is not "
         "delivered (delivered: %s)" % got)

# The other way round: a context sending under the deleted context's
# recipient key (the client's sender key).
r = ctx(srv_ns, 3, "01", "02")
k.diag("context sending under the deleted recipient key: status %d %s" %
       (r.returncode, r.stderr.strip()))
k.result(r.returncode != 0 and "was a recipient key" in r.stderr,
         "a context whose sender key is a deleted context's recipient key "
         "is refused")
ms = None
if r.returncode == 0:
    coapsec(srv_ns, "policy", "add", "dir", "out", "dst", CLI, "action",
            "protect", 3)
    own.sendto(b"\x54\x02\x73\x03MR03\xffclose it", (CLI, 5683))
    ms = sniff(sn, lambda sp, dp, m: sp == 40000)
k.diag("client's request (kid, piv) %s, delivered %s; the new context's "
       "%s" % (nonce_of(mc), hello, nonce_of(ms)))
k.result(mc is not None and nonce_of(mc) is not None and
         (ms is None or nonce_of(ms) != nonce_of(mc)),
         "no message of the server takes the nonce the client's request "
         "took under the same key")
sys.exit(k.finish())
