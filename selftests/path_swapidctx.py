#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A server's context is swapped for one with a new ID context but the
same keys, Common IV and IDs (raw keys through netlink), so the sender
key is kept and its sequence continues.  The ID context enters neither
the nonce nor the AAD: a request the previous context accepted, sent
again by an attacker with the new ID context in its OSCORE option (and
a new token, which nothing protects), verifies under the new context.
It must be refused as the replay it is, and its answer must not take
the request's nonce again under the server's key."""
import os
import socket
import sys

sys.path.insert(0, "selftests/lib")
from ktap import Ktap  # noqa: E402
from netns import (coapsec, genl_in, packet_socket, stats,  # noqa: E402
                   udp_socket)
from wire import coap_from, oscore_split  # noqa: E402

cli_ns, srv_ns = sys.argv[1], sys.argv[2]
CLI, SRV = "10.0.54.1", "10.0.54.2"
S, R = os.urandom(16), os.urandom(16)
IV = os.urandom(13)


def ctx(g, verb, idctx, sender_id, sender_key, rid, rkey):
    c = {"id": 1, "alg": 10, "sender-id": sender_id,
         "sender-key": sender_key, "common-iv": IV, "id-context": idctx,
         "recipient": [{"id": rid, "key": rkey}]}
    if verb == "context-swap":
        c["grace"] = 30
    err, msg = g.op(verb, {"context": c})
    if err:
        raise RuntimeError("%s: %d %s" % (verb, err, msg))


gc, gs = genl_in(cli_ns), genl_in(srv_ns)
ctx(gc, "context-new", b"\x4e\x4b", b"\x01", R, b"\x00", S)
ctx(gs, "context-new", b"\x4e\x4b", b"\x00", S, b"\x01", R)
coapsec(cli_ns, "policy", "add", "dir", "out", "dst", SRV, "action",
        "protect", 1)
coapsec(srv_ns, "policy", "add", "dir", "in", "family", "inet", "action",
        "require")

srv = udp_socket(srv_ns, socket.AF_INET, SRV, 5683, timeout=2.0)
cli = udp_socket(cli_ns, socket.AF_INET, CLI, timeout=2.0)
atk = udp_socket(cli_ns, socket.AF_INET, CLI, timeout=2.0)
sn = packet_socket(cli_ns)


payload_of = oscore_split


def wire(src_port, want):
    """The first CoAP message on the wire from port @src_port whose token
    is @want, within two seconds."""
    return coap_from(sn, src_port, want)


def answer(payload):
    """The server application's answer to the next request it gets."""
    try:
        req, peer = srv.recvfrom(4096)
    except socket.timeout:
        return None
    tkl = req[0] & 0x0f
    srv.sendto(bytes([0x50 | tkl, 0x45]) + req[2:4 + tkl] + b"\xff" +
               payload, peer)
    return req


P1, P2 = b"answer one: AAAAAAAA", b"answer two: BBBBBBBB"
cli.sendto(b"\x54\x01\x40\x01TK01", (SRV, 5683))
req1 = wire(cli.getsockname()[1], b"TK01")
got1 = answer(P1)
ans1 = wire(5683, b"TK01")
ctx(gs, "context-swap", b"\x4e\x4c", b"\x00", S, b"\x01", R)
# The attacker: the same request, new ID context, new token.
i = req1.index(b"\x02\x4e\x4b")
replay = req1[:4] + b"TK02" + req1[8:i] + b"\x02\x4e\x4c" + req1[i + 3:]
atk.sendto(replay, (SRV, 5683))
got2 = answer(P2)
ans2 = wire(5683, b"TK02")

k = Ktap(3)
k.diag("server %s" % stats(srv_ns))
k.result(got1 is not None, "the request reached the server")
k.result(got2 is None,
         "the same request under the new ID context is refused as a "
         "replay")
reuse = False
if ans1 is not None and ans2 is not None:
    o1, c1 = payload_of(ans1)
    o2, c2 = payload_of(ans2)
    p1, p2 = b"\x45\xff" + P1, b"\x45\xff" + P2
    k.diag("answers' OSCORE options %s %s" % (o1.hex(), o2.hex()))
    reuse = (not o1 and not o2 and
             bytes(a ^ b for a, b in zip(c1, c2))[:len(p1)] ==
             bytes(a ^ b for a, b in zip(p1, p2)))
k.result(not reuse,
         "no two answers were protected with one (key, nonce) "
         "(keystream shared: %s)" % reuse)
sys.exit(k.finish())
