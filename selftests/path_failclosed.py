#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Fail closed (issue 12 §2): nothing a require policy covers gets past
coapsec in clear, and nothing coapsec decrypted goes back onto the wire.

  CLI (10.0.31.1, fd31::1) --veth0-- SRV (10.0.31.2, fd31::2)

CLI protects every request to SRV; SRV requires protection on input.  The
wire is watched with a packet socket on CLI's veth0, which sees both
directions, so "in clear" means: a marker string that only the plaintext
holds appears in some frame."""
import json
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, "selftests/lib")
from ktap import Ktap  # noqa: E402
from netns import (coapsec, enter, packet_socket, stats,  # noqa: E402
                   udp_socket)

cli_ns, srv_ns = sys.argv[1], sys.argv[2]
CLI4, SRV4, CLI6, SRV6 = "10.0.31.1", "10.0.31.2", "fd31::1", "fd31::2"
# SRV's second address, which no CLI policy protects toward: what is sent
# there leaves CLI as the test wrote it, UDP length 0 included.
SRV6B = "fd31::3"
SECRET = "3c1e2d3c4b5a69788796a5b4c3d2e1f0\n"
DROPS = ("auth_failures", "replays", "malformed", "no_context",
         "policy_drops", "fragments", "gso", "too_big", "seq_exhausted",
         "errors")


def contexts():
    coapsec(cli_ns, "context", "add", "id", 1, "secret", "-", "id-context",
            "f31c", "sender-id", "01", "recipient-id", "00", stdin=SECRET)
    coapsec(srv_ns, "context", "add", "id", 1, "secret", "-", "id-context",
            "f31c", "sender-id", "00", "recipient-id", "01", stdin=SECRET)


def drops(ns):
    st = stats(ns)
    return sum(st[c] for c in DROPS)


def request(tag, tok, mid=0x31):
    """A NON POST /<tag> whose payload holds the marker LEAK-<tag>."""
    path = tag.encode()
    return (bytes([0x52, 0x02, 0x00, mid]) + tok +
            bytes([0xb0 | len(path)]) + path + b"\xffLEAK-" + path)


def answer(tag, tok, mid=0x32):
    """A NON 2.05 Content whose payload holds the marker LEAK-<tag>."""
    return (bytes([0x52, 0x45, 0x00, mid]) + tok + b"\xffLEAK-" +
            tag.encode())


class Sniffer:
    """Every frame on @ifname in @ns, both directions, from now on."""

    def __init__(self, ns, ifname="veth0"):
        self.s = packet_socket(ns, ifname)
        self.frames = []

    def collect(self, quiet=0.5):
        deadline = time.time() + quiet
        while time.time() < deadline:
            try:
                self.frames.append(self.s.recv(65535))
                deadline = time.time() + quiet
            except BlockingIOError:
                time.sleep(0.02)
        return self.frames

    def seen(self, marker):
        """The frames holding @marker (collects first)."""
        self.collect()
        return [f for f in self.frames if marker in f]

    def close(self):
        self.s.close()


def recv_all(s, wait=0.5):
    got = []
    s.settimeout(wait)
    try:
        while True:
            got.append(s.recv(4096))
    except (socket.timeout, BlockingIOError):
        pass
    return got


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def udp6_len0(src, sport, dst, dport, payload):
    """A UDP header with length 0 ("the rest of the packet", as Linux's
    udpv6 receive reads it) and the checksum it then verifies against."""
    n = 8 + len(payload)
    pseudo = (socket.inet_pton(socket.AF_INET6, src) +
              socket.inet_pton(socket.AF_INET6, dst) +
              struct.pack("!I3xB", n, socket.IPPROTO_UDP))
    hdr = struct.pack("!HHHH", sport, dport, 0, 0)
    c = csum(pseudo + hdr + payload) or 0xffff
    return struct.pack("!HHHH", sport, dport, 0, c) + payload


def raw6(ns, src):
    enter(ns)
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_RAW,
                          socket.IPPROTO_UDP)
        s.bind((src, 0))
        return s
    finally:
        enter(None)


for ns in (cli_ns, srv_ns):
    enter(ns)
    subprocess.run(["sysctl", "-qw", "net.ipv4.icmp_ratelimit=0",
                    "net.ipv6.icmp.ratelimit=0"], check=True)
    enter(None)
contexts()
for dst in (SRV4, SRV6):
    coapsec(cli_ns, "policy", "add", "dir", "out", "dst", dst, "dport",
            "any", "action", "protect", 1)

k = Ktap(17)

# --- 1. IPv6 UDP length 0 -------------------------------------------------
# Phase A: no policy on SRV yet, so a protected request crosses to the
# application as it was on the wire: keep one to replay with length 0.
app6 = udp_socket(srv_ns, socket.AF_INET6, SRV6, 5683, timeout=2.0)
cli6 = udp_socket(cli_ns, socket.AF_INET6, CLI6, 40031)
cli6.sendto(request("len0-prot", b"\x31\x01"), (SRV6, 5683))
try:
    prot = app6.recv(4096)
except socket.timeout:
    prot = None
k.diag("captured protected request: %r" % (prot,))
for fam in ("inet", "inet6"):
    coapsec(srv_ns, "policy", "add", "dir", "in", "family", fam, "dport",
            "any", "action", "require")

rs = raw6(cli_ns, CLI6)
app6b = udp_socket(srv_ns, socket.AF_INET6, SRV6B, 5683, timeout=2.0)
plain = request("len0-plain", b"\x31\x02")
d0 = drops(srv_ns)
rs.sendto(udp6_len0(CLI6, 40032, SRV6B, 5683, plain), (SRV6B, 0))
got = recv_all(app6b)
d1 = drops(srv_ns)
k.diag("plain, UDP length 0: delivered %r, drops %d -> %d" % (got, d0, d1))
# Fixed: parsed as udpv6_rcv() parses it (length = rest of the packet),
# so the require policy drops it like any plain request (policy_drops).
k.result(not got and d1 == d0 + 1,
         "IPv6 plain CoAP with UDP length 0 to a require port: not "
         "delivered, dropped and counted")

v0 = stats(srv_ns)["verified"]
d0 = drops(srv_ns)
if prot:
    rs.sendto(udp6_len0(CLI6, 40031, SRV6B, 5683, prot), (SRV6B, 0))
got = recv_all(app6b)
st = stats(srv_ns)
k.diag("protected, UDP length 0: delivered %r, verified %d -> %d, drops "
       "%d -> %d" % (got, v0, st["verified"], d0, drops(srv_ns)))
# Fixed: either verified and delivered as the plaintext request, or
# dropped and counted; never handed to the socket unverified.
k.result(prot is not None and prot not in got and
         (got == [request("len0-prot", b"\x31\x01")] and
          st["verified"] == v0 + 1 or not got and drops(srv_ns) == d0 + 1),
         "IPv6 protected request with UDP length 0: verified or dropped, "
         "never delivered unverified")
rs.close()
app6b.close()

def quoted_udp_csums(frames):
    """The UDP checksums that the ICMP or ICMPv6 errors among @frames
    quote (Ethernet, no IP options or extension headers)."""
    sums = []
    for f in frames:
        if f[12:14] == b"\x08\x00" and f[23] == 1 and f[34] == 3 and \
                len(f) >= 70 and f[51] == 17:
            sums.append(struct.unpack("!H", f[68:70])[0])
        elif f[12:14] == b"\x86\xdd" and f[20] == 58 and f[54] < 128 and \
                len(f) >= 110 and f[68] == 17:
            sums.append(struct.unpack("!H", f[108:110])[0])
    return sums


# --- 2. ICMP errors quote no plaintext -----------------------------------
# A verified request to a port with no socket: SRV's "port unreachable"
# may quote the ciphertext that arrived, or nothing, never the plaintext.
for fam, cli_addr, srv_addr in ((socket.AF_INET, CLI4, SRV4),
                                (socket.AF_INET6, CLI6, SRV6)):
    v = 4 if fam == socket.AF_INET else 6
    tag = "icmp-req-v%d" % v
    c = udp_socket(cli_ns, fam, cli_addr)
    sn = Sniffer(cli_ns)
    v0 = stats(srv_ns)["verified"]
    c.sendto(request(tag, b"\x32" + bytes([v])), (srv_addr, 5699))
    leaked = sn.seen(b"LEAK-" + tag.encode())
    icmp = [f for f in sn.frames if len(f) > 23 and
            (f[12:14] == b"\x08\x00" and f[23] == 1 or
             f[12:14] == b"\x86\xdd" and f[20] == 58)]
    v1 = stats(srv_ns)["verified"]
    sums = quoted_udp_csums(icmp)
    k.diag("IPv%d: verified %d -> %d, %d ICMP frames, %d with the "
           "plaintext, quoted UDP checksums %s" %
           (v, v0, v1, len(icmp), len(leaked), sums))
    # The quoted checksum, a sum over the plaintext, is zeroed too.
    k.result(v1 == v0 + 1 and not leaked and sums and not any(sums),
             "IPv%d: the ICMP port unreachable for a verified request "
             "quotes no plaintext, nor its UDP checksum" % v)
    sn.close()
    c.close()

# A verified response whose client socket closed: CLI's "port
# unreachable" toward SRV quotes no plaintext answer either.
for fam, cli_addr, srv_addr, app in ((socket.AF_INET, CLI4, SRV4, None),
                                     (socket.AF_INET6, CLI6, SRV6, app6)):
    v = 4 if fam == socket.AF_INET else 6
    tag = "icmp-resp-v%d" % v
    tok = b"\x33" + bytes([v])
    if app is None:
        app = udp_socket(srv_ns, fam, srv_addr, 5683, timeout=2.0)
    c = udp_socket(cli_ns, fam, cli_addr)
    c.sendto(request("q", tok), (srv_addr, 5683))
    try:
        _, peer = app.recvfrom(4096)
    except socket.timeout:
        peer = None
    c.close()
    sn = Sniffer(cli_ns)
    v0 = stats(cli_ns)["verified"]
    if peer:
        app.sendto(answer(tag, tok), peer)
    leaked = sn.seen(b"LEAK-" + tag.encode())
    v1 = stats(cli_ns)["verified"]
    sums = quoted_udp_csums(sn.frames)
    k.diag("IPv%d: client verified %d -> %d, %d frames with the plaintext, "
           "quoted UDP checksums %s" % (v, v0, v1, len(leaked), sums))
    k.result(peer is not None and v1 == v0 + 1 and not leaked and
             sums and not any(sums),
             "IPv%d: the ICMP port unreachable for a verified response "
             "(client socket closed) quotes no plaintext, nor its UDP "
             "checksum" % v)
    sn.close()
    if app is not app6:
        app.close()

# --- 2b. Answers coapsec cannot protect ----------------------------------
# An answer bound to a verified request never leaves in clear for any
# reason: one too big to protect (over 4096 bytes, what the scratch
# holds) or one that does not parse as CoAP is dropped and counted
# (EMSGSIZE / EPERM to the sender), as an unprotectable request is.
def answer_not_in_clear(fam, cli_addr, srv_addr, tag, tok, send,
                        counter, count):
    """CLI's request verified at SRV, whose application then answers it
    with send(app, peer): True when no frame carries the answer's marker
    in clear and count() (what counts as @counter) went up by one."""
    app = udp_socket(srv_ns, fam, srv_addr, 5683, timeout=2.0) \
        if fam == socket.AF_INET else app6
    c = udp_socket(cli_ns, fam, cli_addr)
    c.sendto(request("q", tok), (srv_addr, 5683))
    try:
        m, peer = app.recvfrom(4096)
    except socket.timeout:
        m, peer = None, None
    sn = Sniffer(cli_ns)
    d0 = count()
    err = None
    try:
        if peer:
            send(app, peer)
    except OSError as e:
        err = e.errno
    leaked = sn.seen(b"LEAK-" + tag.encode())
    d1 = count()
    k.diag("%s: request verified %s, sendto error %s, %s %d -> %d, %d "
           "frames with the plaintext" % (tag, m == request("q", tok), err,
                                          counter, d0, d1, len(leaked)))
    sn.close()
    c.close()
    if app is not app6:
        app.close()
    return m == request("q", tok) and not leaked and d1 == d0 + 1


def unprotectable_answer(fam, cli_addr, srv_addr, tag, tok, body):
    return answer_not_in_clear(fam, cli_addr, srv_addr, tag, tok,
                               lambda app, peer: app.sendto(body, peer),
                               "drops", lambda: drops(srv_ns))

for fam, cli_addr, srv_addr, v in ((socket.AF_INET, CLI4, SRV4, 4),
                                   (socket.AF_INET6, CLI6, SRV6, 6)):
    tag, tok = "big-v%d" % v, b"\x36" + bytes([v])
    big = answer(tag, tok) + b"x" * 5000
    k.result(unprotectable_answer(fam, cli_addr, srv_addr, tag, tok, big),
             "IPv%d: an answer to a verified request too big to protect is "
             "dropped and counted, not sent in clear" % v)
tag, tok = "unparsable", b"\x37\x04"
# Option delta nibble 15 without the payload marker's 0xff: not CoAP.
bad = bytes([0x52, 0x45, 0x00, 0x37]) + tok + b"\xf1LEAK-" + tag.encode()
k.result(unprotectable_answer(socket.AF_INET, CLI4, SRV4, tag, tok, bad),
         "IPv4: an answer to a verified request that does not parse as CoAP "
         "is dropped and counted, not sent in clear")

# --- 2b'. IPv4 options ------------------------------------------------------
# A header with options (ihl 6: NOP NOP NOP EOL) leaves the hooks' first
# look unsure (it reads option-less headers only): the full path still
# protects the request at CLI and verifies it at SRV.
def with_options(tag, tok):
    app = udp_socket(srv_ns, socket.AF_INET, SRV4, 5683, timeout=2.0)
    c = udp_socket(cli_ns, socket.AF_INET, CLI4)
    c.setsockopt(socket.IPPROTO_IP, socket.IP_OPTIONS, b"\x01\x01\x01\x00")
    v0 = stats(srv_ns)["verified"]
    sn = Sniffer(cli_ns)
    c.sendto(request(tag, tok), (SRV4, 5683))
    try:
        m = app.recv(4096)
    except socket.timeout:
        m = None
    opts = [f for f in sn.collect() if len(f) > 34 and f[12:14] == b"\x08\x00"
            and f[14] == 0x46]
    leaked = sn.seen(b"LEAK-" + tag.encode())
    v1 = stats(srv_ns)["verified"]
    k.diag("%s: delivered %s, verified %d -> %d, %d frames with options, %d "
           "with the plaintext" % (tag, m == request(tag, tok), v0, v1,
                                   len(opts), len(leaked)))
    sn.close()
    c.close()
    app.close()
    return m == request(tag, tok) and v1 == v0 + 1 and opts and not leaked


k.result(with_options("opts-v4", b"\x3a\x04"),
         "IPv4 with options: the request is protected on the wire and "
         "verified, as without")

# --- 2c. GSO: an answer behind a request -----------------------------------
# One UDP_SEGMENT send whose first segment is a request of SRV's own and
# whose second answers CLI's verified request: the first tells nothing of
# the second, so toward a peer whose answers are guarded the whole
# super-packet is dropped and counted (gso), never sent in clear.
UDP_SEGMENT = 103


def gso_answer(fam, cli_addr, srv_addr, tag, tok):
    second = answer(tag, tok)
    first = request("own", b"\x38" + tok[1:])
    first += b"p" * (len(second) - len(first))

    def send(app, peer):
        try:
            app.setsockopt(socket.IPPROTO_UDP, UDP_SEGMENT, len(first))
            app.sendto(first + second, peer)
        finally:
            app.setsockopt(socket.IPPROTO_UDP, UDP_SEGMENT, 0)

    return answer_not_in_clear(fam, cli_addr, srv_addr, tag, tok, send,
                               "gso", lambda: stats(srv_ns)["gso"])

for fam, cli_addr, srv_addr, v in ((socket.AF_INET, CLI4, SRV4, 4),
                                   (socket.AF_INET6, CLI6, SRV6, 6)):
    k.result(gso_answer(fam, cli_addr, srv_addr, "gso-v%d" % v,
                        b"\x39" + bytes([v])),
             "IPv%d: a GSO send of a request then an answer to a verified "
             "request is dropped and counted, not sent in clear" % v)
# The same where a bypass policy lets SRV's own requests to CLI out plain:
# it exempts requests, never the answer behind one.
coapsec(srv_ns, "policy", "add", "id", 77, "dir", "out", "dst", CLI4,
        "dport", "any", "action", "bypass")
k.result(gso_answer(socket.AF_INET, CLI4, SRV4, "gso-bypass", b"\x3b\x04"),
         "IPv4: the same behind a bypass policy for SRV's requests to CLI")
coapsec(srv_ns, "policy", "del", 77)

# --- 3. Answers after the last context went ------------------------------
# SRV verified a request; then its only context is deleted.  The answer
# bound to that request may not leave in clear to a peer that a require
# policy covers: dropped (EPERM to the sender, as a LOCAL_OUT drop) and
# counted as no_context on SRV.


def answer_after_delete(fam, cli_addr, srv_addr, tag, tok):
    app = udp_socket(srv_ns, fam, srv_addr, 5683, timeout=2.0) \
        if fam == socket.AF_INET else app6
    c = udp_socket(cli_ns, fam, cli_addr)
    v0 = stats(srv_ns)["verified"]
    c.sendto(request("q", tok), (srv_addr, 5683))
    try:
        m, peer = app.recvfrom(4096)
    except socket.timeout:
        m, peer = None, None
    verified = m == request("q", tok) and \
        stats(srv_ns)["verified"] == v0 + 1
    nc0 = stats(srv_ns)["no_context"]
    coapsec(srv_ns, "context", "del", 1)
    sn = Sniffer(cli_ns)
    refused = False
    try:
        if peer:
            app.sendto(answer(tag, tok), peer)
    except PermissionError:
        refused = True
    leaked = sn.seen(b"LEAK-" + tag.encode())
    nc1 = stats(srv_ns)["no_context"]
    k.diag("%s: request verified %s, sendto refused %s, no_context %d -> "
           "%d, %d frames with the plaintext" %
           (tag, verified, refused, nc0, nc1, len(leaked)))
    sn.close()
    c.close()
    if app is not app6:
        app.close()
    return verified and not leaked and nc1 == nc0 + 1


for fam, cli_addr, srv_addr, v in ((socket.AF_INET, CLI4, SRV4, 4),
                                   (socket.AF_INET6, CLI6, SRV6, 6)):
    ok = answer_after_delete(fam, cli_addr, srv_addr, "after-del-v%d" % v,
                             b"\x34" + bytes([v]))
    k.result(ok, "IPv%d: the answer to a verified request, sent after the "
             "last context was deleted, is dropped and counted, not sent "
             "in clear" % v)
    coapsec(srv_ns, "context", "add", "id", 1, "secret", "-", "id-context",
            "f31c", "sender-id", "00", "recipient-id", "01", stdin=SECRET)

# The require lookup for an answer uses the request's selectors: here the
# require policy covers only requests that SRV's prerouting marked 0x31;
# the answer itself carries no mark.
for pid in [p["id"] for p in
            json.loads(coapsec(srv_ns, "-j", "policy", "show"))]:
    coapsec(srv_ns, "policy", "del", pid)
enter(srv_ns)
subprocess.run(["nft", "-f", "-"], check=True, text=True, input="""
table inet failclosed {
	chain pre { type filter hook prerouting priority -150; policy accept;
		ip saddr 10.0.31.1 meta mark set 0x31
		ip6 saddr fd31::1 meta mark set 0x31
	}
}
""")
enter(None)
for fam in ("inet", "inet6"):
    coapsec(srv_ns, "policy", "add", "dir", "in", "family", fam, "dport",
            "any", "mark", "0x31", "action", "require")
for fam, cli_addr, srv_addr, v in ((socket.AF_INET, CLI4, SRV4, 4),
                                   (socket.AF_INET6, CLI6, SRV6, 6)):
    ok = answer_after_delete(fam, cli_addr, srv_addr,
                             "after-del-mark-v%d" % v, b"\x35" + bytes([v]))
    k.result(ok, "IPv%d: with require matching the request's mark only, "
             "the answer after the last context was deleted is still "
             "dropped and counted" % v)
    coapsec(srv_ns, "context", "add", "id", 1, "secret", "-", "id-context",
            "f31c", "sender-id", "00", "recipient-id", "01", stdin=SECRET)

coapsec(cli_ns, "flush")
coapsec(srv_ns, "flush")
sys.exit(k.finish())
