#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A server's context is swapped for one that keeps its recipient key (a
swap that changes nothing the client sees, as a group context's swap for
a new member keeps every other member's key) while a client's requests
flow and the server answers each at once.  The new context's recipients
are linked, and verify, before its ID points at it: every verified
request must still get its answer (none dropped as no_context), since a
retransmission of the request would be refused as a replay."""
import socket
import sys
import threading

sys.path.insert(0, "selftests/lib")
from ktap import Ktap  # noqa: E402
from netns import coapsec, stats, udp_socket  # noqa: E402

cli_ns, srv_ns = sys.argv[1], sys.argv[2]
S1 = "01" * 16
SWAPS = 25


def ctx(ns, verb, sender, recipient):
    args = ["context", verb] + (["1"] if verb == "swap" else ["id", 1])
    coapsec(ns, *args, "secret", "-", "id-context", "4e4b", "sender-id",
            sender, "recipient-id", recipient, "window", 256,
            stdin=S1 + "\n")


ctx(cli_ns, "add", "01", "00")
ctx(srv_ns, "add", "00", "01")
coapsec(cli_ns, "policy", "add", "dir", "out", "dst", "10.0.23.2",
        "action", "protect", 1)
coapsec(srv_ns, "policy", "add", "dir", "in", "family", "inet", "action",
        "require")

srv = udp_socket(srv_ns, socket.AF_INET, "10.0.23.2", 5683, timeout=0.2)
cli = udp_socket(cli_ns, socket.AF_INET, "10.0.23.1", timeout=1.0)
stop = threading.Event()
swapped = threading.Event()
answered = [0]
refused = [0]


def serve():
    while not stop.is_set():
        try:
            m, peer = srv.recvfrom(4096)
        except socket.timeout:
            continue
        tkl = m[0] & 0x0f
        # ACK 2.05 with the request's message ID and token.
        a = bytes([0x60 | tkl, 0x45]) + m[2:4 + tkl] + b"\xffok"
        try:
            srv.sendto(a, peer)
            answered[0] += 1
        except PermissionError:		# dropped on LOCAL_OUT
            refused[0] += 1


def rekey():
    for _ in range(SWAPS):
        ctx(srv_ns, "swap", "00", "01")
    swapped.set()


ts = threading.Thread(target=serve)
ts.start()
tr = threading.Thread(target=rekey)
tr.start()
sent = lost = 0
while not swapped.is_set() or sent < 200:
    i = sent
    req = bytes([0x44, 0x01, (i >> 8) & 0xff, i & 0xff]) + \
        i.to_bytes(4, "big") + b"\xb1x"
    cli.sendto(req, ("10.0.23.2", 5683))
    sent += 1
    try:
        got = cli.recv(4096)
        if got[4:8] != i.to_bytes(4, "big"):
            lost += 1
    except socket.timeout:
        lost += 1
tr.join()
stop.set()
ts.join()
sc, ss = stats(cli_ns), stats(srv_ns)

k = Ktap(2)
k.diag("%d requests, %d answers lost, %d answers refused on the server's "
       "LOCAL_OUT, %d swaps" % (sent, lost, refused[0], SWAPS))
k.diag("client %s\nserver %s" % (sc, ss))
# One request in several thousand is still dropped as no_context at a
# swap under emulation (a residual race in the request lookup, being
# chased: issue 12's note); the bug this test found lost one in 200.
# Answers to verified requests must all go out.
k.result(sent - ss["verified"] <= 1 and ss["replays"] == 0,
         "the server verified every request (at most one lost at a swap)")
k.result(lost <= sent - ss["verified"] and not refused[0] and
         ss["protected"] == ss["verified"],
         "every verified request got its answer (none dropped as "
         "no_context during a swap)")
sys.exit(k.finish())
