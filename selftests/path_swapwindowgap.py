#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""(rev12c) A swap to a larger window where a retired memory of the same
recipient key exists: the retired memory is applied first (seen_any),
so the predecessor's window is merged seq by seq and the numbers the
larger window covers but the predecessor never tracked are not counted
as seen.  A request that fell out of the old window must stay refused."""
import socket
import sys

sys.path.insert(0, "selftests/lib")
from ktap import Ktap  # noqa: E402
from netns import coapsec, packet_socket, stats, udp_socket  # noqa: E402
from wire import sniff, token_of  # noqa: E402

cli_ns, srv_ns = sys.argv[1], sys.argv[2]
CLI, SRV = "10.0.98.1", "10.0.98.2"
K = "6a9c5e9c5e9c5e9c5e9c5e9c5e9c5e9c\n"


def srv_ctx(verb, window):
    args = ["context", verb] + (["1"] if verb == "swap" else ["id", 1])
    coapsec(srv_ns, *(args + ["secret", "-", "id-context", "4e4b",
                              "sender-id", "00", "recipient-id", "01",
                              "window", window]), stdin=K)


coapsec(cli_ns, "context", "add", "id", 1, "secret", "-", "id-context",
        "4e4b", "sender-id", "01", "recipient-id", "00", stdin=K)
coapsec(cli_ns, "policy", "add", "dir", "out", "dst", SRV, "action",
        "protect", 1)
srv_ctx("add", 32)
coapsec(srv_ns, "policy", "add", "dir", "in", "family", "inet", "action",
        "require")
app = udp_socket(srv_ns, socket.AF_INET, SRV, 5683, timeout=1.0)
cli = udp_socket(cli_ns, socket.AF_INET, CLI)
atk = udp_socket(cli_ns, socket.AF_INET, CLI)
sn = packet_socket(cli_ns)


def wire(want):
    """The CoAP message with token @want sent to port 5683, off the wire."""
    return sniff(sn, lambda sport, dport, m: dport == 5683 and
                 token_of(m) == want)


def drain():
    got = []
    while True:
        try:
            got.append(app.recv(4096))
        except socket.timeout:
            return got


sent = {}
delivered = 0


def send(i):
    global delivered
    tok = b"T%03d" % i
    cli.sendto(bytes([0x54, 0x02, 0, i]) + tok + b"\xffreq %d" % i,
               (SRV, 5683))
    try:
        app.recv(4096)
        delivered += 1
    except socket.timeout:
        pass
    sent[i] = wire(tok)


for i in range(10):
    send(i)
srv_ctx("swap", 32)
srv_ctx("swap", 32)	# the first context is released: retired memory
for i in range(10, 60):
    send(i)
m20 = sent[20]
atk.sendto(m20, (SRV, 5683))
before = drain()
srv_ctx("swap", 64)
atk.sendto(m20, (SRV, 5683))
after = drain()

k = Ktap(3)
k.diag("delivered %d of 60; server %s" % (delivered, stats(srv_ns)))
k.result(delivered == 60 and m20 is not None, "60 requests delivered once")
k.result(not before, "request 20, out of the 32 window, is refused")
k.result(not after, "request 20 is refused after a swap to a 64 window "
         "(delivered again: %d)" % len(after))
sys.exit(k.finish())
