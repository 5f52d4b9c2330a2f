#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Group commands: a gateway (netns GW) sends Non-confirmable requests to
ff05::fd and 224.0.1.187 under three group contexts, chosen by the
socket's fwmark; 9 devices in 3 groups behind a bridge verify them.
Every device gets each command of its own group, unprotected, and none
of another group's (counted as no-context there).  Then every device
answers each command under its own sender ID, and the gateway gets every
answer unprotected: each is bound to the group request it answers."""
import socket
import struct
import sys
import time

sys.path.insert(0, "selftests/lib")
from ktap import Ktap  # noqa: E402
from netns import coapsec, stats, enter, udp_socket  # noqa: E402

gw_ns = sys.argv[1]
devs = sys.argv[2:]
GROUPS = 3
SO_MARK = 36
GW_ID = "47"
SECRET = "%02x" * 16
groups = {g: [d for i, d in enumerate(devs) if i % GROUPS == g - 1]
          for g in range(1, GROUPS + 1)}


def gid(g):
    return "9d00000%d" % g


def secret(g):
    return (SECRET % tuple(range(g, g + 16))) + "\n"


for g, members in groups.items():
    args = ["context", "add", "id", g, "secret", "-", "salt",
            "5a5a5a5a5a5a5a0%d" % g, "id-context", gid(g),
            "sender-id", GW_ID, "group", "window", 64]
    for i, d in enumerate(members):
        args += ["recipient-id", "d%d" % i]
    coapsec(gw_ns, *args, stdin=secret(g))
    coapsec(gw_ns, "policy", "add", "dir", "out", "dst", "ff05::fd/128",
            "mark", g, "action", "protect", g)
    coapsec(gw_ns, "policy", "add", "dir", "out", "dst", "224.0.1.187/32",
            "mark", g, "action", "protect", g)
    for i, d in enumerate(members):
        coapsec(d, "context", "add", "id", 1, "secret", "-", "salt",
                "5a5a5a5a5a5a5a0%d" % g, "id-context", gid(g),
                "sender-id", "d%d" % i, "recipient-id", GW_ID, "group",
                stdin=secret(g))
        for fam in ("inet", "inet6"):
            coapsec(d, "policy", "add", "dir", "in", "family", fam,
                    "action", "require")

# Device sockets: one per family, joined to the All-CoAP-Nodes groups.
rx = {}
for d in devs:
    s4 = udp_socket(d, socket.AF_INET, "0.0.0.0", 5683, timeout=0.05)
    mreq = struct.pack("4s4s", socket.inet_aton("224.0.1.187"),
                       socket.inet_aton("0.0.0.0"))
    s4.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    s6 = udp_socket(d, socket.AF_INET6, "::", 5683, timeout=0.05)
    enter(d)
    idx = socket.if_nametoindex("eth0")
    enter(None)
    mreq6 = socket.inet_pton(socket.AF_INET6, "ff05::fd") + \
        struct.pack("@I", idx)
    s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq6)
    rx[d] = (s4, s6)

enter(gw_ns)
br = socket.if_nametoindex("br0")
enter(None)


def drain(s):
    """Every (message, sender) waiting on @s, until it is quiet."""
    got = []
    while True:
        try:
            got.append(s.recvfrom(4096))
        except socket.timeout:
            return got


def command(g, n):
    tok = bytes([0xc0 | g, n])
    path = b"group%d" % g
    return (bytes([0x52, 0x03, g, n]) + tok + bytes([0xb0 | len(path)]) +
            path + b"\xff" + b"switch %d on, command %d" % (g, n))


tx = {}
for g in groups:
    s4 = udp_socket(gw_ns, socket.AF_INET, "10.0.4.254")
    s4.setsockopt(socket.SOL_SOCKET, SO_MARK, g)
    s4.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF,
                  socket.inet_aton("10.0.4.254"))
    s6 = udp_socket(gw_ns, socket.AF_INET6, "fd04::fe")
    s6.setsockopt(socket.SOL_SOCKET, SO_MARK, g)
    s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, br)
    tx[g] = (s4, s6)

time.sleep(1)	# MLD and IGMP settle
N = 3
for n in range(N):
    for g in groups:
        tx[g][0].sendto(command(g, n), ("224.0.1.187", 5683))
        tx[g][1].sendto(command(g, n), ("ff05::fd", 5683))
time.sleep(0.5)

k = Ktap(6)
wrong = 0
missing = 0
heard = []	# (device, socket, command, gateway address)
for g, members in groups.items():
    want = sorted(command(g, n) for n in range(N))
    for d in members:
        for fam, s in zip(("inet", "inet6"), rx[d]):
            got = []
            for m, peer in drain(s):
                got.append(m)
                heard.append((d, s, m, peer))
            if sorted(got) != want:
                k.diag("%s %s got %s" % (d, fam, got))
                missing += 1
gst = stats(gw_ns)
k.diag("gateway: %s" % gst)
k.result(missing == 0, "each of %d devices got every command of its group, "
         "IPv4 and IPv6, and nothing else" % len(devs))
k.result(gst["protected"] == 2 * N * GROUPS,
         "gateway protected %d group commands" % (2 * N * GROUPS))
for d in devs:
    st = stats(d)
    if st["verified"] != 2 * N or st["no_context"] != 2 * N * (GROUPS - 1):
        k.diag("%s: %s" % (d, st))
        wrong += 1
k.result(wrong == 0, "each device verified its %d and counted the other "
         "groups' %d as no-context" % (2 * N, 2 * N * (GROUPS - 1)))
k.result(all(stats(d)["auth_failures"] == 0 for d in devs),
         "no authentication failure anywhere")


def answer(cmd, d):
    """A NON 2.04 answer to @cmd (token length 2), naming the device."""
    return (bytes([0x52, 0x44, 0x80 | cmd[2], cmd[3]]) + cmd[4:6] +
            b"\xff" + b"done by " + d.encode())


for d, s, m, peer in heard:
    s.sendto(answer(m, d), peer)
time.sleep(0.5)
missing = 0
for g, members in groups.items():
    want = sorted(answer(command(g, n), d) for n in range(N)
                  for d in members)
    for fam, s in zip(("inet", "inet6"), tx[g]):
        s.settimeout(0.05)
        got = [m for m, _ in drain(s)]
        if sorted(got) != want:
            k.diag("gateway group %d %s got %s" % (g, fam, got))
            missing += 1
gst2 = stats(gw_ns)
k.diag("gateway after the answers: %s" % gst2)
k.result(missing == 0, "the gateway got every device's answer to every "
         "group command, unprotected, IPv4 and IPv6")
k.result(gst2["verified"] - gst["verified"] == 2 * N * len(devs) and
         gst2["auth_failures"] == 0 and gst2["no_context"] == 0 and
         gst2["replays"] == 0,
         "the gateway verified %d answers, each bound to its group request"
         % (2 * N * len(devs)))
sys.exit(k.finish())
