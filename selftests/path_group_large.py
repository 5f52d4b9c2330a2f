#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A group of 5,000 members in one context.  The gateway (netns GW) holds
the group context with every member as a recipient; three members, the
first, the 65th (one past the old limit of 64) and the last, hold theirs.
Each member sends a protected request to the gateway, which must verify
and deliver it; the gateway sends a group command, which each member
verifies and answers, and the gateway must verify every answer (the
response path finds the recipient by kid in the context).  A fourth
device with the group's keys but a kid that is not a member is refused.
The gateway's context comes back whole from `context show` (a GET
reply, and a dump split into several messages)."""
import json
import socket
import struct
import sys
import time

sys.path.insert(0, "selftests/lib")
from ktap import Ktap  # noqa: E402
from netns import cli, coapsec, stats, udp_socket  # noqa: E402

gw_ns = sys.argv[1]
devs = sys.argv[2:5]
outsider = sys.argv[5]
N = 5000
MEMBERS = [1, 65, N]		# member numbers; kid = number, 2 bytes
GW_ID = "47"
GID = "9d0000aa"
SALT = "5a5a5a5a5a5a5aaa"
SECRET = "".join("%02x" % b for b in range(0x30, 0x40)) + "\n"
GW_ADDR = "10.0.5.254"
SO_MARK = 36


def kid(n):
    return "%04x" % n


k = Ktap(10)
args = ["context", "add", "id", 1, "secret", "-", "salt", SALT,
        "id-context", GID, "sender-id", GW_ID, "group", "window", 64]
for n in range(1, N + 1):
    args += ["recipient-id", kid(n)]
r = cli(gw_ns, *args, stdin=SECRET)
if not k.result(r.returncode == 0,
                "gateway: a group context of %d recipients is installed" % N):
    k.diag(r.stderr.strip())
    sys.exit(k.finish())
coapsec(gw_ns, "policy", "add", "dir", "out", "dst", "224.0.1.187/32",
        "mark", 1, "action", "protect", 1)
coapsec(gw_ns, "policy", "add", "dir", "in", "family", "inet",
        "action", "require")

shown = json.loads(coapsec(gw_ns, "-j", "context", "show", 1))
dumped = [c for c in json.loads(coapsec(gw_ns, "-j", "context", "show"))
          if c["id"] == 1]
ok = True
for what, c in (("show 1", shown[0] if shown else {}),
                ("show (dump)", dumped[0] if len(dumped) == 1 else {})):
    ids = [x["id"] for x in c.get("recipients", [])]
    if ids != [kid(n) for n in range(1, N + 1)]:
        k.diag("%s: %d recipients, first %s, last %s" %
               (what, len(ids), ids[:1], ids[-1:]))
        ok = False
k.result(ok and len(dumped) == 1, "context show returns all %d recipients, "
         "by ID and in a dump, once" % N)

for d, n in zip(devs + [outsider], MEMBERS + [N + 1]):
    coapsec(d, "context", "add", "id", 1, "secret", "-", "salt", SALT,
            "id-context", GID, "sender-id", kid(n), "recipient-id", GW_ID,
            "group", stdin=SECRET)
    coapsec(d, "policy", "add", "dir", "in", "family", "inet",
            "action", "require")
    coapsec(d, "policy", "add", "dir", "out", "dst", GW_ADDR + "/32",
            "action", "protect", 1)


def drain(s):
    got = []
    while True:
        try:
            got.append(s.recvfrom(4096))
        except socket.timeout:
            return got


def report(n):
    """A member's NON POST to the gateway: Uri-Path "r", its number."""
    return (bytes([0x52, 0x02, n >> 8, n & 0xff, 0xa1, n & 0xff, 0xb1]) +
            b"r\xff" + b"reading from member %d" % n)


gw_rx = udp_socket(gw_ns, socket.AF_INET, "0.0.0.0", 5683, timeout=0.2)
for d, n in zip(devs + [outsider], MEMBERS + [N + 1]):
    s = udp_socket(d, socket.AF_INET, "0.0.0.0", timeout=0.2)
    s.sendto(report(n), (GW_ADDR, 5683))
    s.close()
time.sleep(0.5)
got = sorted(m for m, _ in drain(gw_rx))
want = sorted(report(n) for n in MEMBERS)
if got != want:
    k.diag("gateway got %s" % got)
k.result(got == want, "the gateway verified and delivered the requests of "
         "members 1, 65 and %d, and nothing else" % N)
gst = stats(gw_ns)
k.diag("gateway: %s" % gst)
k.result(gst["verified"] == 3 and gst["auth_failures"] == 0,
         "gateway counters: 3 verified, no authentication failure")
k.result(gst["no_context"] == 1,
         "a kid outside the group (%s) found no context" % kid(N + 1))

# A group command; each member answers under its own sender ID.
rx = {}
for d in devs:
    s = udp_socket(d, socket.AF_INET, "0.0.0.0", 5683, timeout=0.2)
    mreq = struct.pack("4s4s", socket.inet_aton("224.0.1.187"),
                       socket.inet_aton("0.0.0.0"))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    rx[d] = s
tx = udp_socket(gw_ns, socket.AF_INET, GW_ADDR, timeout=0.2)
tx.setsockopt(socket.SOL_SOCKET, SO_MARK, 1)
tx.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF,
              socket.inet_aton(GW_ADDR))
time.sleep(1)	# IGMP settles
cmd = bytes([0x52, 0x03, 0x12, 0x34, 0xc1, 0x01, 0xb5]) + b"meter" + \
    b"\xff" + b"read now"
tx.sendto(cmd, ("224.0.1.187", 5683))
time.sleep(0.5)
heard = {d: drain(rx[d]) for d in devs}
k.result(all([m for m, _ in heard[d]] == [cmd] for d in devs),
         "members 1, 65 and %d each verified the group command" % N)


def answer(d):
    return (bytes([0x52, 0x44, 0x80 | 0x12, 0x34, 0xc1, 0x01]) +
            b"\xff" + b"read by " + d.encode())


for d in devs:
    for m, peer in heard[d]:
        rx[d].sendto(answer(d), peer)
time.sleep(0.5)
got = sorted(m for m, _ in drain(tx))
want = sorted(answer(d) for d in devs)
if got != want:
    k.diag("gateway got answers %s" % got)
k.result(got == want, "the gateway verified the answers of members 1, 65 "
         "and %d to its group command" % N)
gst2 = stats(gw_ns)
k.diag("gateway after the answers: %s" % gst2)
k.result(gst2["verified"] - gst["verified"] == 3 and
         gst2["auth_failures"] == 0 and gst2["replays"] == 0,
         "3 more verified at the gateway, no failure")

# The same keys swapped in (as an agent re-pushing its state does): each
# kept member's replay window goes with it, found by kid in O(1).
t0 = time.monotonic()
r = cli(gw_ns, "context", "swap", 1, *args[4:], stdin=SECRET)
k.diag("swap of %d recipients: %.2f s" % (N, time.monotonic() - t0))
if not k.result(r.returncode == 0, "the group context is swapped whole"):
    k.diag(r.stderr.strip())
# Member 65's request again, as captured: its window came over.
s = udp_socket(devs[1], socket.AF_INET, "0.0.0.0", timeout=0.2)
s.sendto(report(65), (GW_ADDR, 5683))
s.close()
time.sleep(0.3)
got = [m for m, _ in drain(gw_rx)]
gst3 = stats(gw_ns)
k.result(got == [report(65)] and gst3["verified"] == gst2["verified"] + 1 and
         gst3["auth_failures"] == 0,
         "after the swap member 65 still verifies (a new sequence number)")
sys.exit(k.finish())
