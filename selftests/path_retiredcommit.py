#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""(rev12t) The receive path checks a request's Partial IV in the replay
window before it decrypts and commits it after (replay.c).  A window that
closed in between (its context deleted, or swapped) sends the commit on
to the window open now; where none was open, or after 4 such hops, the
commit gave up and the fresh request was counted as a replay.  Now the
commit follows every hop, and a key with no open window any more counts
the request under no_context, not as a replay.

A client floods the server with protected requests, each with a new
Partial IV and in order (one CPU), while the server's context is deleted
and added again with the same key (its window from the namespace's
memory) on the other CPU: no request may count as a replay."""
import os
import socket
import sys
import time

sys.path.insert(0, "selftests/lib")
from ktap import Ktap  # noqa: E402
from netns import cli, coap_flood, coapsec, stats, udp_socket  # noqa: E402

cli_ns, srv_ns = sys.argv[1], sys.argv[2]
CLI, SRV = "10.0.67.1", "10.0.67.2"
K = "7c" * 16 + "\n"
ROUNDS = 80


def ctx(ns, sender, recipient):
    r = cli(ns, "context", "add", "id", 1, "secret", "-", "id-context",
            "6767", "sender-id", sender, "recipient-id", recipient, stdin=K)
    if r.returncode:
        raise RuntimeError("context add: " + r.stderr.strip())


ctx(cli_ns, "01", "00")
ctx(srv_ns, "00", "01")
coapsec(cli_ns, "policy", "add", "dir", "out", "dst", SRV, "action",
        "protect", 1)
coapsec(srv_ns, "policy", "add", "dir", "in", "family", "inet", "action",
        "require")
app = udp_socket(srv_ns, socket.AF_INET, SRV, 5683)
tx = udp_socket(cli_ns, socket.AF_INET, CLI)
cpus = sorted(os.sched_getaffinity(0))

k = Ktap(2)
pid = coap_flood(tx, (SRV, 5683), cpus[0])
os.sched_setaffinity(0, {cpus[-1]})
time.sleep(1)
for _ in range(ROUNDS):
    coapsec(srv_ns, "context", "del", 1)
    ctx(srv_ns, "00", "01")
os.kill(pid, 9)
os.waitpid(pid, 0)
st = stats(srv_ns)
k.diag("server %s" % st)
k.result(st["verified"] > ROUNDS,
         "%d requests verified across %d deletions and additions" %
         (st["verified"], ROUNDS))
k.result(st["replays"] == 0,
         "no fresh request counted as a replay (replays %d, no_context %d)" %
         (st["replays"], st["no_context"]))
sys.exit(k.finish())
