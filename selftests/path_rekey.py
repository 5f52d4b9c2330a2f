#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Rekey under traffic: 10,000 requests flow from CLI to SRV while a
second thread swaps the server's context, then the client's (the server
first, so that its previous keys verify what is still in flight).  The
application must receive every message once, in plaintext."""
import socket
import sys
import threading

sys.path.insert(0, "selftests/lib")
from ktap import Ktap  # noqa: E402
from netns import coapsec, stats, udp_socket  # noqa: E402

cli_ns, srv_ns = sys.argv[1], sys.argv[2]
N = 10000
SO_RCVBUFFORCE = 33


def ctx(ns, verb, sender, recipient, secret):
    args = ["context", verb] + (["1"] if verb == "swap" else ["id", 1])
    coapsec(ns, *args, "secret", "-", "id-context", "4e4b", "sender-id",
            sender, "recipient-id", recipient, "window", 256,
            stdin=secret + "\n")


S1, S2 = "01" * 16, "02" * 16
ctx(cli_ns, "add", "01", "00", S1)
ctx(srv_ns, "add", "00", "01", S1)
coapsec(cli_ns, "policy", "add", "dir", "out", "dst", "10.0.9.2", "action",
        "protect", 1)
coapsec(srv_ns, "policy", "add", "dir", "in", "family", "inet", "action",
        "require")

srv = udp_socket(srv_ns, socket.AF_INET, "10.0.9.2", 5683, timeout=2.0)
srv.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 64 << 20)
cli = udp_socket(cli_ns, socket.AF_INET, "10.0.9.1")

start_swap = threading.Event()
swapped = threading.Event()


def rekey():
    start_swap.wait()
    ctx(srv_ns, "swap", "00", "01", S2)
    ctx(cli_ns, "swap", "01", "00", S2)
    swapped.set()


t = threading.Thread(target=rekey)
t.start()
sent_after_swap = 0
for i in range(N):
    if i == N // 5:
        start_swap.set()
    if swapped.is_set():
        sent_after_swap += 1
    cli.sendto(b"\x50\x02\x00\x00\xff" + b"msg %05d" % i, ("10.0.9.2", 5683))
t.join()
got = set()
dups = 0
while True:
    try:
        m = srv.recv(4096)
    except socket.timeout:
        break
    if m in got:
        dups += 1
    got.add(m)

k = Ktap(3)
k.diag("received %d of %d, %d duplicates, %d sent after both swaps" %
       (len(got), N, dups, sent_after_swap))
want = {b"\x50\x02\x00\x00\xff" + b"msg %05d" % i for i in range(N)}
k.result(got == want and not dups, "every message delivered once")
k.result(sent_after_swap > 0, "the rekey happened while messages flowed")
sc, ss = stats(cli_ns), stats(srv_ns)
k.diag("client %s\nserver %s" % (sc, ss))
k.result(ss["verified"] == N and ss["auth_failures"] == 0 and
         ss["replays"] == 0, "server verified all, nothing failed")
sys.exit(k.finish())
