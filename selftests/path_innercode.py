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

sys.path.insert(0, "selftests/lib")
from ktap import Ktap  # noqa: E402
from netns import coapsec, stats, udp_socket  # noqa: E402
from oscore import Context, option9, oscore_option  # noqa: E402

cli_ns, srv_ns = sys.argv[1], sys.argv[2]
CLI, SRV = "10.0.35.1", "10.0.35.2"
SECRET = bytes.fromhex("35353535353535353535353535353535")
IDCTX = bytes.fromhex("c35c")
osc = Context(SECRET, IDCTX)


def protect_request(kid, key, piv, tok, inner_code):
    plain = bytes([inner_code, 0xb4]) + b"code" + b"\xffinner"
    ct = osc.seal(key, kid, piv, kid, piv, plain)
    opt = bytes([0x18 | len(piv)]) + piv + bytes([len(IDCTX)]) + IDCTX + kid
    return bytes([0x50 | len(tok), 0x02, 0x35, tok[-1]]) + tok + \
        option9(opt) + b"\xff" + ct


def protect_response(key, req_kid, req_piv, tok, inner_code):
    plain = bytes([inner_code]) + b"\xffanswer"
    ct = osc.seal(key, req_kid, req_piv, req_kid, req_piv, plain)
    return bytes([0x50 | len(tok), 0x44, 0x36, tok[-1]]) + tok + \
        option9(b"") + b"\xff" + ct


k = Ktap(4)
hx = SECRET.hex() + "\n"
coapsec(cli_ns, "context", "add", "id", 1, "secret", "-", "id-context",
        IDCTX.hex(), "sender-id", "01", "recipient-id", "00", stdin=hx)
coapsec(cli_ns, "policy", "add", "dir", "out", "dst", SRV, "action",
        "protect", 1)
srv_key = osc.key(b"\x00")	# SRV's sender key
cli_key = osc.key(b"\x01")	# CLI's sender key

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
