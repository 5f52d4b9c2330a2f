#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""(rev12r) A swap that keeps the sender key takes the old context's
sequence number (coapsec_context_retire_sender(): the old counter is left
at its hard limit) before the new context is published under the ID
(xa_store() comes after every recipient took its window).  Meanwhile the
send path still finds the old context by the policy's ID, and every
request (and every answer with its own Partial IV) it protects is dropped
as seq_exhausted: the sending application gets EPERM for a swap that
changed nothing.  The client's context has 3,000 recipients, so that the
swap takes a while; it is swapped for the same keys a few times while
the client sends a request every 2 ms."""
import socket
import sys
import threading
import time

sys.path.insert(0, "selftests/lib")
from ktap import Ktap  # noqa: E402
from netns import coapsec, stats, udp_socket  # noqa: E402

cli_ns, srv_ns = sys.argv[1], sys.argv[2]
CLI, SRV = "10.0.62.1", "10.0.62.2"
K = "2b" * 16 + "\n"
SWAPS = 8
OTHERS = []
for n in range(2, 3001):
    OTHERS += ["recipient-id", "%04x" % n]


def cli_ctx(verb):
    args = ["context", verb] + (["1"] if verb == "swap" else ["id", 1])
    coapsec(cli_ns, *(args + ["secret", "-", "id-context", "6262",
                              "sender-id", "01", "recipient-id", "00"] +
                      OTHERS), stdin=K)


cli_ctx("add")
coapsec(cli_ns, "policy", "add", "dir", "out", "dst", SRV, "action",
        "protect", 1)
coapsec(srv_ns, "context", "add", "id", 1, "secret", "-", "id-context",
        "6262", "sender-id", "00", "recipient-id", "01", stdin=K)
coapsec(srv_ns, "policy", "add", "dir", "in", "family", "inet", "action",
        "require")

app = udp_socket(srv_ns, socket.AF_INET, SRV, 5683, timeout=0.2)
cli = udp_socket(cli_ns, socket.AF_INET, CLI)
stop = threading.Event()
done = threading.Event()
got = [0]


def serve():
    while not stop.is_set():
        try:
            app.recv(4096)
            got[0] += 1
        except socket.timeout:
            continue


def rekey():
    for _ in range(SWAPS):
        cli_ctx("swap")
        time.sleep(0.2)
    done.set()


ts = threading.Thread(target=serve)
ts.start()
tr = threading.Thread(target=rekey)
tr.start()
i = refused = 0
while not done.is_set():
    try:
        cli.sendto(bytes([0x54, 0x02, (i >> 8) & 0xff, i & 0xff]) +
                   b"S%03d" % (i % 1000) + b"\xffreq %d" % i, (SRV, 5683))
    except PermissionError:
        refused += 1
    i += 1
    time.sleep(0.002)
tr.join()
time.sleep(0.5)
stop.set()
ts.join()
cs = stats(cli_ns)

k = Ktap(2)
k.diag("%d requests, %d refused with EPERM, %d delivered, %d swaps" %
       (i, refused, got[0], SWAPS))
k.diag("client %s" % cs)
k.result(got[0] > 0, "requests reached the server")
k.result(refused == 0 and cs["seq_exhausted"] == 0,
         "no request is refused while a swap keeps the client's keys "
         "(%d refused, seq_exhausted %d)" % (refused, cs["seq_exhausted"]))
sys.exit(k.finish())
