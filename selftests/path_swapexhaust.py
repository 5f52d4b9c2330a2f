#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""(rev12t) A swap that keeps the sender key takes the old context's
sequence over, leaving the old counter at its hard limit.  The send path
looks for the successor when it finds the old counter there before it
protects (path_swapsend), but a swap that retires the counter between
that look and the number taken dropped the message as seq_exhausted,
although the successor was there to send it.  Now a sender that finds
its counter retired when it takes the number looks the successor up and
takes the number from it (dropped only where there is none).

A client floods the server with requests from one CPU while its context
is swapped for the same keys, again and again, from the other: none may
be dropped as seq_exhausted."""
import os
import socket
import sys
import time

sys.path.insert(0, "selftests/lib")
from ktap import Ktap  # noqa: E402
from netns import coap_flood, coapsec, stats, udp_socket  # noqa: E402

cli_ns, srv_ns = sys.argv[1], sys.argv[2]
CLI, SRV = "10.0.68.1", "10.0.68.2"
K = "8d" * 16 + "\n"
SWAPS = 120


def cli_ctx(verb):
    args = ["context", verb] + (["1"] if verb == "swap" else ["id", 1])
    coapsec(cli_ns, *(args + ["secret", "-", "id-context", "6868",
                              "sender-id", "01", "recipient-id", "00"]),
            stdin=K)


cli_ctx("add")
coapsec(cli_ns, "policy", "add", "dir", "out", "dst", SRV, "action",
        "protect", 1)
app = udp_socket(srv_ns, socket.AF_INET, SRV, 5683)
tx = udp_socket(cli_ns, socket.AF_INET, CLI)
cpus = sorted(os.sched_getaffinity(0))

pid = coap_flood(tx, (SRV, 5683), cpus[0])
os.sched_setaffinity(0, {cpus[-1]})
time.sleep(1)
for _ in range(SWAPS):
    cli_ctx("swap")
os.kill(pid, 9)
os.waitpid(pid, 0)
cs = stats(cli_ns)

k = Ktap(2)
k.diag("client %s" % cs)
k.result(cs["protected"] > SWAPS, "%d requests protected across %d swaps" %
         (cs["protected"], SWAPS))
k.result(cs["seq_exhausted"] == 0,
         "none dropped as seq_exhausted (%d)" % cs["seq_exhausted"])
sys.exit(k.finish())
