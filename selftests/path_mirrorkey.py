#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""(rev12r) Key material is checked for reuse within a namespace: a
sender key held by another context is refused (EEXIST), and so is a
recipient key equal to the context's own sender key (e635bb0).  But a
sender's and a recipient's fingerprints never meet (context.c,
coapsec_key_fp(): 'S' and 'R'), so a second context that mirrors the
first (the same secret and ID context, the IDs swapped: as the peer's
own context) is taken: its recipient key is the first one's sender key.
The server's own protected request (kid 00) sent back to it by anyone on
the path is then verified by the mirror and delivered as the peer's,
and the mirror sends under the peer's key with the peer's sender ID."""
import socket
import sys

sys.path.insert(0, "selftests/lib")
from ktap import Ktap  # noqa: E402
from netns import cli, coapsec, packet_socket, stats, udp_socket  # noqa: E402
from wire import delivered_again, sniff  # noqa: E402

cli_ns, srv_ns = sys.argv[1], sys.argv[2]
CLI, SRV = "10.0.65.1", "10.0.65.2"
K = "5a" * 16 + "\n"


def ctx(ns, cid, sender, recipient, check=True):
    args = ["context", "add", "id", cid, "secret", "-", "id-context", "6565",
            "sender-id", sender, "recipient-id", recipient]
    if check:
        return coapsec(ns, *args, stdin=K)
    return cli(ns, *args, stdin=K)


ctx(cli_ns, 1, "01", "00")
ctx(srv_ns, 1, "00", "01")
coapsec(srv_ns, "policy", "add", "dir", "out", "dst", CLI, "action",
        "protect", 1)
coapsec(srv_ns, "policy", "add", "dir", "in", "family", "inet", "action",
        "require")
k = Ktap(2)
r = ctx(srv_ns, 2, "01", "00", check=False)
k.diag("mirror context: status %d %s" % (r.returncode, r.stderr.strip()))
k.result(r.returncode != 0,
         "a context whose recipient key is another context's sender key "
         "(and whose sender key is that one's recipient key) is refused")

app = udp_socket(srv_ns, socket.AF_INET, SRV, 5683, timeout=1.0)
own = udp_socket(srv_ns, socket.AF_INET, SRV, 40000, timeout=1.0)
atk = udp_socket(cli_ns, socket.AF_INET, CLI)
sn = packet_socket(cli_ns)
own.sendto(b"\x54\x02\x73\x01MK01\xffopen the door", (CLI, 5683))
m = sniff(sn, lambda sp, dp, m: sp == 40000)
got = delivered_again(m, atk, (SRV, 5683), app)
k.diag("server %s" % stats(srv_ns))
k.result(m is not None and not got,
         "the server's own request sent back to it is not delivered "
         "(delivered: %s)" % got)
sys.exit(k.finish())
