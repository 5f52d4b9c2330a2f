#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Answers to a group request (issue 12 §4): the gateway keeps the group
request's exchange until it expires, since every member answers it.  An
answer that reuses the request's nonce (no Partial IV) has no replay
window to guard it, so one is taken and any other is a replay; an answer
with the member's own Partial IV is guarded by that member's window.
The member side is this test: it protects answers itself (selftests/lib/
oscore.py) as another OSCORE stack could, which coapsec never would (it
gives every answer to a group request its own Partial IV).

  GW (10.0.36.1) --veth0-- MEMBER (10.0.36.2, joined to 224.0.1.187)"""
import socket
import struct
import sys

sys.path.insert(0, "selftests/lib")
from ktap import Ktap  # noqa: E402
from netns import coapsec, sent_and_seen, udp_socket  # noqa: E402
from oscore import Context, option9, oscore_option  # noqa: E402

gw_ns, member_ns = sys.argv[1], sys.argv[2]
GW, MEMBER, GROUP = "10.0.36.1", "10.0.36.2", "224.0.1.187"
SECRET = bytes.fromhex("36363636363636363636363636363636")
IDCTX = bytes.fromhex("9d36")
GW_KID, D0, D1 = b"\x47", b"\xd0", b"\xd1"
osc = Context(SECRET, IDCTX)

coapsec(gw_ns, "context", "add", "id", 1, "secret", "-", "id-context",
        IDCTX.hex(), "sender-id", GW_KID.hex(), "group", "recipient-id",
        D0.hex(), "recipient-id", D1.hex(), "window", 32,
        stdin=SECRET.hex() + "\n")
coapsec(gw_ns, "policy", "add", "dir", "out", "dst", GROUP + "/32",
        "action", "protect", 1)

member = udp_socket(member_ns, socket.AF_INET, "0.0.0.0", 5683,
                    timeout=2.0)
member.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                  struct.pack("4s4s", socket.inet_aton(GROUP),
                              socket.inet_aton(MEMBER)))
gw = udp_socket(gw_ns, socket.AF_INET, GW, timeout=1.0)
gw.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF,
              socket.inet_aton(GW))
TOKEN = b"\x36\x01"

k = Ktap(7)
gw.sendto(bytes([0x52, 0x02, 0x36, 0x01]) + TOKEN + b"\xb4door" +
          b"\xffclose", (GROUP, 5683))
try:
    req, peer = member.recvfrom(4096)
    req_kid, req_piv = oscore_option(req)
except socket.timeout:
    req, peer, req_kid, req_piv = None, None, None, None
k.result(req_kid == GW_KID and req_piv and b"close" not in req,
         "the group request reaches the member protected under the "
         "gateway's kid")
if req is None:
    sys.exit(k.finish())


def answer(kid, piv, text):
    """A 2.04 answer from member @kid; @piv None: the request's nonce."""
    plain = b"\x44\xff" + text
    if piv is None:
        ct = osc.seal(osc.key(kid), req_kid, req_piv, req_kid, req_piv,
                      plain)
        opt = b"\x08" + kid	# Group OSCORE: answers name their kid
    else:
        ct = osc.seal(osc.key(kid), kid, piv, req_kid, req_piv, plain)
        opt = bytes([0x08 | len(piv)]) + piv + kid
    return bytes([0x52, 0x44, 0x37, 0x01]) + TOKEN + option9(opt) + \
        b"\xff" + ct


def deliver(msg):
    """(what the gateway's application got or None, counter changes)."""
    return sent_and_seen(gw_ns, lambda: member.sendto(msg, peer), gw)


no_piv = answer(D0, None, b"d0 without a Partial IV")
got, d = deliver(no_piv)
k.diag("no-PIV answer: %r %s" % (got, d))
k.result(got is not None and b"d0 without" in got and d.get("verified") == 1,
         "an answer that takes the group request's nonce is verified once")
got, d = deliver(no_piv)
k.diag("its copy: %r %s" % (got, d))
k.result(got is None and d.get("replays") == 1 and not d.get("verified"),
         "its copy is dropped and counted as a replay")
got, d = deliver(answer(D1, None, b"d1 without a Partial IV"))
k.diag("d1's no-PIV answer: %r %s" % (got, d))
k.result(got is None and d.get("replays") == 1 and not d.get("verified"),
         "a second answer without a Partial IV, from another member, is "
         "refused too: the exchange grants one")

with_piv = answer(D1, b"\x05", b"d1 with its own Partial IV")
got, d = deliver(with_piv)
k.diag("d1's answer: %r %s" % (got, d))
k.result(got is not None and b"d1 with" in got and d.get("verified") == 1,
         "another member's answer with its own Partial IV is verified")
got, d = deliver(with_piv)
k.diag("its copy: %r %s" % (got, d))
k.result(got is None and d.get("replays") == 1,
         "its copy is dropped as a replay (that member's window)")
got, d = deliver(answer(D0, b"\x01", b"d0 again, with a Partial IV"))
k.diag("d0's answer with a PIV: %r %s" % (got, d))
k.result(got is not None and d.get("verified") == 1,
         "the first member may still answer with its own Partial IV")
coapsec(gw_ns, "flush")
sys.exit(k.finish())
