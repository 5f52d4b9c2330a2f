#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A server's context is swapped for one that keeps its recipient key (a
swap that changes nothing the client sees, as a group context's swap for
a new member keeps every other member's key) while a client's requests
flow and the server answers each at once.  The new context's recipients
are linked, and verify, before its ID points at it; a request whose
window is taken over between its check and its commit is committed in
the successor's.  And after each swap the server holds one request back
and answers it only once three more swaps are done, when the context that
verified it is gone: the sender key is the same, so the answer goes out
under the newest context.  Every request must be verified and every one
answered (none refused as a replay, none dropped as no_context): a
retransmission of the request would be refused as a replay."""
import socket
import sys
import threading

sys.path.insert(0, "selftests/lib")
from ktap import Ktap  # noqa: E402
from netns import coapsec, stats, udp_socket  # noqa: E402

cli_ns, srv_ns = sys.argv[1], sys.argv[2]
S1 = "01" * 16
SWAPS = 50


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

srv = udp_socket(srv_ns, socket.AF_INET, "10.0.23.2", 5683, timeout=0.1)
cli = udp_socket(cli_ns, socket.AF_INET, "10.0.23.1", timeout=0.5)
stop = threading.Event()
swapped = threading.Event()
swaps_done = [0]
answered = [0]
refused = [0]
held_late = [0]


def answer(m, peer):
    tkl = m[0] & 0x0f
    # ACK 2.05 with the request's message ID and token.
    a = bytes([0x60 | tkl, 0x45]) + m[2:4 + tkl] + b"\xffok"
    try:
        srv.sendto(a, peer)
        answered[0] += 1
    except PermissionError:		# dropped on LOCAL_OUT
        refused[0] += 1


def serve():
    # Swaps counted when a request was held: (request, peer).  The
    # kernel may be one swap ahead of the count (its CLI has not exited
    # yet), so the context that verified it is one of the first two
    # after that count; three more swaps, and it is released.
    held = {}
    while not stop.is_set() or held:
        for k in sorted(held):
            if k + 3 <= swaps_done[0] or swapped.is_set():
                if k + 3 <= swaps_done[0]:
                    held_late[0] += 1
                answer(*held.pop(k))
        try:
            m, peer = srv.recvfrom(4096)
        except socket.timeout:
            continue
        done = swaps_done[0]
        if not swapped.is_set() and done not in held:
            held[done] = (m, peer)
            continue
        answer(m, peer)


def rekey():
    for _ in range(SWAPS):
        ctx(srv_ns, "swap", "00", "01")
        swaps_done[0] += 1
    swapped.set()


ts = threading.Thread(target=serve)
ts.start()
tr = threading.Thread(target=rekey)
tr.start()
got = set()
sent = 0
while not swapped.is_set() or sent < 200:
    i = sent
    req = bytes([0x44, 0x01, (i >> 8) & 0xff, i & 0xff]) + \
        i.to_bytes(4, "big") + b"\xb1x"
    cli.sendto(req, ("10.0.23.2", 5683))
    sent += 1
    # Until its own answer comes; a held one's comes later.
    try:
        while i not in got:
            got.add(int.from_bytes(cli.recv(4096)[4:8], "big"))
    except socket.timeout:
        pass
tr.join()
stop.set()
ts.join()
cli.settimeout(2.0)
try:
    while len(got) < sent:
        got.add(int.from_bytes(cli.recv(4096)[4:8], "big"))
except socket.timeout:
    pass
sc, ss = stats(cli_ns), stats(srv_ns)

k = Ktap(3)
k.diag("%d requests, %d answers lost, %d answers refused on the server's "
       "LOCAL_OUT, %d swaps, %d answers held over three swaps" %
       (sent, sent - len(got & set(range(sent))), refused[0], SWAPS,
        held_late[0]))
k.diag("client %s\nserver %s" % (sc, ss))
k.result(ss["verified"] == sent and ss["replays"] == 0,
         "the server verified every request (none refused at a swap)")
k.result(not refused[0] and ss["no_context"] == 0 and
         ss["protected"] == ss["verified"] and
         got >= set(range(sent)) and sc["verified"] == sent,
         "every verified request got its answer (none dropped as "
         "no_context during a swap)")
k.result(held_late[0] >= SWAPS // 10,
         "answers held until the context that verified the request was "
         "released went out")
sys.exit(k.finish())
