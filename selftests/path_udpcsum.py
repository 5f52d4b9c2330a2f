#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A datagram damaged in transit is not made whole by coapsec.  Verifying
rewrites the message and computes a new UDP checksum; done without
checking the one that came, a request whose outer header (token, message
ID) was corrupted on the wire would reach the application as if intact,
and its Partial IV would be spent for the undamaged copy.  Here the test
protects requests itself (selftests/lib/oscore.py) and sends them as
frames with a UDP checksum that does not match, over IPv4 and IPv6: each
is dropped and counted as malformed, nothing reaches the application,
and the same request sent intact afterwards is verified.

  CLI (10.0.39.1, fd39::1) --veth0-- SRV (10.0.39.2, fd39::2)"""
import socket
import struct
import subprocess
import sys

sys.path.insert(0, "selftests/lib")
from ktap import Ktap  # noqa: E402
from netns import coapsec, packet_socket, stats, udp_socket  # noqa: E402
from oscore import Context, option9  # noqa: E402

cli_ns, srv_ns = sys.argv[1], sys.argv[2]
ADDR = {4: ("10.0.39.1", "10.0.39.2"), 6: ("fd39::1", "fd39::2")}
SECRET = bytes.fromhex("39393939393939393939393939393939")
IDCTX = bytes.fromhex("c39c")
osc = Context(SECRET, IDCTX)
cli_key = osc.key(b"\x01")


def mac(ns):
    out = subprocess.run(["ip", "-n", ns, "-j", "link", "show", "veth0"],
                         check=True, capture_output=True, text=True).stdout
    return bytes.fromhex(__import__("json").loads(out)[0]["address"]
                         .replace(":", ""))


def request(piv):
    plain = bytes([0x01, 0xb4]) + b"csum" + b"\xffpiv %d" % piv[0]
    ct = osc.seal(cli_key, b"\x01", piv, b"\x01", piv, plain)
    opt = bytes([0x18 | len(piv)]) + piv + bytes([len(IDCTX)]) + IDCTX + \
        b"\x01"
    tok = b"\x39" + piv
    return bytes([0x50 | len(tok), 0x02, 0x39, piv[0]]) + tok + \
        option9(opt) + b"\xff" + ct


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def frame(fam, payload, damage):
    """An Ethernet frame from CLI to SRV carrying @payload to port 5683;
    with @damage, its UDP checksum is off by one."""
    src, dst = ADDR[fam]
    af = socket.AF_INET if fam == 4 else socket.AF_INET6
    s, d = socket.inet_pton(af, src), socket.inet_pton(af, dst)
    ulen = 8 + len(payload)
    udp = struct.pack("!HHHH", 40000, 5683, ulen, 0) + payload
    pseudo = s + d + (struct.pack("!BBH", 0, 17, ulen) if fam == 4 else
                      struct.pack("!IxxxB", ulen, 17))
    c = csum(pseudo + udp) or 0xffff
    if damage:
        c = c - 1 if c > 1 else c + 1
    udp = udp[:6] + struct.pack("!H", c) + udp[8:]
    if fam == 4:
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + ulen, 0x3939, 0x4000,
                         64, 17, 0, s, d)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        etype = b"\x08\x00"
    else:
        ip = struct.pack("!IHBB16s16s", 6 << 28, ulen, 17, 64, s, d)
        etype = b"\x86\xdd"
    return mac(srv_ns) + mac(cli_ns) + etype + ip + udp


k = Ktap(3 * 2)
hx = SECRET.hex() + "\n"
coapsec(srv_ns, "context", "add", "id", 1, "secret", "-", "id-context",
        IDCTX.hex(), "sender-id", "00", "recipient-id", "01", stdin=hx)
for fam in ("inet", "inet6"):
    coapsec(srv_ns, "policy", "add", "dir", "in", "family", fam, "action",
            "require")
tx = packet_socket(cli_ns)
apps = {4: udp_socket(srv_ns, socket.AF_INET, ADDR[4][1], 5683, timeout=1.0),
        6: udp_socket(srv_ns, socket.AF_INET6, ADDR[6][1], 5683,
                      timeout=1.0)}


def send(fam, piv, damage):
    before = stats(srv_ns)
    tx.send(frame(fam, request(piv), damage))
    try:
        got = apps[fam].recv(4096)
    except socket.timeout:
        got = None
    after = stats(srv_ns)
    return got, {c: after[c] - before[c] for c in ("verified", "malformed")}


for fam, piv in ((4, b"\x01"), (6, b"\x02")):
    got, d = send(fam, piv, True)
    k.diag("IPv%d, damaged checksum: got %r, %s" % (fam, got, d))
    k.result(got is None and d == {"verified": 0, "malformed": 1},
             "IPv%d: a protected request whose UDP checksum does not match "
             "is dropped and counted as malformed" % fam)
    got, d = send(fam, piv, False)
    k.diag("IPv%d, intact: got %r, %s" % (fam, got, d))
    k.result(got is not None and b"piv %d" % piv[0] in got and
             d == {"verified": 1, "malformed": 0},
             "IPv%d: the same request intact is verified afterwards (the "
             "damaged copy spent nothing)" % fam)
    got, d = send(fam, piv, False)
    k.result(got is None and d["verified"] == 0,
             "IPv%d: and a second intact copy is a replay" % fam)
sys.exit(k.finish())
