#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""(rev12s) A server context (sender ID 00, sender key S, recipient 01)
verifies the client's request (kid 01, Partial IV 0); its answer may take
that request's nonce, Common IV xor (01, 0).  Before the application
answers, the context is swapped for one that keeps S (so its sequence
number continues, and the answer goes out under it) but whose sender ID
is 01, the old recipient ID (raw keys through netlink).  Its first own
request carries (kid 01, Partial IV 0): the same nonce under the same
key and Common IV unless the module keeps them apart (or refuses the
swap).  Checked on the wire: with AES-CCM a reuse shows as
C1 xor C2 == P1 xor P2."""
import os
import socket
import sys
import time

sys.path.insert(0, "selftests/lib")
from ktap import Ktap  # noqa: E402
from genl_raw import Genl  # noqa: E402
from netns import coapsec, enter, packet_socket, stats, udp_socket  # noqa: E402

cli_ns, srv_ns = sys.argv[1], sys.argv[2]
CLI, SRV = "10.0.113.1", "10.0.113.2"
S = os.urandom(16)		# the server's sender key, kept
R1, R2 = os.urandom(16), os.urandom(16)
IV = os.urandom(13)


def genl(ns):
    enter(ns)
    try:
        return Genl()
    finally:
        enter(None)


def ctx(g, verb, sender_id, sender_key, rid, rkey):
    c = {"id": 1, "alg": 10, "sender-id": sender_id,
         "sender-key": sender_key, "common-iv": IV,
         "recipient": [{"id": rid, "key": rkey}]}
    if verb == "context-swap":
        c["grace"] = 30
    op = g.spec.ops[verb]
    err, msg, _ = g.request(g.family, g.spec.cmd[op["name"]],
                            g.spec.encode(op["attribute-set"],
                                          {"context": c}))
    if err:
        raise RuntimeError("%s: %d %s" % (verb, err, msg))


gc, gs = genl(cli_ns), genl(srv_ns)
ctx(gc, "context-new", b"\x01", R1, b"\x00", S)
ctx(gs, "context-new", b"\x00", S, b"\x01", R1)
coapsec(cli_ns, "policy", "add", "dir", "out", "dst", SRV, "action",
        "protect", 1)
coapsec(srv_ns, "policy", "add", "dir", "in", "family", "inet", "action",
        "require")
coapsec(srv_ns, "policy", "add", "dir", "out", "dst", CLI, "action",
        "protect", 1)

srv = udp_socket(srv_ns, socket.AF_INET, SRV, 5683, timeout=3.0)
srv2 = udp_socket(srv_ns, socket.AF_INET, SRV, 0, timeout=3.0)
cli = udp_socket(cli_ns, socket.AF_INET, CLI, timeout=3.0)
sn = packet_socket(cli_ns)


def options(m):
    """(OSCORE option value or None, payload) of CoAP message @m."""
    pos, num, osc = 4 + (m[0] & 0x0f), 0, None
    while pos < len(m) and m[pos] != 0xff:
        d, ln = m[pos] >> 4, m[pos] & 0x0f
        pos += 1
        ext = []
        for v in (d, ln):
            if v == 13:
                ext.append(m[pos] + 13)
                pos += 1
            elif v == 14:
                ext.append(int.from_bytes(m[pos:pos + 2], "big") + 269)
                pos += 2
            else:
                ext.append(v)
        num += ext[0]
        if num == 9:
            osc = m[pos:pos + ext[1]]
        pos += ext[1]
    return osc, m[pos + 1:]


def wire(src_port, want):
    """The first CoAP message on the wire from port @src_port whose token
    is @want, within two seconds."""
    end = time.time() + 2
    while time.time() < end:
        try:
            f = sn.recv(65535)
        except BlockingIOError:
            time.sleep(0.005)
            continue
        if f[12:14] != b"\x08\x00" or f[23] != 17:
            continue
        u = f[14 + (f[14] & 0xf) * 4:]
        if int.from_bytes(u[0:2], "big") != src_port:
            continue
        m = u[8:int.from_bytes(u[4:6], "big")]
        if m[4:4 + (m[0] & 0x0f)] == want:
            return m
    return None


k = Ktap(2)
PA = b"the answer: " + b"A" * 12
PR = b"own request " + b"R" * 12
# The client's request, kid 01 and Partial IV 0: verified under S's
# first context, its exchange waits for the application's answer.
cli.sendto(b"\x54\x01\x40\x01TK00", (SRV, 5683))
req, peer = srv.recvfrom(4096)
refused = None
try:
    ctx(gs, "context-swap", b"\x01", S, b"\x00", R2)
except RuntimeError as e:
    refused = str(e)
if refused:
    k.diag("swap refused: %s" % refused)
    k.result(True, "a swap giving the old recipient ID as sender ID under "
             "the kept sender key is refused")
    k.result(True, "no two messages under one (key, nonce): swap refused")
    sys.exit(k.finish())
# The successor's first own request (POST, kid 01, Partial IV 0).
srv2.sendto(b"\x54\x02\x50\x01TKS0\xff" + PR, (CLI, 5683))
r = wire(srv2.getsockname()[1], b"TKS0")
# The answer to the first request: the successor sends it.
srv.sendto(b"\x54\x45\x41\x01TK00\xff" + PA, peer)
a = wire(5683, b"TK00")
k.diag("server %s" % stats(srv_ns))
k.result(r is not None and a is not None,
         "the server's own request and its answer are on the wire")
if r is None or a is None:
    k.result(False, "nothing to compare")
    sys.exit(k.finish())
o_r, c_r = options(r)
o_a, c_a = options(a)
k.diag("own request's OSCORE option %s; answer's %s" %
       (o_r.hex() if o_r is not None else None,
        o_a.hex() if o_a is not None else None))
p_r, p_a = b"\x02\xff" + PR, b"\x45\xff" + PA
n = min(len(p_r), len(p_a))
reuse = (not o_a and
         bytes(x ^ y for x, y in zip(c_r, c_a))[:n] ==
         bytes(x ^ y for x, y in zip(p_r, p_a))[:n])
k.result(not reuse,
         "the answer and the successor's own request were not protected "
         "with one (key, nonce) (keystream shared: %s)" % reuse)
sys.exit(k.finish())
