#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""(rev12c) Two swaps: the first keeps the server sender key and rotates
the client's key (own Partial IVs from then on); the second keeps both
keys.  The second must not forget that the window under R2 started
afresh under S.  Adapted from path_swapkeynonce:
A server's context is swapped for one that keeps its sender key (so
its sequence number continues) but takes a new key for its client's
recipient ID (raw keys through netlink: only the client-to-server key is
rotated).  The client, with its new sender key, starts its Partial IVs
at 0 again, as a new key allows.  The first answer to each request takes
the request's nonce (RFC 8613 8.3): (client kid, Partial IV 0) before
the swap and after it, under the one server key.  No two answers may be
protected with one (key, nonce): checked on the wire, where with AES-CCM
such a reuse shows as C1 xor C2 == P1 xor P2."""
import os
import socket
import sys

sys.path.insert(0, "selftests/lib")
from ktap import Ktap  # noqa: E402
from netns import (coapsec, genl_in, packet_socket, stats,  # noqa: E402
                   udp_socket)
from wire import coap_from, oscore_split  # noqa: E402

cli_ns, srv_ns = sys.argv[1], sys.argv[2]
CLI, SRV = "10.0.97.1", "10.0.97.2"
S = os.urandom(16)		# the server's sender key, kept
R1, R2 = os.urandom(16), os.urandom(16)	# the client's, rotated
IV = os.urandom(13)


def ctx(g, verb, sender_id, sender_key, rid, rkey):
    c = {"id": 1, "alg": 10, "sender-id": sender_id,
         "sender-key": sender_key, "common-iv": IV,
         "recipient": [{"id": rid, "key": rkey}]}
    if verb == "context-swap":
        c["grace"] = 30
    err, msg = g.op(verb, {"context": c})
    if err:
        raise RuntimeError("%s: %d %s" % (verb, err, msg))


gc, gs = genl_in(cli_ns), genl_in(srv_ns)
ctx(gc, "context-new", b"\x01", R1, b"\x00", S)
ctx(gs, "context-new", b"\x00", S, b"\x01", R1)
coapsec(cli_ns, "policy", "add", "dir", "out", "dst", SRV, "action",
        "protect", 1)
coapsec(srv_ns, "policy", "add", "dir", "in", "family", "inet", "action",
        "require")

srv = udp_socket(srv_ns, socket.AF_INET, SRV, 5683, timeout=3.0)
cli = udp_socket(cli_ns, socket.AF_INET, CLI, timeout=3.0)
sn = packet_socket(cli_ns)


options = oscore_split


def wire(src_port, want):
    """The first CoAP message on the wire from port @src_port whose token
    is @want, within two seconds."""
    return coap_from(sn, src_port, want)


def exchange(token, payload):
    """A request from the client, the server's answer with @payload; the
    request and the answer as on the wire, and what the client got."""
    cli.sendto(bytes([0x54, 0x01, 0x40, token[-1]]) + token, (SRV, 5683))
    req, peer = srv.recvfrom(4096)
    srv.sendto(bytes([0x54, 0x45, 0x41, token[-1]]) + token + b"\xff" +
               payload, peer)
    try:
        got = cli.recv(4096)
    except socket.timeout:
        got = None
    return wire(cli.getsockname()[1], token), wire(5683, token), got


P = [b"answer %d: " % i + bytes([0x41 + i]) * 8 for i in range(4)]
# Under R1: Partial IVs 0 and 1, answers take the request nonces.
r0, a0, g0 = exchange(b"TK00", P[0])
r1, a1, g1 = exchange(b"TK01", P[1])
ctx(gs, "context-swap", b"\x00", S, b"\x01", R2)
ctx(gc, "context-swap", b"\x01", R2, b"\x00", S)
# Under R2: Partial IV 0 (answered with its own Partial IV).
r2, a2, g2 = exchange(b"TK02", P[2])
# A swap that keeps both keys (e.g. a new grace or owner).
ctx(gs, "context-swap", b"\x00", S, b"\x01", R2)
# Under R2: Partial IV 1, as R1's second request.
r3, a3, g3 = exchange(b"TK03", P[3])

k = Ktap(3)
k.diag("server %s" % stats(srv_ns))
k.result(all(g is not None and g.endswith(P[i])
             for i, g in enumerate((g0, g1, g2, g3))),
         "all four answers reached the client")
o_r1, _ = options(r1)
o_r3, _ = options(r3)
o_a1, c1 = options(a1)
o_a3, c3 = options(a3)
k.diag("requests' OSCORE options %s %s; answers' %s %s" %
       (o_r1.hex(), o_r3.hex(), o_a1.hex(), o_a3.hex()))
k.result(o_r1 == o_r3,
         "requests 2 (under R1) and 4 (under R2) carry one (kid, Partial IV)")
p1, p3 = b"\x45\xff" + P[1], b"\x45\xff" + P[3]
reuse = (not o_a1 and not o_a3 and
         bytes(a ^ b for a, b in zip(c1, c3))[:len(p1)] ==
         bytes(a ^ b for a, b in zip(p1, p3)))
k.result(not reuse,
         "no two answers were protected with one (key, nonce) after a "
         "second, key-keeping swap (keystream shared: %s)" % reuse)
sys.exit(k.finish())
