#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The inner code matches the outer class (issue 12 §5): an OSCORE
request whose decrypted code is a response code, or a response whose
decrypted code is a request code, is dropped and counted as malformed.
Such messages come only from a peer holding the keys, so this test
protects them itself (RFC 8613 §3.2, §5, with the `cryptography`
package's HKDF and AES-CCM), after checking that a well-formed message
it protects the same way is verified.

  CLI (10.0.35.1) --veth0-- SRV (10.0.35.2)"""
import socket
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESCCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

sys.path.insert(0, "selftests/lib")
from ktap import Ktap  # noqa: E402
from netns import coapsec, stats, udp_socket  # noqa: E402

cli_ns, srv_ns = sys.argv[1], sys.argv[2]
CLI, SRV = "10.0.35.1", "10.0.35.2"
SECRET = bytes.fromhex("35353535353535353535353535353535")
IDCTX = bytes.fromhex("c35c")
ALG = 10				# AES-CCM-16-64-128


def cbor_bstr(b):
    assert len(b) < 24
    return bytes([0x40 | len(b)]) + b


def cbor_tstr(s):
    return bytes([0x60 | len(s)]) + s.encode()


def derive(ident, typ, n):
    info = (b"\x85" + cbor_bstr(ident) + cbor_bstr(IDCTX) + bytes([ALG]) +
            cbor_tstr(typ) + bytes([n]))
    return HKDF(hashes.SHA256(), n, None, info).derive(SECRET)


IV = derive(b"", "IV", 13)


def nonce(kid, piv):
    x = bytes([len(kid)]) + kid.rjust(7, b"\0") + piv.rjust(5, b"\0")
    return bytes(a ^ b for a, b in zip(x, IV))


def aad(req_kid, req_piv):
    ext = b"\x85\x01\x81" + bytes([ALG]) + cbor_bstr(req_kid) + \
        cbor_bstr(req_piv) + b"\x40"
    return b"\x83" + cbor_tstr("Encrypt0") + b"\x40" + cbor_bstr(ext)


def option9(value):
    assert len(value) < 13
    return bytes([0x90 | len(value)]) + value


def protect_request(kid, key, piv, tok, inner_code):
    plain = bytes([inner_code, 0xb4]) + b"code" + b"\xffinner"
    ct = AESCCM(key, 8).encrypt(nonce(kid, piv), plain, aad(kid, piv))
    opt = bytes([0x18 | len(piv)]) + piv + bytes([len(IDCTX)]) + IDCTX + kid
    return bytes([0x50 | len(tok), 0x02, 0x35, tok[-1]]) + tok + \
        option9(opt) + b"\xff" + ct


def protect_response(key, req_kid, req_piv, tok, inner_code):
    plain = bytes([inner_code]) + b"\xffanswer"
    ct = AESCCM(key, 8).encrypt(nonce(req_kid, req_piv), plain,
                                aad(req_kid, req_piv))
    return bytes([0x50 | len(tok), 0x44, 0x36, tok[-1]]) + tok + \
        option9(b"") + b"\xff" + ct


def oscore_option(m):
    """(kid, piv) from the OSCORE option of CoAP message @m."""
    i, num = 4 + (m[0] & 0xf), 0
    while m[i] != 0xff:
        d, n = m[i] >> 4, m[i] & 0xf
        i += 1
        num += d
        if num == 9:
            v = m[i:i + n]
            pl = v[0] & 7
            j = 1 + pl
            if v[0] & 0x10:
                j += 1 + v[j]
            return v[j:], v[1:1 + pl]
        i += n
    return None, None


k = Ktap(4)
hx = SECRET.hex() + "\n"
coapsec(cli_ns, "context", "add", "id", 1, "secret", "-", "id-context",
        IDCTX.hex(), "sender-id", "01", "recipient-id", "00", stdin=hx)
coapsec(cli_ns, "policy", "add", "dir", "out", "dst", SRV, "action",
        "protect", 1)
srv_key = derive(b"\x00", "Key", 16)	# SRV's sender key
cli_key = derive(b"\x01", "Key", 16)	# CLI's sender key

# --- Responses: SRV has no coapsec state, its application answers with
# messages this test protects.
app = udp_socket(srv_ns, socket.AF_INET, SRV, 5683, timeout=2.0)
cli = udp_socket(cli_ns, socket.AF_INET, CLI, timeout=1.0)


def respond(tok, inner_code):
    cli.sendto(bytes([0x52, 0x01, 0x00, tok[-1]]) + tok + b"\xb1r",
               (SRV, 5683))
    m, peer = app.recvfrom(4096)
    kid, piv = oscore_option(m)
    before = stats(cli_ns)
    app.sendto(protect_response(srv_key, kid, piv, tok, inner_code), peer)
    try:
        got = cli.recv(4096)
    except socket.timeout:
        got = None
    after = stats(cli_ns)
    return got, {c: after[c] - before[c] for c in ("verified", "malformed")}


got, d = respond(b"\x35\x01", 0x45)
k.diag("response, inner 2.05: got %r, %s" % (got, d))
k.result(got is not None and got[1] == 0x45 and d["verified"] == 1,
         "a response this test protects with inner code 2.05 is verified "
         "(the test's OSCORE is right)")
got, d = respond(b"\x35\x02", 0x01)
k.diag("response, inner GET: got %r, %s" % (got, d))
k.result(got is None and d["malformed"] == 1 and d["verified"] == 0,
         "a response (outer 2.04) whose inner code is GET is dropped and "
         "counted as malformed")

# --- Requests: SRV verifies; this test sends as CLI would.
coapsec(srv_ns, "context", "add", "id", 1, "secret", "-", "id-context",
        IDCTX.hex(), "sender-id", "00", "recipient-id", "01", stdin=hx)
coapsec(srv_ns, "policy", "add", "dir", "in", "family", "inet", "action",
        "require")
app.settimeout(1.0)


def ask(piv, inner_code):
    before = stats(srv_ns)
    cli.sendto(protect_request(b"\x01", cli_key, piv, b"\x35" + piv,
                               inner_code), (SRV, 5683))
    try:
        got = app.recv(4096)
    except socket.timeout:
        got = None
    after = stats(srv_ns)
    return got, {c: after[c] - before[c] for c in ("verified", "malformed")}


got, d = ask(b"\x30", 0x01)
k.diag("request, inner GET: got %r, %s" % (got, d))
k.result(got is not None and got[1] == 0x01 and d["verified"] == 1 and
         b"code" in got,
         "a request this test protects with inner code GET is verified")
got, d = ask(b"\x31", 0x45)
k.diag("request, inner 2.05: got %r, %s" % (got, d))
# 4 results: the two controls pass on any module that verifies at all.
k.result(got is None and d["malformed"] == 1 and d["verified"] == 0,
         "a request (outer POST) whose inner code is 2.05 Content is "
         "dropped and counted as malformed")
coapsec(cli_ns, "flush")
coapsec(srv_ns, "flush")
sys.exit(k.finish())
