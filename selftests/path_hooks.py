#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Hooks on demand (issue 17): a namespace has coapsec's netfilter hooks
only while it has policies (stats.hooks says so), and nothing a require
policy covers gets in clear while policies come and go.

  CLI (10.0.35.1, fd35::1) --veth0-- SRV (10.0.35.2, .3, fd35::2)

Plain requests carry a marker; "in clear" means the server's socket got
one while a require policy for it was in place.  A second sender floods
SRV's second address meanwhile, so that packets are in the hooks while
they come and go."""
import socket
import sys
import threading
import time

sys.path.insert(0, "selftests/lib")
from ktap import Ktap  # noqa: E402
from netns import coapsec, enter, packet_socket, stats, udp_socket  # noqa: E402

cli_ns, srv_ns = sys.argv[1], sys.argv[2]
CLI4, SRV4, CLI6, SRV6 = "10.0.35.1", "10.0.35.2", "fd35::1", "fd35::2"
SRV4B = "10.0.35.3"
SECRET = "35353535353535353535353535353535\n"
ROUNDS = 30


def request(tag, tok=b"\x35\x01", mid=0x35):
    """A NON POST /h whose payload holds the marker LEAK-<tag>."""
    return (bytes([0x52, 0x02, mid >> 8, mid & 0xff]) + tok + b"\xb1h" +
            b"\xffLEAK-" + tag.encode())


def answer(tag, tok):
    """A NON 2.05 Content whose payload holds the marker LEAK-<tag>."""
    return bytes([0x52, 0x45, 0x00, 0x36]) + tok + b"\xffLEAK-" + tag.encode()


def drain(s, wait=0.3, most=2.0):
    """Everything @s receives until it has been quiet for @wait seconds,
    or for @most seconds in all."""
    got = []
    end = time.time() + most
    s.settimeout(wait)
    try:
        while time.time() < end:
            got.append(s.recv(4096))
    except (socket.timeout, BlockingIOError):
        pass
    return got


def hooks(ns):
    return stats(ns).get("hooks")


def policy(ns, *args):
    import json
    return json.loads(coapsec(ns, "-j", "policy", "add", *args))["id"]


def policy_ids(ns):
    import json
    return [p["id"] for p in json.loads(coapsec(ns, "-j", "policy", "show"))]


def flush_policies(ns):
    for i in policy_ids(ns):
        coapsec(ns, "policy", "del", i)


k = Ktap(12)
for ns, sid, rid in ((cli_ns, "01", "00"), (srv_ns, "00", "01")):
    coapsec(ns, "context", "add", "id", 1, "secret", "-", "id-context",
            "f35c", "sender-id", sid, "recipient-id", rid, stdin=SECRET)

k.result(hooks(cli_ns) is False and hooks(srv_ns) is False,
         "a namespace with contexts but no policy has no hooks")

srv = udp_socket(srv_ns, socket.AF_INET, SRV4, 5683)
srv6 = udp_socket(srv_ns, socket.AF_INET6, SRV6, 5683)
cli = udp_socket(cli_ns, socket.AF_INET, CLI4)
cli6 = udp_socket(cli_ns, socket.AF_INET6, CLI6)

coapsec(srv_ns, "policy", "add", "dir", "in", "src", CLI4, "action",
        "require")
k.result(hooks(srv_ns) is True and hooks(cli_ns) is False,
         "the first policy registers the namespace's hooks, no other's")

before = stats(srv_ns)["policy_drops"]
cli.sendto(request("first"), (SRV4, 5683))
got = drain(srv)
k.result(not got and stats(srv_ns)["policy_drops"] == before + 1,
         "require drops a plain request once its policy is in")

flush_policies(srv_ns)
k.result(hooks(srv_ns) is False,
         "deleting the last policy unregisters the hooks")
cli.sendto(request("after"), (SRV4, 5683))
got = drain(srv)
k.result(len(got) == 1 and b"LEAK-after" in got[0],
         "without a policy, plain CoAP passes (nothing left in the path)")

# Registration races: a require policy comes and goes while another
# sender floods; every burst sent while it is in place must be dropped,
# every one sent after it went must arrive (the hooks really went).
stop = threading.Event()


def flood():
    s = udp_socket(cli_ns, socket.AF_INET, CLI4)
    n = 0
    while not stop.is_set():
        s.sendto(request("flood", mid=n & 0xffff), (SRV4B, 5683))
        s.sendto(request("flood", mid=n & 0xffff), (SRV4B, 5690))
        n += 1
        if n % 16 == 0:
            time.sleep(0.001)


flooder = threading.Thread(target=flood)
flooder.start()
leaks, misses = [], []
for r in range(ROUNDS):
    coapsec(srv_ns, "policy", "add", "dir", "in", "src", CLI4, "action",
            "require")
    for i in range(8):
        cli.sendto(request("in%d" % r, mid=i), (SRV4, 5683))
    leaks += [m for m in drain(srv, 0.1) if b"LEAK-in" in m]
    flush_policies(srv_ns)
    for i in range(8):
        cli.sendto(request("out%d" % r, mid=i), (SRV4, 5683))
    n = len([m for m in drain(srv, 0.1) if b"LEAK-out%d" % r in m])
    if n != 8:
        misses.append((r, n))
k.result(not leaks, "require toggled %d times under a flood: no plain "
         "request got in while it was there" % ROUNDS)
if leaks:
    k.diag("leaked: %r" % leaks[:4])
k.result(not misses and hooks(srv_ns) is False,
         "each time it went, the hooks went and plain CoAP passed again")
if misses:
    k.diag("(round, received of 8): %r" % misses[:8])

# A require policy that stays while ten others come and go (other hosts,
# other ports: the filter is rebuilt every time).
coapsec(srv_ns, "policy", "add", "dir", "in", "src", CLI4, "action",
        "require")
sink = udp_socket(srv_ns, socket.AF_INET, SRV4B, 5683)
other = udp_socket(srv_ns, socket.AF_INET, SRV4B, 5690)
drain(srv, 0.2)
before = stats(srv_ns)["policy_drops"]
leaks = []
for r in range(3):
    ids = []
    for i in range(10):
        ids.append(policy(srv_ns, "dir", "in", "src", "10.9.%d.%d" % (r, i),
                          "dport", 5700 + i, "action", "require"))
        cli.sendto(request("churn"), (SRV4, 5683))
        leaks += drain(srv, 0.01)
    for i in ids:
        coapsec(srv_ns, "policy", "del", i)
        cli.sendto(request("churn"), (SRV4, 5683))
        leaks += drain(srv, 0.01)
leaks += drain(srv, 0.2) + drain(sink, 0.01, 0.5)
passed = len(drain(other, 0.05, 0.5))
stop.set()
flooder.join()
k.result(not leaks and stats(srv_ns)["policy_drops"] > before,
         "ten policies added and deleted, three times, under a flood: "
         "the one that stays drops every plain request")
if leaks:
    k.diag("leaked: %r" % leaks[:4])
k.result(passed > 0, "meanwhile a port no policy names passes (%d)" % passed)
flush_policies(srv_ns)

# A protected exchange outlives its policy: its answer is still protected.
coapsec(cli_ns, "policy", "add", "dir", "out", "dst", SRV4, "action",
        "protect", 1)
coapsec(srv_ns, "policy", "add", "dir", "in", "src", CLI4, "action",
        "require")
sniff = packet_socket(cli_ns)
tok = b"\x35\x77"
cli.sendto(request("req", tok), (SRV4, 5683))
srv.settimeout(3)
try:
    req, peer = srv.recvfrom(4096)
except socket.timeout:
    req, peer = b"", None
flush_policies(srv_ns)
k.result(peer is not None and hooks(srv_ns) is True,
         "hooks stay while an exchange made under a deleted policy lives")
if peer:
    srv.sendto(answer("ans", tok), peer)
got = drain(cli, 0.5)
frames = []
deadline = time.time() + 0.5
while time.time() < deadline:
    try:
        frames.append(sniff.recv(65535))
    except BlockingIOError:
        time.sleep(0.02)
k.result(len(got) == 1 and b"LEAK-ans" in got[0] and
         not [f for f in frames if b"LEAK-ans" in f],
         "its answer still leaves protected, and the client reads it")
flush_policies(cli_ns)

# IPv6: the same hooks, the same filter.
coapsec(srv_ns, "policy", "add", "dir", "in", "src", CLI6, "action",
        "require")
before = stats(srv_ns)["policy_drops"]
cli6.sendto(request("six"), (SRV6, 5683))
k.result(not drain(srv6) and stats(srv_ns)["policy_drops"] == before + 1,
         "IPv6: require drops a plain request")
sys.exit(k.finish())
