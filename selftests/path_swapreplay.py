#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A swap that keeps a recipient's key copies its window into the new
context, links the new context (found first from then on), and folds in
what the old one accepted meanwhile only after a grace period.  While
requests flow and an attacker on the path sends every recent protected
request again, the server's context (3,000 recipients, so that the swap
takes a while) is swapped for the same keys a few times.  No request may
reach the application twice."""
import collections
import socket
import sys
import threading
import time

sys.path.insert(0, "selftests/lib")
from ktap import Ktap  # noqa: E402
from netns import coapsec, packet_socket, stats, udp_socket  # noqa: E402

cli_ns, srv_ns = sys.argv[1], sys.argv[2]
CLI, SRV = "10.0.24.1", "10.0.24.2"
K = "5e9c5e9c5e9c5e9c5e9c5e9c5e9c5e9c\n"
N_RCP = 3000
SWAPS = 8
OTHERS = []
for n in range(2, N_RCP + 1):
    OTHERS += ["recipient-id", "%04x" % n]


def srv_ctx(verb):
    args = ["context", verb] + (["1"] if verb == "swap" else ["id", 1])
    coapsec(srv_ns, *(args + ["secret", "-", "id-context", "4e4b",
                              "sender-id", "00", "recipient-id", "01",
                              "window", 1024] + OTHERS), stdin=K)


coapsec(cli_ns, "context", "add", "id", 1, "secret", "-", "id-context",
        "4e4b", "sender-id", "01", "recipient-id", "00", stdin=K)
coapsec(cli_ns, "policy", "add", "dir", "out", "dst", SRV, "action",
        "protect", 1)
srv_ctx("add")
coapsec(srv_ns, "policy", "add", "dir", "in", "family", "inet", "action",
        "require")

app = udp_socket(srv_ns, socket.AF_INET, SRV, 5683, timeout=0.2)
cli = udp_socket(cli_ns, socket.AF_INET, CLI)
atk = udp_socket(cli_ns, socket.AF_INET, CLI)
sn = packet_socket(cli_ns)
stop = threading.Event()
done = threading.Event()
recent = collections.OrderedDict()	# protected payload -> time seen
lock = threading.Lock()
got = collections.Counter()


def sniff():
    d = socket.inet_aton(SRV)
    while not stop.is_set():
        try:
            f = sn.recv(65535)
        except BlockingIOError:
            time.sleep(0.001)
            continue
        if f[12:14] != b"\x08\x00" or f[23] != 17 or f[30:34] != d:
            continue
        u = f[14 + (f[14] & 0xf) * 4:]
        if int.from_bytes(u[2:4], "big") != 5683:
            continue
        m = u[8:int.from_bytes(u[4:6], "big")]
        with lock:
            if m not in recent:
                recent[m] = time.time()


def replay():
    while not stop.is_set():
        now = time.time()
        with lock:
            while recent and next(iter(recent.values())) < now - 0.3:
                recent.popitem(last=False)
            batch = list(recent)
        for m in batch:
            try:
                atk.sendto(m, (SRV, 5683))
            except PermissionError:	# CLI's LOCAL_OUT refused a copy
                pass
        time.sleep(0.002)


def serve():
    while not stop.is_set():
        try:
            got[app.recv(4096)] += 1
        except socket.timeout:
            continue


def rekey():
    for _ in range(SWAPS):
        srv_ctx("swap")
        time.sleep(0.2)
    done.set()


threads = [threading.Thread(target=f) for f in (sniff, replay, serve)]
for t in threads:
    t.start()
tr = threading.Thread(target=rekey)
tr.start()
i = 0
while not done.is_set():
    cli.sendto(bytes([0x54, 0x02, (i >> 8) & 0xff, i & 0xff]) +
               b"T%03d" % (i % 1000) + b"\xffreq %d" % i, (SRV, 5683))
    i += 1
    time.sleep(0.004)
tr.join()
time.sleep(0.5)
stop.set()
for t in threads:
    t.join()
ss = stats(srv_ns)
dups = sum(1 for c in got.values() if c > 1)

k = Ktap(2)
k.diag("%d requests sent, %d distinct delivered, %d delivered more than "
       "once, %d swaps" % (i, len(got), dups, SWAPS))
k.diag("server %s" % ss)
k.result(ss["replays"] > 0, "the attacker's copies reached the server")
k.result(dups == 0, "no request reached the application twice")
sys.exit(k.finish())
