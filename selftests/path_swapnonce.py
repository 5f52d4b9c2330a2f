#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""As path_swapreplay.py (requests flow, an attacker sends every recent
protected request again, the server's context is swapped for the same
keys a few times), but the server's application answers every request
it gets, a while later and each time with other content.  The first
answer to a request takes the request's nonce (RFC 8613 8.3); no second
answer may take it again under the same key: on the wire, no two
protected answers without a Partial IV may answer one request."""
import collections
import socket
import sys
import threading
import time

sys.path.insert(0, "selftests/lib")
from ktap import Ktap  # noqa: E402
from netns import coapsec, packet_socket, stats, udp_socket  # noqa: E402

cli_ns, srv_ns = sys.argv[1], sys.argv[2]
CLI, SRV = "10.0.25.1", "10.0.25.2"
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
wn = packet_socket(cli_ns)
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


answers = collections.defaultdict(set)	# token -> PIV-less answers
pending = collections.deque()		# (when, answer, peer)
n_answers = [0]


def serve():
    while not stop.is_set():
        try:
            m, peer = app.recvfrom(4096)
            got[m] += 1
            tkl = m[0] & 0x0f
            n_answers[0] += 1
            # NON 2.05, other content each time, sent 0.3 s later.
            a = bytes([0x50 | tkl, 0x45, 0x12, 0x34]) + m[4:4 + tkl] + \
                b"\xffanswer %d" % n_answers[0]
            pending.append((time.time() + 0.3, a, peer))
        except socket.timeout:
            pass
        while pending and pending[0][0] <= time.time():
            _, a, peer = pending.popleft()
            try:
                app.sendto(a, peer)
            except PermissionError:	# dropped on LOCAL_OUT
                pass


def piv_less(u):
    """The token of protected answer @u (a CoAP message) when its OSCORE
    option carries no Partial IV, else None."""
    if len(u) < 4 or u[1] >> 5 == 0:
        return None
    tkl, pos, num = u[0] & 0x0f, 4 + (u[0] & 0x0f), 0
    while pos < len(u) and u[pos] != 0xff:
        d, ln = u[pos] >> 4, u[pos] & 0x0f
        pos += 1
        if d == 13:
            d, pos = 13 + u[pos], pos + 1
        if ln == 13:
            ln, pos = 13 + u[pos], pos + 1
        num += d
        if num == 9:
            return u[4:4 + tkl] if ln == 0 or u[pos] & 7 == 0 else None
        pos += ln
    return None


def watch():
    s = socket.inet_aton(SRV)
    while not stop.is_set():
        try:
            f = wn.recv(65535)
        except BlockingIOError:
            time.sleep(0.001)
            continue
        if f[12:14] != b"\x08\x00" or f[23] != 17 or f[26:30] != s:
            continue
        u = f[14 + (f[14] & 0xf) * 4:]
        if int.from_bytes(u[0:2], "big") != 5683:
            continue
        m = u[8:int.from_bytes(u[4:6], "big")]
        t = piv_less(m)
        if t is not None:
            answers[t].add(m)


def rekey():
    for _ in range(SWAPS):
        srv_ctx("swap")
        time.sleep(0.2)
    done.set()


threads = [threading.Thread(target=f) for f in (sniff, replay, serve, watch)]
for t in threads:
    t.start()
tr = threading.Thread(target=rekey)
tr.start()
i = 0
while not done.is_set():
    cli.sendto(bytes([0x54, 0x02, (i >> 8) & 0xff, i & 0xff]) +
               i.to_bytes(4, "big") + b"\xffreq %d" % i, (SRV, 5683))
    i += 1
    time.sleep(0.004)
tr.join()
time.sleep(1.5)
stop.set()
for t in threads:
    t.join()
ss = stats(srv_ns)
dups = sum(1 for c in got.values() if c > 1)
reused = {t: a for t, a in answers.items() if len(a) > 1}

k = Ktap(2)
k.diag("%d requests sent, %d delivered more than once, %d answered "
       "without a Partial IV, %d swaps" % (i, dups, len(answers), SWAPS))
k.diag("server %s" % ss)
for t, a in list(reused.items())[:3]:
    k.diag("token %s: %s" % (t.hex(), " / ".join(x.hex() for x in a)))
k.result(len(answers) > 0, "answers took their requests' nonces")
k.result(not reused, "no two answers took one request's nonce "
         "(%d requests' nonces taken twice or more)" % len(reused))
sys.exit(k.finish())
