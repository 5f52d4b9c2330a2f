#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Answers from a peer that a protect policy covers (issue 12 §2): a
client believes a plain answer from there only while a plain request of
its own (one a bypass let out) waits for it.  Once its request's entry is
gone (expired, evicted, or never made: the attacker's answer comes first)
a plain answer or notification is a downgrade, dropped and counted; an
OSCORE answer with no request is dropped as no-context, not handed to
the application.  SRV runs no coapsec: its application is this test.

  CLI (10.0.37.1) --veth0-- SRV (10.0.37.2)"""
import socket
import sys

sys.path.insert(0, "selftests/lib")
from ktap import Ktap  # noqa: E402
from netns import coapsec, sent_and_seen, udp_socket  # noqa: E402
from oscore import option9, oscore_option  # noqa: E402

cli_ns, srv_ns = sys.argv[1], sys.argv[2]
CLI, SRV = "10.0.37.1", "10.0.37.2"
SO_MARK = 36
BYPASS_MARK = 7

coapsec(cli_ns, "context", "add", "id", 1, "secret", "-", "id-context",
        "37", "sender-id", "01", "recipient-id", "00",
        stdin="37" * 16 + "\n")
coapsec(cli_ns, "policy", "add", "priority", 0, "dir", "out", "dst", SRV,
        "mark", BYPASS_MARK, "action", "bypass")
coapsec(cli_ns, "policy", "add", "priority", 10, "dir", "out", "dst", SRV,
        "action", "protect", 1)
app = udp_socket(srv_ns, socket.AF_INET, SRV, 5683, timeout=2.0)
cli = udp_socket(cli_ns, socket.AF_INET, CLI, timeout=1.0)
plain_cli = udp_socket(cli_ns, socket.AF_INET, CLI, timeout=1.0)
plain_cli.setsockopt(socket.SOL_SOCKET, SO_MARK, BYPASS_MARK)
cli_port = cli.getsockname()[1]


def answer(tok, payload, oscore=False):
    """A NON 2.05 with @tok; @oscore: an OSCORE-looking one."""
    opt = option9(b"") if oscore else b""
    return bytes([0x50 | len(tok), 0x45, 0x37, tok[-1]]) + tok + opt + \
        b"\xff" + payload


def to_cli(msg, sock=cli, port=None):
    """(what CLI's application got or None, counter changes)."""
    dst = (CLI, port or sock.getsockname()[1])
    return sent_and_seen(cli_ns, lambda: app.sendto(msg, dst), sock)


k = Ktap(6)
got, d = to_cli(answer(b"\x37\x01", b"FORGED plain"))
k.diag("unsolicited plain answer: %r %s" % (got, d))
k.result(got is None and d.get("policy_drops") == 1,
         "a plain answer from a peer under protect, with no request "
         "outstanding, is dropped as a downgrade")

got, d = to_cli(answer(b"\x37\x02", b"\x00" * 12, oscore=True))
k.diag("unsolicited OSCORE answer: %r %s" % (got, d))
k.result(got is None and d.get("no_context") == 1,
         "an OSCORE answer with no request outstanding is dropped as "
         "no-context")

# A plain request a bypass let out: its plain answer is believed.
plain_cli.sendto(b"\x52\x01\x37\x03\x37\x03\xb1p", (SRV, 5683))
try:
    req, peer = app.recvfrom(4096)
except socket.timeout:
    req, peer = None, None
k.result(req is not None and req[1] == 0x01 and oscore_option(req)[0] is
         None, "a request with the bypass mark leaves plain")
got, d = to_cli(answer(b"\x37\x03", b"plain, asked for"), sock=plain_cli)
k.diag("answer to the bypassed request: %r %s" % (got, d))
k.result(got is not None and b"asked for" in got,
         "its plain answer reaches the application")

# A protected request: a plain answer to it is a downgrade.
cli.sendto(b"\x52\x01\x37\x04\x37\x04\xb1p", (SRV, 5683))
try:
    req, peer = app.recvfrom(4096)
except socket.timeout:
    req = None
got, d = to_cli(answer(b"\x37\x04", b"FORGED while outstanding"))
k.diag("plain answer to a protected request: %r %s" % (got, d))
k.result(req is not None and oscore_option(req)[0] == b"\x01" and
         got is None and d.get("policy_drops") == 1,
         "a plain answer to an outstanding protected request is dropped")
# The application speaks OSCORE itself: its request leaves as it is, and
# the answer is the application's, not dropped for want of an entry.
own = b"\x52\x02\x37\x05\x37\x05" + option9(b"\x09\x05\x01") + \
    b"\xff" + b"\x00" * 12
cli.sendto(own, (SRV, 5683))
try:
    req, peer = app.recvfrom(4096)
except socket.timeout:
    req = None
got, d = to_cli(answer(b"\x37\x05", b"\x00" * 12, oscore=True))
k.diag("the application's own OSCORE: sent %r, answer %r %s" %
       (req, got, d))
k.result(req == own and got is not None,
         "an application's own OSCORE request leaves untouched and its "
         "answer reaches it")
coapsec(cli_ns, "flush")
sys.exit(k.finish())
