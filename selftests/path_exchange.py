#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The table of outstanding requests is bounded: a flood of requests that
nobody answers fills it, and every entry that had to go is counted as an
eviction.  An answer to a request whose entry went is not sent in clear
to a peer whose requests the server requires protected: it is dropped
and counted.  Answers to fresh requests are still bound and verified."""
import socket
import sys

sys.path.insert(0, "selftests/lib")
from ktap import Ktap  # noqa: E402
from netns import coapsec, stats, udp_socket  # noqa: E402

cli_ns, srv_ns = sys.argv[1], sys.argv[2]
SECRET = "0f1e2d3c4b5a69788796a5b4c3d2e1f0\n"
coapsec(cli_ns, "context", "add", "id", 1, "secret", "-", "id-context",
        "e7c4", "sender-id", "01", "recipient-id", "00", stdin=SECRET)
coapsec(cli_ns, "policy", "add", "dir", "out", "dst", "10.0.7.2",
        "action", "protect", 1)
coapsec(srv_ns, "context", "add", "id", 1, "secret", "-", "id-context",
        "e7c4", "sender-id", "00", "recipient-id", "01", stdin=SECRET)
coapsec(srv_ns, "policy", "add", "dir", "in", "src", "10.0.7.1",
        "action", "require")

# Each namespace has its own table of 1024 x 4 entries: CLI adds a client
# entry and SRV a server entry for each request, each in its own table,
# so each side evicts at least N - SLOTS and neither evicts the other's.
SLOTS = 4096
N = 12000
srv = udp_socket(srv_ns, socket.AF_INET, "10.0.7.2", 5683, timeout=0.5)
cli = udp_socket(cli_ns, socket.AF_INET, "10.0.7.1", timeout=2.0)


def request(i):
    """A NON GET /x with the 4-byte token @i."""
    return bytes([0x54, 0x01, (i >> 8) & 0xff, i & 0xff]) + \
        i.to_bytes(4, "big") + b"\xb1x"


def answer(i):
    """A NON 2.05 Content answer to request(@i)."""
    return bytes([0x54, 0x45, (i >> 8) & 0xff, i & 0xff]) + \
        i.to_bytes(4, "big") + b"\xffvalue %d" % i


def drain(s):
    """Whatever waits on @s (the socket buffer overflows meanwhile)."""
    s.setblocking(False)
    try:
        while True:
            s.recv(4096)
    except BlockingIOError:
        pass
    s.settimeout(0.5)


for i in range(N):
    cli.sendto(request(i), ("10.0.7.2", 5683))
    if i % 64 == 63:
        drain(srv)
drain(srv)
cst, sst = stats(cli_ns), stats(srv_ns)

k = Ktap(4)
k.diag("client: %s" % cst)
k.diag("server: %s" % sst)
k.result(cst["protected"] == N and sst["verified"] == N and
         N - SLOTS <= cst["evictions"] <= N and
         N - SLOTS <= sst["evictions"] <= N,
         "%d requests protected and verified; on each side at least %d "
         "entries evicted and counted, in its own table" % (N, N - SLOTS))

# Request 0's entry went long ago (about 23 later requests landed in its
# bucket of 4 on average): its answer may not leave in clear.
refused = False
try:
    srv.sendto(answer(0), ("10.0.7.1", cli.getsockname()[1]))
except PermissionError:		# a LOCAL_OUT drop reaches the sender
    refused = True
got = []
cli.settimeout(0.5)
try:
    got.append(cli.recv(4096))
except socket.timeout:
    pass
sst2 = stats(srv_ns)
k.result(refused and not got and
         sst2["no_context"] == sst["no_context"] + 1 and
         sst2["protected"] == sst["protected"],
         "an answer whose request was evicted is dropped, not sent in clear, "
         "and counted as no_context")

# A fresh exchange still works both ways.
cli.settimeout(3.0)
cli.sendto(request(N), ("10.0.7.2", 5683))
m, peer = srv.recvfrom(4096)
k.result(m == request(N), "a fresh request arrives verified")
srv.sendto(answer(N), peer)
try:
    back = cli.recv(4096)
except socket.timeout:
    back = None
k.result(back == answer(N) and stats(cli_ns)["verified"] == 1,
         "its answer is protected, verified and delivered in clear")
coapsec(cli_ns, "flush")
coapsec(srv_ns, "flush")
sys.exit(k.finish())
