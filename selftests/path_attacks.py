#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Attacks on a verifying host (netns SRV, policy require) with messages
the kernel of netns CLI protected, captured before SRV verified anything:
bit flips, replays, reordering within and beyond the window, plaintext,
malformed CoAP and OSCORE.  Every attack must be dropped and counted, and
nothing but the genuine messages may reach the application."""
import socket
import sys
import time

sys.path.insert(0, "selftests/lib")
from ktap import Ktap  # noqa: E402
from netns import coapsec, stats, udp_socket  # noqa: E402

cli_ns, srv_ns = sys.argv[1], sys.argv[2]
CLI, ATK, SRV = "10.0.5.1", "10.0.5.3", "10.0.5.2"
DROPS = ("auth_failures", "replays", "malformed", "no_context",
         "policy_drops", "fragments", "gso", "too_big", "seq_exhausted",
         "errors")


def request(i):
    """A plain CoAP NON POST /attack-i with a payload."""
    tok = bytes([0x7a, i])
    path = ("attack-%d" % i).encode()
    return (bytes([0x52, 0x02, 0x10, i]) + tok + bytes([0xb0 | len(path)]) +
            path + b"\xff" + b"payload %d" % i)


app = udp_socket(srv_ns, socket.AF_INET, SRV, 5683, timeout=0.3)
cli = udp_socket(cli_ns, socket.AF_INET, CLI)
atk = udp_socket(cli_ns, socket.AF_INET, ATK)

# Phase 1: SRV has the context but no policy yet, so the protected
# requests reach the application socket as they crossed the link.
N = 40
prot = []
for i in range(N):
    cli.sendto(request(i), (SRV, 5683))
    try:
        prot.append(app.recv(4096))
    except socket.timeout:
        prot.append(None)
k = Ktap(10)
k.result(all(p and p != request(i) for i, p in enumerate(prot)),
         "%d requests captured protected" % N)
coapsec(srv_ns, "policy", "add", "dir", "in", "family", "inet", "action",
        "require")


def inject(msgs):
    """Sends @msgs from the attacker; returns what the application got and
    how the drop counters moved."""
    before = stats(srv_ns)
    for m in msgs:
        atk.sendto(m, (SRV, 5683))
    got = []
    deadline = time.time() + 1.0 + 0.002 * len(msgs)
    while time.time() < deadline:
        try:
            got.append(app.recv(4096))
        except socket.timeout:
            if len(msgs) < 20:
                break
    after = stats(srv_ns)
    delta = {c: after[c] - before[c] for c in DROPS + ("verified",)}
    return got, delta


def dropped(delta):
    return sum(delta[c] for c in DROPS)


# Every bit of the OSCORE option, marker, ciphertext and tag: flipped,
# before the genuine message was ever seen.
m = prot[0]
hdr = 4 + (m[0] & 0x0f)
flips = [m[:i] + bytes([m[i] ^ (1 << b)]) + m[i + 1:]
         for i in range(hdr, len(m)) for b in range(8)]
got, d = inject(flips)
k.diag("option and payload flips: %d sent, %d delivered, %s" %
       (len(flips), len(got), d))
k.result(not got and dropped(d) == len(flips) and d["verified"] == 0,
         "each of %d bit flips in option and ciphertext dropped and counted"
         % len(flips))

got, d = inject([m])
k.result(got == [request(0)] and d["verified"] == 1,
         "the genuine message is then delivered, unprotected")

# The header and token are not protected by RFC 8613 (§4.1); flipped
# copies share the genuine Partial IV, so every one is a replay now.
flips = [m[:i] + bytes([m[i] ^ (1 << b)]) + m[i + 1:]
         for i in range(hdr) for b in range(8)]
got, d = inject(flips)
k.diag("header flips: %d sent, %d delivered, %s" % (len(flips), len(got), d))
k.result(not got and dropped(d) == len(flips),
         "each of %d bit flips in header and token dropped and counted" %
         len(flips))

got, d = inject([m, m])
k.result(not got and d["replays"] == 2, "replays dropped and counted")

# Window 32: 10, then 5 and 9 (reordered, inside), 39, then 6 (33 below
# the top: outside) and 8 (31 below: inside).
got, d = inject([prot[10], prot[5], prot[9], prot[39]])
k.result(got == [request(i) for i in (10, 5, 9, 39)],
         "reordered within the window: accepted")
got, d = inject([prot[6]])
k.result(not got and d["replays"] == 1, "beyond the window: dropped")
got, d = inject([prot[8]])
k.result(got == [request(8)], "just inside the window: accepted")

got, d = inject([request(50)])
k.result(not got and d["policy_drops"] == 1,
         "plaintext CoAP to a require policy dropped and counted")

bad = [b"", b"\x00", b"\x52\x02\x00", b"\xff" * 20,
       m[:hdr + 2],                              # cut inside the option
       m[:hdr] + b"\x91\xe0" + m[hdr + 2:],      # reserved flag bits
       m[:hdr] + b"\x91\x0f\xff" + m[hdr + 3:],  # n = 7
       m[:hdr + 1] + bytes([m[hdr + 1] | 0x10]) + m[hdr + 2:],  # h, no s
       m + m[hdr:hdr + 4],                       # second OSCORE option?
       m[:-9],                                   # shorter than the tag
       bytes([0x52, 0x02, 0x10, 0x99, 0x7a, 0x99, 0x90, 0xff, 0x00]),
       bytes(range(256))]
got, d = inject(bad)
k.diag("malformed: %d sent, %s" % (len(bad), d))
k.result(not got and d["malformed"] + d["no_context"] + d["auth_failures"] +
         d["replays"] == len(bad) and d["malformed"] >= 8,
         "%d malformed CoAP and OSCORE messages dropped and counted" %
         len(bad))
coapsec(srv_ns, "flush")
sys.exit(k.finish())
