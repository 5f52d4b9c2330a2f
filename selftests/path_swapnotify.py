#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A client's context is swapped for one that keeps the server's
recipient key (a group member joining, or a swap that changes only
parameters) while an observation it registered before the swap runs.
The previous context verifies for its grace period: notifications that
come during it, each with the server's own Partial IV, must still be
delivered, not refused as replays."""
import socket
import sys

sys.path.insert(0, "selftests/lib")
from ktap import Ktap  # noqa: E402
from netns import coapsec, stats, udp_socket  # noqa: E402

cli_ns, srv_ns = sys.argv[1], sys.argv[2]
CLI, SRV = "10.0.52.1", "10.0.52.2"
S1 = "02" * 16


def ctx(ns, verb, sender, recipient):
    args = ["context", verb] + (["1"] if verb == "swap" else ["id", 1])
    coapsec(ns, *args, "secret", "-", "id-context", "4e4b", "sender-id",
            sender, "recipient-id", recipient, "window", 64,
            stdin=S1 + "\n")


ctx(cli_ns, "add", "01", "00")
ctx(srv_ns, "add", "00", "01")
coapsec(cli_ns, "policy", "add", "dir", "out", "dst", SRV, "action",
        "protect", 1)
coapsec(srv_ns, "policy", "add", "dir", "in", "family", "inet", "action",
        "require")

srv = udp_socket(srv_ns, socket.AF_INET, SRV, 5683, timeout=3.0)
cli = udp_socket(cli_ns, socket.AF_INET, CLI, timeout=3.0)
TOKEN = b"OB01"
# NON GET, Observe 0 (register), Uri-Path "obs".
cli.sendto(bytes([0x54, 0x01, 0x12, 0x34]) + TOKEN +
           b"\x60\x53obs", (SRV, 5683))
req, peer = srv.recvfrom(4096)


def notify(n):
    """The server's notification @n; what the client got of it."""
    srv.sendto(bytes([0x54, 0x45, 0x20, n]) + TOKEN +
               bytes([0x61, n]) + b"\xffn%d" % n, peer)
    try:
        return cli.recv(4096)
    except socket.timeout:
        return None


k = Ktap(4)
k.result(req[4:8] == TOKEN, "the registration reached the server")
got1 = notify(1)
got2 = notify(2)
k.result(got1 is not None and got1.endswith(b"n1") and
         got2 is not None and got2.endswith(b"n2"),
         "notifications before the swap are delivered")
before = stats(cli_ns)
ctx(cli_ns, "swap", "01", "00")
got3 = notify(3)
after = stats(cli_ns)
diff = {c: after[c] - before[c] for c in after
        if isinstance(after[c], int) and after[c] != before[c]}
k.diag("client counters across the swap: %s" % diff)
k.result(got3 is not None and got3.endswith(b"n3"),
         "a notification during the grace period of a swap that kept "
         "the server's key is delivered")
k.result(not diff.get("replays"),
         "it is not counted as a replay")
sys.exit(k.finish())
