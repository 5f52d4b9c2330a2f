#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""(rev12r) One sender key, one nonce space: a swap that keeps the sender
key continues its sequence number whatever the IDs and Common IV
(context.c: sender_fp is the alg and key alone).  But the nonces that
key used are not all its own: a first answer takes its request's nonce,
built from the request's kid (the client's sender ID) and Partial IV.
A swap that keeps the server's sender key and makes its sender ID the
client's old one (keys given through netlink, as the kernel allows; the
new recipient ID is the old sender ID) then protects its first own
message with (that ID, Partial IV 0): the nonce its first answer took
under the same key.  Checked on the wire: with AES-CCM a reuse shows as
C1 xor C2 == P1 xor P2."""
import os
import socket
import sys

sys.path.insert(0, "selftests/lib")
from ktap import Ktap  # noqa: E402
from netns import coapsec, genl_in, packet_socket, stats, udp_socket  # noqa: E402
from wire import oscore_split, sniff, token_of  # noqa: E402

cli_ns, srv_ns = sys.argv[1], sys.argv[2]
CLI, SRV = "10.0.63.1", "10.0.63.2"
S = os.urandom(16)		# the server's sender key, kept
R1, R2 = os.urandom(16), os.urandom(16)
IV = os.urandom(13)


def ctx(g, verb, sender_id, sender_key, rid, rkey):
    c = {"id": 1, "alg": 10, "sender-id": sender_id,
         "sender-key": sender_key, "common-iv": IV,
         "recipient": [{"id": rid, "key": rkey}]}
    if verb == "context-swap":
        c["grace"] = 30
    err, msg = g.op(verb, {"context": c})
    return err, msg


gc, gs = genl_in(cli_ns), genl_in(srv_ns)
assert ctx(gc, "context-new", b"\x01", R1, b"\x00", S) == (0, "")
assert ctx(gs, "context-new", b"\x00", S, b"\x01", R1) == (0, "")
coapsec(cli_ns, "policy", "add", "dir", "out", "dst", SRV, "action",
        "protect", 1)
coapsec(srv_ns, "policy", "add", "dir", "in", "family", "inet", "action",
        "require")

srv = udp_socket(srv_ns, socket.AF_INET, SRV, 5683, timeout=3.0)
own = udp_socket(srv_ns, socket.AF_INET, SRV, 40000, timeout=3.0)
cli = udp_socket(cli_ns, socket.AF_INET, CLI, timeout=3.0)
sn = packet_socket(cli_ns)


def wire(src_port, want):
    """The first CoAP message on the wire from port @src_port whose token
    is @want, within two seconds."""
    return sniff(sn, lambda sp, dp, m: sp == src_port and
                 token_of(m) == want)


PA = b"the first answer: " + b"A" * 16
PB = b"the swapped server's own request: " + b"B" * 16
k = Ktap(3)
# Request (client kid 01, Partial IV 0); its answer takes that nonce.
cli.sendto(b"\x54\x01\x50\x01SW01", (SRV, 5683))
_, peer = srv.recvfrom(4096)
srv.sendto(b"\x54\x45\x51\x01SW01\xff" + PA, peer)
a0 = wire(5683, b"SW01")
try:
    got = cli.recv(4096)
except socket.timeout:
    got = None
k.result(a0 is not None and got is not None and got.endswith(PA),
         "the first answer reached the client")
# The server keeps S under sender ID 01; its recipient is now ID 00.
err, msg = ctx(gs, "context-swap", b"\x01", S, b"\x00", R2)
k.diag("swap keeping S under sender ID 01: %d %s" % (err, msg))
coapsec(srv_ns, "policy", "add", "dir", "out", "dst", CLI, "action",
        "protect", 1)
own.sendto(b"\x54\x02\x60\x01SW02\xff" + PB, (CLI, 5683))
b0 = wire(40000, b"SW02")
k.diag("server %s" % stats(srv_ns))
k.result(err or b0 is not None,
         "the swapped context protected its own request (or the swap was "
         "refused)")
reuse = False
if not err and a0 is not None and b0 is not None:
    o_a, c_a = oscore_split(a0)
    o_b, c_b = oscore_split(b0)
    k.diag("answer's OSCORE option %s, request's %s" %
           (o_a.hex() if o_a is not None else None,
            o_b.hex() if o_b is not None else None))
    p_a, p_b = b"\x45\xff" + PA, b"\x02\xff" + PB
    n = min(len(p_a), len(p_b), len(c_a), len(c_b))
    reuse = (bytes(x ^ y for x, y in zip(c_a[:n], c_b[:n])) ==
             bytes(x ^ y for x, y in zip(p_a[:n], p_b[:n])))
k.result(not reuse,
         "no message of the swapped context repeats the (key, nonce) of an "
         "answer that took its request's nonce (keystream shared: %s)" %
         reuse)
sys.exit(k.finish())
