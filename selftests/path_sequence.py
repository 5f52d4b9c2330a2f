#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Sequence numbers and replay state across the key lifecycle (RFC 8613
Appendix B.1): a second context may not take a live context's sender key
material; a swap that keeps it continues the sequence number, so no
Partial IV is sent twice; checkpoint events name where a re-created
context must start, a context started between checkpoints included; a
context whose replay state is unknown refuses
requests; a message under a wrong key counts as an authentication
failure, not as a replay."""
import json
import socket
import sys
import time

sys.path.insert(0, "selftests/lib")
from ktap import Ktap  # noqa: E402
from netns import (Monitor, cli, coapsec, policy_flush, stats,  # noqa: E402
                   udp_socket)

cli_ns, srv_ns = sys.argv[1], sys.argv[2]
SECRET = "00112233445566778899aabbccddeeff\n"
OTHER = "ffeeddccbbaa99887766554433221100\n"
THIRD = "0f1e2d3c4b5a69788796a5b4c3d2e1f0\n"
SRV = "10.0.9.2"


def ctx(ns, verb, sender, recipient, secret=SECRET, *extra, check=True):
    args = ["context", verb] + (["1"] if verb == "swap" else ["id", 1])
    args += ["secret", "-", "id-context", "5e9c", "sender-id", sender,
             "recipient-id", recipient] + list(extra)
    return coapsec(ns, *args, stdin=secret, check=check)


def cli_run(ns, *args, stdin=None):
    """The CLI in @ns: (exit status, stderr)."""
    r = cli(ns, *args, stdin=stdin)
    return r.returncode, r.stderr.strip()


def request(i):
    """A NON POST /s with the 2-byte token @i."""
    return bytes([0x52, 0x02, 0x10, i & 0xff, 0x7a, i & 0xff]) + \
        b"\xb1s\xffn%d" % i


def send(sock, n, first):
    got = 0
    for i in range(first, first + n):
        cli.sendto(request(i), (SRV, 5683))
        try:
            m = sock.recv(4096)
            got += m.endswith(b"n%d" % i)
        except socket.timeout:
            pass
    return got


def seq(ns):
    return json.loads(coapsec(ns, "-j", "context", "show", 1))[0]["seq"]


k = Ktap(8)
ctx(cli_ns, "add", "01", "00", SECRET, "checkpoint", 4)
ctx(srv_ns, "add", "00", "01")
coapsec(cli_ns, "policy", "add", "dir", "out", "dst", SRV,
        "action", "protect", 1)
coapsec(srv_ns, "policy", "add", "dir", "in", "family", "inet", "action",
        "require")

# 1. Two contexts with one sender key material would share nonces.
st, err = cli_run(cli_ns, "context", "add", "id", 2, "secret", "-",
                  "id-context", "5e9c", "sender-id", "01", "recipient-id",
                  "07", stdin=SECRET)
k.diag("second context with the same sender material: %d %s" % (st, err))
k.result(st != 0 and "sender-key" in err,
         "a second context with a live context's sender key material is "
         "refused, naming sender-key")

# Events of the client's namespace, from before the first request on.
mon = Monitor(cli_ns, 3, 60)
time.sleep(1.5)

srv = udp_socket(srv_ns, socket.AF_INET, SRV, 5683, timeout=2.0)
cli = udp_socket(cli_ns, socket.AF_INET, "10.0.9.1", timeout=2.0)
got = send(srv, 5, 0)
before = seq(cli_ns)
# 2. A swap to the same keys (a new window size, say) continues.
ctx(cli_ns, "swap", "01", "00", SECRET, "checkpoint", 4, "window", 64)
after = seq(cli_ns)
got += send(srv, 5, 5)
cst, sst = stats(cli_ns), stats(srv_ns)
k.diag("seq before the swap %d, after %d; delivered %d of 10; server %s"
       % (before, after, got, sst))
k.result(before == 5 and after >= before,
         "a swap that keeps the sender key continues the sequence number")
k.result(got == 10 and sst["verified"] == 10 and sst["replays"] == 0,
         "every request after the swap verified, none taken for a replay")

# 3. Checkpoints: every 4 numbers, two blocks ahead of the block begun.
events = mon.events()
k.diag("events: %s" % events)
marks = [e.get("seq") for e in events if e.get("event") == "seq-checkpoint"]
k.result(marks == [8, 12, 16],
         "seq-checkpoint events at 0, 4 and 8 name 8, 12 and 16")

# 4. A wrong key is an authentication failure, even where the window has
#    seen the Partial IV already.
policy_flush(cli_ns)
coapsec(cli_ns, "context", "del", 1)
ctx(cli_ns, "add", "01", "00", OTHER)
coapsec(cli_ns, "policy", "add", "dir", "out", "dst", SRV,
        "action", "protect", 1)
base = stats(srv_ns)
send(srv, 1, 20)
now = stats(srv_ns)
k.diag("server after a request under a wrong key: %s" % now)
k.result(now["auth_failures"] == base["auth_failures"] + 1 and
         now["replays"] == base["replays"],
         "a request under a wrong key with a Partial IV already seen counts "
         "as an auth failure, not a replay")

# 5. Replay state unknown (keys kept across a restart): no request is
#    fresh, none is delivered; answers would still be verified.
policy_flush(cli_ns)
coapsec(cli_ns, "context", "del", 1)
ctx(cli_ns, "add", "01", "00", SECRET, "seq-start", 100)
coapsec(cli_ns, "policy", "add", "dir", "out", "dst", SRV,
        "action", "protect", 1)
policy_flush(srv_ns)
coapsec(srv_ns, "context", "del", 1)
ctx(srv_ns, "add", "00", "01", SECRET, "replay-unknown")
coapsec(srv_ns, "policy", "add", "dir", "in", "family", "inet", "action",
        "require")
base = stats(srv_ns)
got = send(srv, 2, 30)
now = stats(srv_ns)
k.diag("server with replay-unknown: %s" % now)
k.result(got == 0 and now["replays"] == base["replays"] + 2 and
         now["verified"] == base["verified"],
         "a context with unknown replay state refuses requests, counted as "
         "replays")
show = json.loads(coapsec(srv_ns, "-j", "context", "show", 1))[0]
k.result("replay-unknown" in show["flags"],
         "context show names the replay-unknown flag")

# 8. A new context that starts between checkpoints (seq-start 6, K 4):
#    no event named the block it starts in, so its first number sends one
#    (6 + 8 = 14) before the one at 8 (16).
policy_flush(cli_ns)
coapsec(cli_ns, "context", "del", 1)
ctx(cli_ns, "add", "01", "00", THIRD, "checkpoint", 4, "seq-start", 6)
coapsec(cli_ns, "policy", "add", "dir", "out", "dst", SRV,
        "action", "protect", 1)
mon = Monitor(cli_ns, 2, 10)
time.sleep(1.5)
for i in range(3):
    cli.sendto(request(40 + i), (SRV, 5683))
events = mon.events()
k.diag("events: %s" % events)
marks = [e.get("seq") for e in events if e.get("event") == "seq-checkpoint"]
k.result(marks == [14, 16],
         "a context started at 6 between checkpoints of 4 names 14 at its "
         "first number, then 16 at 8")
sys.exit(k.finish())
