#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Sequence numbers and replay state survive swaps and re-creation
(issue 12 §3).  One (key, nonce) protects one message: a swap or a new
context with the same sender key material continues the sequence (or is
refused, with an extack saying why), never restarts it at 0.  A
recipient's replay window carries over a swap that keeps its key, and a
message the current context calls a replay is not tried on the previous
one.  And the kernel itself refuses a sender ID equal to a recipient ID
(RFC 8613 §3.3), naming the attribute.

  CLI (10.0.32.1) --veth0-- SRV (10.0.32.2)

The wire is read with a packet socket on CLI's veth0."""
import errno
import json
import socket
import sys
import time

sys.path.insert(0, "selftests/lib")
from genl_raw import Genl  # noqa: E402
from ktap import Ktap  # noqa: E402
from netns import (coapsec, enter, packet_socket, stats,  # noqa: E402
                   udp_socket)

cli_ns, srv_ns = sys.argv[1], sys.argv[2]
CLI, SRV = "10.0.32.1", "10.0.32.2"
K1 = "5e9c5e9c5e9c5e9c5e9c5e9c5e9c5e9c\n"
K2 = "a11ea11ea11ea11ea11ea11ea11ea11e\n"


def ctx(ns, verb, sid, rid, secret, check=True):
    args = ["context", verb] + (["1"] if verb == "swap" else ["id", 1])
    return coapsec(ns, *args, "secret", "-", "id-context", "5e32",
                   "sender-id", sid, "recipient-id", rid, stdin=secret,
                   check=check)


def request(i):
    return bytes([0x52, 0x02, 0x00, i & 0xff, 0x5e, i & 0xff, 0xb1]) + \
        b"s\xffseq %d" % i


class Sniffer:
    def __init__(self, ns, ifname="veth0"):
        self.s = packet_socket(ns, ifname)

    def drain(self):
        try:
            while True:
                self.s.recv(65535)
        except BlockingIOError:
            pass

    def udp_to(self, dst, port, quiet=0.4):
        """UDP payloads to @dst:@port seen since the last call."""
        out = []
        deadline = time.time() + quiet
        d = socket.inet_aton(dst)
        while time.time() < deadline:
            try:
                f = self.s.recv(65535)
            except BlockingIOError:
                time.sleep(0.02)
                continue
            deadline = time.time() + quiet
            if f[12:14] != b"\x08\x00" or f[23] != 17 or f[30:34] != d:
                continue
            ihl = (f[14] & 0xf) * 4
            u = f[14 + ihl:]
            if int.from_bytes(u[2:4], "big") == port:
                out.append(u[8:int.from_bytes(u[4:6], "big")])
        return out


def oscore_piv(m):
    """The Partial IV in the OSCORE option of CoAP message @m, or None."""
    i = 4 + (m[0] & 0xf)
    num = 0
    while i < len(m) and m[i] != 0xff:
        d, n = m[i] >> 4, m[i] & 0xf
        i += 1
        if d == 13:
            d, i = m[i] + 13, i + 1
        elif d == 14:
            d, i = int.from_bytes(m[i:i + 2], "big") + 269, i + 2
        if n == 13:
            n, i = m[i] + 13, i + 1
        elif n == 14:
            n, i = int.from_bytes(m[i:i + 2], "big") + 269, i + 2
        num += d
        if num == 9:
            v = m[i:i + n]
            return v[1:1 + (v[0] & 7)] if v else b""
        i += n
    return None


def send(i):
    """Sends request(@i) from CLI; the protected copy on the wire."""
    sn.drain()
    cli.sendto(request(i), (SRV, 5683))
    wire = sn.udp_to(SRV, 5683)
    try:
        while True:
            app.recv(4096)
    except (socket.timeout, BlockingIOError):
        pass
    return wire[0] if wire else None


ctx(cli_ns, "add", "01", "00", K1)
ctx(srv_ns, "add", "00", "01", K1)
coapsec(cli_ns, "policy", "add", "dir", "out", "dst", SRV, "action",
        "protect", 1)
coapsec(srv_ns, "policy", "add", "dir", "in", "family", "inet", "action",
        "require")
app = udp_socket(srv_ns, socket.AF_INET, SRV, 5683, timeout=0.3)
cli = udp_socket(cli_ns, socket.AF_INET, CLI)
atk = udp_socket(cli_ns, socket.AF_INET, CLI)
sn = Sniffer(cli_ns)
k = Ktap(8)

# --- A swap that keeps the sender key material --------------------------
a = send(1)
ctx(cli_ns, "swap", "01", "00", K1, check=False)
b = send(2)
pa, pb = oscore_piv(a or b""), oscore_piv(b or b"")
k.diag("Partial IV before the swap %r, after %r" % (pa, pb))
k.result(pa is not None and pb is not None and pa != pb,
         "a swap with identical sender key material does not reuse a "
         "Partial IV (the sequence continues, or the swap is refused)")

# --- Delete and re-create with the same material -------------------------
pol = [p["id"] for p in json.loads(coapsec(cli_ns, "-j", "policy",
                                          "show"))]
for p in pol:
    coapsec(cli_ns, "policy", "del", p)
coapsec(cli_ns, "context", "del", 1)
refused = False
try:
    ctx(cli_ns, "add", "01", "00", K1)
except RuntimeError as ex:
    refused = True
    k.diag("re-create refused: %s" % ex)
    ctx(cli_ns, "add", "01", "00", K2)	# go on under other keys
coapsec(cli_ns, "policy", "add", "dir", "out", "dst", SRV, "action",
        "protect", 1)
c = send(3)
pc = oscore_piv(c or b"")
k.diag("Partial IV after delete and re-create: %r (refused: %s)" %
       (pc, refused))
k.result(refused or pc is not None and pc not in (pa, pb),
         "delete and re-create with identical sender key material does "
         "not reuse a Partial IV (or the re-creation is refused)")

# Back to a known state: both ends fresh under K1, new ID context.
for ns in (cli_ns, srv_ns):
    coapsec(ns, "flush")
coapsec(cli_ns, "context", "add", "id", 1, "secret", "-", "id-context",
        "5e33", "sender-id", "01", "recipient-id", "00", stdin=K1)
coapsec(srv_ns, "context", "add", "id", 1, "secret", "-", "id-context",
        "5e33", "sender-id", "00", "recipient-id", "01", stdin=K1)
coapsec(cli_ns, "policy", "add", "dir", "out", "dst", SRV, "action",
        "protect", 1)
coapsec(srv_ns, "policy", "add", "dir", "in", "family", "inet", "action",
        "require")


def swap(ns, sid, rid, secret):
    coapsec(ns, "context", "swap", 1, "secret", "-", "id-context", "5e33",
            "sender-id", sid, "recipient-id", rid, stdin=secret)


def replay(m):
    """Sends @m from another socket: (delivered, replay counter delta,
    verified delta) at SRV."""
    before = stats(srv_ns)
    atk.sendto(m, (SRV, 5683))
    got = []
    try:
        got.append(app.recv(4096))
    except socket.timeout:
        pass
    after = stats(srv_ns)
    return got, after["replays"] - before["replays"], \
        after["verified"] - before["verified"]


# --- The replay window survives a swap that keeps the recipient key ----
d = send(10)
swap(srv_ns, "00", "01", K1)
got, rep, ver = replay(d)
k.diag("replay after an identical swap: delivered %r, replays +%d, "
       "verified +%d" % (got, rep, ver))
k.result(d is not None and not got and rep == 1 and ver == 0,
         "a request replayed after a swap that kept the recipient key is "
         "dropped and counted once as a replay")

# --- "Replay" from the current context ends the search -------------------
# SRV's previous context (from the swap above) holds the same recipient
# key but never saw what arrived after the swap.  A request the current
# context verified, replayed, is a replay: trying the previous context on
# it would accept it a second time.
n = send(11)
got, rep, ver = replay(n)
k.diag("request after the swap, replayed during grace: delivered %r, "
       "replays +%d, verified +%d" % (got, rep, ver))
k.result(n is not None and not got and rep == 1 and ver == 0,
         "a request the current context calls a replay is not tried on the "
         "previous context: dropped, counted once")

# --- Sender ID equal to a recipient ID, straight to the kernel ----------
enter(srv_ns)
g = Genl()
enter(None)
err, msg = g.context_new(7, b"\x07", [b"\x08", b"\x07"], b"\x5e\x34")
k.diag("CONTEXT_NEW sender 07, recipients 08 and 07: %s, extack %r" %
       (errno.errorcode.get(-err, err), msg))
# Fixed: EINVAL, the extack names the recipient ID attribute
# ("recipient ID equal to the sender ID", RFC 8613 §3.3).
k.result(err == -errno.EINVAL and "sender" in msg.lower() and
         "recipient" in msg.lower(),
         "the kernel refuses a sender ID equal to a recipient ID with "
         "EINVAL and an extack naming the attribute")
err, msg = g.context_new(8, b"\x07", [b"\x08"], b"\x5e\x35")
k.result(err == 0, "the same context without the clash is accepted")

# --- A recipient key equal to the sender key ----------------------------
# The first answer reuses its request's nonce under the sender key: with
# the recipient's key the same, it would repeat the request's key and
# nonce (keystream reuse).  Derived keys never are; given ones must not be.
same = bytes(range(16))
err, msg = g.context_new(9, b"\x07", [b"\x08", b"\x09"], b"\x5e\x36",
                         keys=[same, bytes(16), same])
k.diag("CONTEXT_NEW sender key = recipient 09's key: %s, extack %r" %
       (errno.errorcode.get(-err, err), msg))
k.result(err == -errno.EINVAL and "recipient.key" in msg and
         "sender key" in msg,
         "the kernel refuses a recipient key equal to the sender key with "
         "EINVAL and an extack naming the attribute")

# --- One recipient key under two ID contexts at once --------------------
# The ID context is in neither the nonce nor the AAD: two current contexts
# with the same recipient key, Common IV and ID would each accept the
# same request once.
iv = bytes(range(13))
rkey = bytes(range(16, 32))
err, msg = g.context_new(10, b"\x0a", [b"\x0b"], b"\x5e\x37",
                         keys=[bytes(16), rkey], common_iv=iv)
err2, msg2 = g.context_new(11, b"\x0c", [b"\x0b"], b"\x5e\x38",
                           keys=[bytes([1] * 16), rkey], common_iv=iv)
k.diag("second ID context, same recipient key: %s, extack %r" %
       (errno.errorcode.get(-err2, err2), msg2))
k.result(err == 0 and err2 == -errno.EEXIST and "recipient.key" in msg2,
         "a recipient key in use by a current context is refused under "
         "another ID context with EEXIST and an extack naming it")
g.close()

for ns in (cli_ns, srv_ns):
    coapsec(ns, "flush")
sys.exit(k.finish())
