#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Wire check for OSCORE (RFC 8613) traffic in a capture.

    nonce_check.py [--peer KID=PEERKID]... [--marker TEXT]... PCAP...
    nonce_check.py --self-test

Reads each capture with tshark (CoAP on UDP port 5683, ICMP quotes left
out; several captures are concatenated with mergecap first, as tshark
takes long to start under emulation) and prints for each, labelled with
its file name less the extension, '# LABEL: ' diagnostics, then one line
per check, "check LABEL NAME ok" or "check LABEL NAME fail", and
"count LABEL protected N":

  plaintext  every CoAP message that is not an Empty message carries the
             OSCORE option, none carries Uri-Path, and no --marker text
             appears in a datagram or anywhere in the capture file.
  kid-piv    no two protected messages under one key (one sender: its
             sender ID within its ID context) carry the same Partial IV.
  nonce      no two protected messages under one key use the same
             nonce.  A response without a Partial IV uses its request's
             nonce, (request kid, request Partial IV), under the
             responder's key; the request is the one with the same token
             and the reverse addresses and ports.  Several candidate
             requests (CoAP retransmissions re-protected with a fresh
             Partial IV share token and Message ID) are used up one per
             Partial-IV-less response, so a reuse is reported only when
             every candidate's nonce is already taken.

The responder's sender ID is not on the wire.  --peer 01=00 names it
(requests with kid 01 are answered by sender 00), which puts its own
Partial IVs and its requests, if any, under one key; without it the
responder's key is labelled "peer of 01".  The ID context of a message
without kid context is the last one seen with that kid (for a response,
its request's).  A datagram identical to an earlier one (addresses,
ports and bytes) is a capture artefact, reported and not counted.

--self-test writes synthetic captures (one with each kind of defect and
clean ones), runs the checks on them and exits 0 only if each defect is
flagged and nothing else is.
"""
import argparse
import io
import os
import struct
import subprocess
import sys
import tempfile

FIELDS = ["frame.number", "frame.interface_id", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst",
          "udp.srcport", "udp.dstport", "coap.type", "coap.code",
          "coap.token", "coap.opt.name",
          "coap.opt.object_security_kid",
          "coap.opt.object_security_kid_context",
          "coap.opt.object_security_piv", "coap.opt.uri_path",
          "udp.payload"]
FILTER = "udp.port == 5683 && !icmp && !icmpv6"
OSCORE_OPTION = 9


def tshark_rows(pcap):
    cmd = ["tshark", "-n", "-r", pcap, "-Y", FILTER, "-T", "fields",
           "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=|"]
    for f in FIELDS:
        cmd += ["-e", f]
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         universal_newlines=True, check=False)
    if res.returncode != 0:
        raise RuntimeError("tshark -r %s failed (%d): %s" %
                           (pcap, res.returncode, res.stderr.strip()))
    rows = []
    for line in res.stdout.splitlines():
        cols = line.split("\t")
        cols += [""] * (len(FIELDS) - len(cols))
        rows.append(dict(zip(FIELDS, cols)))
    return rows


def first(v):
    return v.split("|")[0]


def hexnorm(v):
    return first(v).replace(":", "").lower()


def oscore_option(payload):
    """The OSCORE option's value in a CoAP datagram, or None."""
    if len(payload) < 4:
        return None
    tkl = payload[0] & 0x0f
    i, num = 4 + tkl, 0
    while i < len(payload) and payload[i] != 0xff:
        delta, length = payload[i] >> 4, payload[i] & 0x0f
        i += 1
        ext = []
        for nib in (delta, length):
            if nib == 13:
                ext.append(payload[i] + 13)
                i += 1
            elif nib == 14:
                ext.append((payload[i] << 8 | payload[i + 1]) + 269)
                i += 2
            elif nib == 15:
                return None
            else:
                ext.append(nib)
        num += ext[0]
        if num == OSCORE_OPTION:
            return payload[i:i + ext[1]]
        i += ext[1]
    return None


def parse_oscore(v):
    """(kid, kid context, Partial IV) in an OSCORE option value, as hex
    strings and an integer, None where absent."""
    if not v:
        return (None, None, None)
    n, i = v[0] & 0x07, 1
    piv = int.from_bytes(v[i:i + n], "big") if n else None
    i += n
    ctx = None
    if v[0] & 0x10:
        ctx = v[i + 1:i + 1 + v[i]].hex()
        i += 1 + v[i]
    kid = v[i:].hex() if v[0] & 0x08 else None
    return (kid, ctx, piv)


def pcapng_counts(path):
    """How many interfaces (IDBs) and packets a pcapng file holds."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x0a\x0d\x0d\x0a":
        raise RuntimeError("%s: not pcapng (dumpcap's format)" % path)
    n, pkts, i, end = 0, 0, 0, "<"
    while i + 12 <= len(data):
        if data[i:i + 4] == b"\x0a\x0d\x0d\x0a":
            end = "<" if data[i + 8:i + 12] == b"\x4d\x3c\x2b\x1a" else ">"
        btype, blen = struct.unpack(end + "II", data[i:i + 8])
        if blen < 12:
            raise RuntimeError("%s: a pcapng block of %d bytes at %d" %
                               (path, blen, i))
        n += btype == 1
        pkts += btype in (3, 6)
        i += blen
    return n, pkts


def capture_rows(pcaps):
    """tshark's rows for each capture, in one tshark run."""
    if len(pcaps) == 1:
        return [tshark_rows(pcaps[0])]
    owner, first_frame = [], []
    for k, p in enumerate(pcaps):
        ifaces, pkts = pcapng_counts(p)
        owner += [k] * ifaces
        first_frame.append(sum(pcapng_counts(q)[1] for q in pcaps[:k]))
    with tempfile.TemporaryDirectory() as d:
        merged = os.path.join(d, "all.pcapng")
        res = subprocess.run(["mergecap", "-a", "-I", "none", "-w", merged]
                             + list(pcaps), stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT,
                             universal_newlines=True, check=False)
        if res.returncode != 0:
            raise RuntimeError("mergecap failed (%d): %s" %
                               (res.returncode, res.stdout.strip()))
        rows = tshark_rows(merged)
    out = [[] for _ in pcaps]
    for r in rows:
        iface = int(first(r["frame.interface_id"]) or 0)
        if iface >= len(owner):
            raise RuntimeError("frame %s on interface %d of %d" %
                               (first(r["frame.number"]), iface, len(owner)))
        k = owner[iface]
        # Frame numbers as in the capture itself.
        r["frame.number"] = str(int(first(r["frame.number"])) -
                                first_frame[k])
        out[k].append(r)
    return out


class Checker:
    def __init__(self, peers=None, markers=(), out=sys.stdout, label=""):
        self.label = label + " " if label else ""
        self.peers = dict(peers or {})
        self.markers = [m.encode() for m in markers]
        self.out = out
        self.fail = {"plaintext": [], "kid-piv": [], "nonce": []}
        self.counts = {"protected": 0, "requests": 0, "resp_piv": 0,
                       "resp_no_piv": 0, "empty": 0, "rst": 0,
                       "duplicates": 0}
        self.seen = {}		# exact datagram -> first frame
        self.ctx_of_kid = {}
        self.requests = {}	# (cli, cport, srv, sport, token) -> [req]
        self.with_piv = {}	# (key, sender, piv) -> frame
        self.nonces = {}	# (key, idpiv) -> frame

    def diag(self, msg):
        print("# %s%s" % (self.label.replace(" ", ": "), msg),
              file=self.out)

    def flag(self, check, msg):
        self.fail[check].append(msg)

    def responder(self, ctx, req_kid):
        if req_kid in self.peers:
            return (ctx, self.peers[req_kid])
        return (ctx, "peer of " + req_kid)

    def use(self, key, nonce_id, frame, what):
        k = (key, nonce_id)
        if k in self.nonces:
            self.flag("nonce", "frame %s (%s) reuses the nonce of frame %s: "
                      "key ctx=%s sender=%s, nonce from kid=%s piv=%d" %
                      (frame, what, self.nonces[k], key[0] or "-", key[1],
                       nonce_id[0], nonce_id[1]))
        else:
            self.nonces[k] = frame

    def row(self, r):
        frame = first(r["frame.number"])
        v6 = bool(first(r["ipv6.src"]))
        src = first(r["ipv6.src"] if v6 else r["ip.src"])
        dst = first(r["ipv6.dst"] if v6 else r["ip.dst"])
        sport, dport = first(r["udp.srcport"]), first(r["udp.dstport"])
        raw = bytes.fromhex(hexnorm(r["udp.payload"]))
        for m in self.markers:
            if m in raw:
                self.flag("plaintext", "frame %s carries %r in clear" %
                          (frame, m.decode()))
        code = first(r["coap.code"])
        if not code:
            self.flag("plaintext", "frame %s to port 5683 is not CoAP "
                      "(%d bytes)" % (frame, len(raw)))
            return
        code = int(code)
        dup = (src, sport, dst, dport, raw)
        if dup in self.seen:
            self.counts["duplicates"] += 1
            self.diag("frame %s is byte for byte frame %s (capture "
                      "artefact or link-layer copy), not counted" %
                      (frame, self.seen[dup]))
            return
        self.seen[dup] = frame
        if first(r["coap.opt.uri_path"]):
            self.flag("plaintext", "frame %s carries Uri-Path %r in clear" %
                      (frame, r["coap.opt.uri_path"]))
        opt = oscore_option(raw)
        if code == 0:
            self.counts["empty"] += 1
            self.counts["rst"] += first(r["coap.type"]) == "3"
            if len(raw) > 4:
                self.flag("plaintext", "frame %s: Empty message with %d "
                          "bytes after the header" % (frame, len(raw) - 4))
            return
        if opt is None:
            self.flag("plaintext", "frame %s: code %d.%02d without OSCORE" %
                      (frame, code >> 5, code & 31))
            return
        self.counts["protected"] += 1
        kid = hexnorm(r["coap.opt.object_security_kid"])
        kid_present = bool(opt) and bool(opt[0] & 0x08)
        ctx = hexnorm(r["coap.opt.object_security_kid_context"])
        piv_hex = hexnorm(r["coap.opt.object_security_piv"])
        piv = int(piv_hex, 16) if piv_hex else None
        if parse_oscore(opt) != (kid if kid_present else None, ctx or None,
                                 piv):
            self.flag("nonce", "frame %s: tshark reads the OSCORE option "
                      "%s as kid %s, kid context %s, Partial IV %s" %
                      (frame, opt.hex() or "(empty)", kid or "-", ctx or "-",
                       piv))
            return
        token = hexnorm(r["coap.token"])
        if kid_present:
            if ctx:
                self.ctx_of_kid[kid] = ctx
            else:
                ctx = self.ctx_of_kid.get(kid, "")
        if 1 <= code < 32:
            self.counts["requests"] += 1
            if not kid_present or piv is None:
                self.flag("nonce", "frame %s: request without kid or "
                          "Partial IV" % frame)
                return
            key = (ctx, kid)
            self.requests.setdefault((src, sport, dst, dport, token),
                                     []).append({"frame": frame, "ctx": ctx,
                                                 "kid": kid, "piv": piv,
                                                 "used": False})
            self.kid_piv(key, piv, frame)
            self.use(key, (kid, piv), frame, "request")
            return
        if code < 64:
            self.flag("nonce", "frame %s: reserved code class 1" % frame)
            return
        cands = self.requests.get((dst, dport, src, sport, token), [])
        if not cands:
            self.flag("nonce", "frame %s: response to no request seen "
                      "(token %s): its key is unknown" % (frame, token or "-"))
            return
        req = cands[-1]
        key = self.responder(req["ctx"], req["kid"])
        if kid_present:
            key = (req["ctx"], kid)
        if piv is not None:
            self.counts["resp_piv"] += 1
            self.kid_piv(key, piv, frame)
            self.use(key, (key[1], piv), frame, "response with Partial IV")
            return
        self.counts["resp_no_piv"] += 1
        unused = [c for c in cands if not c["used"]]
        if len(unused) > 1:
            self.diag("frame %s: %d candidate requests for a response "
                      "without Partial IV (retransmission); taking frame "
                      "%s's nonce" % (frame, len(unused), unused[-1]["frame"]))
        req = unused[-1] if unused else cands[-1]
        req["used"] = True
        key = self.responder(req["ctx"], req["kid"])
        if kid_present:
            key = (req["ctx"], kid)
        self.use(key, (req["kid"], req["piv"]), frame,
                 "response without Partial IV to frame %s" % req["frame"])

    def kid_piv(self, key, piv, frame):
        k = (key, piv)
        if k in self.with_piv:
            self.flag("kid-piv", "frame %s repeats Partial IV %d of frame %s "
                      "under key ctx=%s sender=%s" %
                      (frame, piv, self.with_piv[k], key[0] or "-", key[1]))
        else:
            self.with_piv[k] = frame

    def file_markers(self, path):
        with open(path, "rb") as f:
            data = f.read()
        for m in self.markers:
            if m in data:
                self.flag("plaintext", "the capture file holds %r" %
                          m.decode())

    def report(self):
        self.diag("wire: " + ", ".join("%s %d" % kv for kv in
                                        self.counts.items()))
        ok = True
        for name, msgs in self.fail.items():
            for m in msgs[:10]:
                self.diag("%s: %s" % (name, m))
            if len(msgs) > 10:
                self.diag("%s: ... %d more" % (name, len(msgs) - 10))
            print("check %s%s %s" % (self.label, name,
                                     "fail" if msgs else "ok"), file=self.out)
            ok = ok and not msgs
        print("count %sprotected %d" % (self.label, self.counts["protected"]),
              file=self.out)
        return ok


def check(pcaps, peers=None, markers=(), out=sys.stdout):
    """A reported Checker for each capture; True if all passed."""
    ok = True
    for pcap, rows in zip(pcaps, capture_rows(pcaps)):
        label = os.path.splitext(os.path.basename(pcap))[0]
        c = Checker(peers, markers, out, label)
        for r in rows:
            c.row(r)
        c.file_markers(pcap)
        ok = c.report() and ok
    return ok


# --- synthetic captures for --self-test -----------------------------------

def coap(mtype, code, mid, token, options=(), payload=b""):
    out = bytes([0x40 | mtype << 4 | len(token), code]) + \
        struct.pack("!H", mid) + token
    last = 0
    for num, val in sorted(options, key=lambda o: o[0]):
        d, n = num - last, len(val)
        last = num
        hdr, ext = b"", b""
        for x in (d, n):
            if x < 13:
                hdr += bytes([x])
            elif x < 269:
                hdr += bytes([13])
                ext += bytes([x - 13])
            else:
                hdr += bytes([14])
                ext += struct.pack("!H", x - 269)
        out += bytes([hdr[0] << 4 | hdr[1]]) + ext + val
    if payload:
        out += b"\xff" + payload
    return out


def oscore(piv=None, kid=None, ctx=None):
    """The OSCORE option value (RFC 8613 section 6.1)."""
    pivb = b"" if piv is None else piv.to_bytes(max(1, (piv.bit_length()
                                                        + 7) // 8), "big")
    flags = len(pivb) | (0x08 if kid is not None else 0) | \
        (0x10 if ctx is not None else 0)
    if flags == 0:
        return b""
    v = bytes([flags]) + pivb
    if ctx is not None:
        v += bytes([len(ctx)]) + ctx
    if kid is not None:
        v += kid
    return v


def ipv4_udp(src, dst, sport, dport, data):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000,
                      64, 17, 0, bytes(map(int, src.split("."))),
                      bytes(map(int, dst.split("."))))
    s = sum(struct.unpack("!10H", hdr))
    s = (s & 0xffff) + (s >> 16)
    s = (s & 0xffff) + (s >> 16)
    return hdr[:10] + struct.pack("!H", ~s & 0xffff) + hdr[12:] + udp


def write_pcap(path, packets):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 101))
        for i, p in enumerate(packets):
            f.write(struct.pack("<IIII", 1000 + i, 0, len(p), len(p)) + p)


CLI, SRV = ("10.9.0.1", 40000), ("10.9.0.2", 5683)
KID, CTX = b"\x01", b"\x0c\x0a"


def req(piv, token=b"\x01", mid=1, kid=KID, ctx=CTX, cli=CLI, body=b"r"):
    m = coap(0, 2, mid, token, [(OSCORE_OPTION, oscore(piv, kid, ctx))],
             body + bytes([piv & 0xff]))
    return ipv4_udp(cli[0], SRV[0], cli[1], SRV[1], m)


def resp(piv=None, token=b"\x01", mid=1, mtype=2, cli=CLI, body=b"a"):
    m = coap(mtype, 69, mid, token, [(6, b"\x05"),
                                     (OSCORE_OPTION, oscore(piv))], body)
    return ipv4_udp(SRV[0], cli[0], SRV[1], cli[1], m)


def empty_ack(mid, to_cli=False):
    m = coap(2, 0, mid, b"")
    if to_cli:
        return ipv4_udp(SRV[0], CLI[0], SRV[1], CLI[1], m)
    return ipv4_udp(CLI[0], SRV[0], CLI[1], SRV[1], m)


SCENARIOS = [
    # name, packets, checks expected to fail
    ("clean: requests, first responses without Partial IV, notifications "
     "with their own, an Empty ACK, a separate response, a duplicate frame",
     [req(0), resp(), req(1, b"\x02", 2), resp(None, b"\x02", 2),
      req(2, b"\x03", 3), resp(None, b"\x03", 3), resp(0, b"\x03", 100, 0),
      empty_ack(100), resp(1, b"\x03", 101, 0), empty_ack(101),
      req(3, b"\x04", 4), empty_ack(4, True), resp(2, b"\x04", 102, 0),
      empty_ack(102), req(4, b"\x05", 5), req(4, b"\x05", 5)], set()),
    ("clean: a retransmitted request re-protected, answered twice",
     [req(0), req(1), resp(), resp(body=b"b")], set()),
    ("clean: same kid and Partial IV under another ID context or sender",
     [req(0), req(0, ctx=b"\x0d", cli=("10.9.0.1", 40001)),
      req(0, kid=b"\x02", cli=("10.9.0.1", 40002)), resp(0)], set()),
    ("reuse: a second notification without Partial IV",
     [req(7), resp(), resp(None, mid=200, mtype=0)], {"nonce"}),
    ("reuse: two requests under one key with the same Partial IV",
     [req(9, b"\x01"), req(9, b"\x02", 2, body=b"other")],
     {"kid-piv", "nonce"}),
    ("reuse: two notifications with the same Partial IV",
     [req(0), resp(), resp(3, mid=300, mtype=0),
      resp(3, mid=301, mtype=0, body=b"b")], {"kid-piv", "nonce"}),
    ("reuse: the responder's Partial IV reused across two clients' "
     "exchanges",
     [req(0), req(0, b"\x09", cli=("10.9.0.1", 40009)),
      resp(5), resp(5, b"\x09", cli=("10.9.0.1", 40009))],
     {"kid-piv", "nonce"}),
    ("plaintext: a request with Uri-Path and no OSCORE",
     [ipv4_udp(CLI[0], SRV[0], CLI[1], SRV[1],
               coap(0, 1, 9, b"\x01", [(11, b"time")]))], {"plaintext"}),
    ("plaintext: a marker in a protected message's payload",
     [req(0, body=b"MARKER-TEXT")], {"plaintext"}),
]


def renet(packet, net):
    """The IPv4 packet moved to 10.9.NET.x, its header checksum redone."""
    h = bytearray(packet[:20])
    h[14] = h[18] = net
    h[10:12] = b"\0\0"
    s = sum(struct.unpack("!10H", bytes(h)))
    s = (s & 0xffff) + (s >> 16)
    s = (s & 0xffff) + (s >> 16)
    h[10:12] = struct.pack("!H", ~s & 0xffff)
    return bytes(h) + packet[20:]


def self_test():
    """Every scenario in one capture (tshark is slow to start under
    emulation), each on its own 10.9.N.0/24, checked apart."""
    packets = []
    for n, (_, pkts, _) in enumerate(SCENARIOS, 1):
        packets += [renet(p, n) for p in pkts]
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "self-test.pcap")
        write_pcap(path, packets)
        rows = tshark_rows(path)
    if len(rows) != len(packets):
        print("# self-test: tshark read %d of %d packets" %
              (len(rows), len(packets)))
        return False
    bad = 0
    for n, (name, _, expect) in enumerate(SCENARIOS, 1):
        log = io.StringIO()
        c = Checker({"01": "00"}, ["MARKER-TEXT"], out=log)
        for r in rows:
            if first(r["ip.src"]).split(".")[2] == str(n):
                c.row(r)
        c.report()
        got = {k for k, v in c.fail.items() if v}
        if got == expect and (c.counts["protected"] or "plaintext" in expect):
            print("# self-test %d ok: %s (flagged %s)" %
                  (n, name, ", ".join(sorted(got)) or "nothing"))
            continue
        bad += 1
        print("# self-test %d failed: %s: flagged %s, expected %s" %
              (n, name, sorted(got) or "nothing", sorted(expect) or "nothing"))
        for line in log.getvalue().splitlines():
            print("#   " + line.lstrip("# "))
    return bad == 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("pcap", nargs="*")
    ap.add_argument("--peer", action="append", default=[],
                    metavar="KID=PEERKID")
    ap.add_argument("--marker", action="append", default=[])
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args()
    if a.self_test:
        return 0 if self_test() else 1
    if not a.pcap:
        ap.error("a capture file (PCAP) is required, or --self-test")
    labels = [os.path.splitext(os.path.basename(p))[0] for p in a.pcap]
    if len(set(labels)) != len(labels):
        ap.error("captures need distinct file names: %s" % " ".join(a.pcap))
    peers = {}
    for p in a.peer:
        k, sep, v = p.partition("=")
        try:
            bytes.fromhex(k + v)
        except ValueError:
            sep = ""
        if not sep:
            ap.error("--peer %r: expected KID=PEERKID in hex, as 01=00" % p)
        peers[k.lower()] = v.lower()
    try:
        return 0 if check(a.pcap, peers, a.marker) else 1
    except (OSError, RuntimeError) as e:
        print("nonce_check.py: %s" % e, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
