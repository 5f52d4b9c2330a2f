#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The hand-off to a userspace agent (action queue, issue 15): group CoAP
that a queue policy names goes to the agent registered for its NFQUEUE
queue, and nowhere in clear while there is none.

  CLI (10.0.41.1, fd41::1) --veth0-- SRV (10.0.41.2, fd41::2)

CLI sends group requests to 224.0.1.187 and ff02::fd, port 5683; its
policies (direction out) queue them to queue 3.  SRV's policies
(direction in) queue what arrives for the groups to queue 4; a receiver
in SRV has joined both groups.  The agents are selftests/queue_agent
(registers over generic netlink, accepts every packet unchanged).  The
wire is watched with a packet socket on CLI's veth0: "in clear" means a
frame holding the marker that only the test's payloads hold."""
import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, "selftests/lib")
import genl_raw  # noqa: E402
from ktap import Ktap  # noqa: E402
from netns import B, cli, enter, packet_socket, udp_socket  # noqa: E402

cli_ns, srv_ns = sys.argv[1], sys.argv[2]
CLI4, SRV4, CLI6 = "10.0.41.1", "10.0.41.2", "fd41::1"
G4, G6, PORT = "224.0.1.187", "ff02::fd", 5683
N = 3                   # messages per family and phase
Q_OUT, Q_IN = 3, 4
spec = genl_raw.Spec()
k = Ktap(12)


def check(ok, desc, diag=None):
    if not ok and diag is not None:
        k.diag(diag)
    return k.result(ok, desc)


def genl(ns):
    enter(ns)
    try:
        return genl_raw.Genl(spec)
    finally:
        enter(None)


def stats(g):
    err, msg, attrs = g.request(g.family, spec.cmd["stats-get"], b"")
    if err:
        raise OSError(-err, "stats-get: " + msg)
    return spec.decode("stats", attrs[spec.attr("coapsec", "stats")[0]][0])


def ifindex(ns):
    enter(ns)
    try:
        return socket.if_nametoindex("veth0")
    finally:
        enter(None)


def request(tag, i):
    """A NON POST /q whose payload holds the marker QLEAK-<tag>-<i>."""
    return (bytes([0x50, 0x02, 0x41, i]) + b"\xb1q" + b"\xff" +
            ("QLEAK-%s-%d" % (tag, i)).encode())


class Sniffer:
    """Every frame on CLI's veth0, both directions, from now on."""

    def __init__(self):
        self.s = packet_socket(cli_ns)

    def marked(self, tag, want=0, timeout=10.0, quiet=0.5):
        """The frames holding tag's marker: read until @want of them came
        (or @timeout), then for as long as frames keep coming."""
        mark, frames = ("QLEAK-" + tag).encode(), []
        end = time.time() + timeout
        last = time.time()
        while time.time() < end and (
                len(frames) < want or time.time() - last < quiet):
            try:
                f = self.s.recv(65535)
                last = time.time()
                if mark in f:
                    frames.append(f)
            except BlockingIOError:
                time.sleep(0.02)
        return frames


class Agent:
    """selftests/queue_agent for queue @q, started in @ns."""

    def __init__(self, ns, q):
        enter(ns)
        try:
            self.p = subprocess.Popen([B + "/selftests/queue_agent",
                                       str(q)], stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE)
        finally:
            enter(None)
        os.set_blocking(self.p.stdout.fileno(), False)
        self.out = b""

    def read(self, wait=0.0):
        if select.select([self.p.stdout], [], [], wait)[0]:
            self.out += self.p.stdout.read() or b""
        return self.out.decode().splitlines()

    def ready(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline and self.p.poll() is None:
            if "ready" in self.read(0.2):
                return True
        return "ready" in self.read()

    def packets(self, want, timeout=10.0):
        end = time.time() + timeout
        while True:
            lines = [ln for ln in self.read(0.2) if ln.startswith("packet ")]
            if len(lines) >= want or time.time() > end:
                return lines

    def kill(self):
        self.p.send_signal(signal.SIGKILL)
        self.p.wait()


# The receiver in SRV: both groups joined on veth0.
rx4 = udp_socket(srv_ns, socket.AF_INET, "0.0.0.0", PORT, timeout=0.5)
rx4.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
               socket.inet_aton(G4) + socket.inet_aton(SRV4))
rx6 = udp_socket(srv_ns, socket.AF_INET6, "::", PORT, timeout=0.5)
rx6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP,
               socket.inet_pton(socket.AF_INET6, G6) +
               struct.pack("@I", ifindex(srv_ns)))
tx4 = udp_socket(cli_ns, socket.AF_INET, CLI4)
tx4.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF,
               socket.inet_aton(CLI4))
cli_if = ifindex(cli_ns)
tx6 = udp_socket(cli_ns, socket.AF_INET6, CLI6)
tx6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, cli_if)


def send(tag):
    """N messages to each group; a message dropped on the way out comes
    back to the sender as EPERM, as any netfilter drop does."""
    refused = 0
    for i in range(N):
        for s, m, to in ((tx4, request(tag + "4", i), (G4, PORT)),
                         (tx6, request(tag + "6", i), (G6, PORT, 0, cli_if))):
            try:
                s.sendto(m, to)
            except PermissionError:
                refused += 1
    return refused


def received(want=0, timeout=10.0):
    """What the receiver got: until @want messages came (or @timeout),
    then until both sockets stay quiet."""
    got, end = [], time.time() + timeout
    while True:
        ready = select.select([rx4, rx6], [], [], 0.5)[0]
        for s in ready:
            got.append(s.recv(4096))
        if (not ready and len(got) >= want) or time.time() > end:
            return got


def settle(g, counter, want, timeout=5.0):
    """@g's @counter once it reaches @want (or the timeout), then after a
    quiet spell: exactly @want, or what it overshot to."""
    deadline = time.time() + timeout
    while stats(g)[counter] < want and time.time() < deadline:
        time.sleep(0.1)
    time.sleep(0.3)
    return stats(g)[counter]


gc, gs = genl(cli_ns), genl(srv_ns)

# Policies: CLI's with the CLI (its syntax and show), SRV's raw.
r4 = cli(cli_ns, "policy", "add", "dir", "out", "dst", G4, "action",
         "queue", "queue-num", Q_OUT)
r6 = cli(cli_ns, "policy", "add", "dir", "out", "dst", G6, "action",
         "queue", "queue-num", Q_OUT)
srv_err = []
for fam, grp in ((socket.AF_INET, socket.inet_aton(G4)),
                 (socket.AF_INET6, socket.inet_pton(socket.AF_INET6, G6))):
    pol = {"family": fam, "direction": spec.enum("dir", "in"), "dst": grp,
           "action": spec.enum("action", "queue"), "queue-num": Q_IN}
    err, msg, _ = gs.request(gs.family, spec.cmd["policy-new"],
                             spec.encode("coapsec-policy-input",
                                         {"policy": pol}))
    srv_err += [(err, msg)] if err else []
check(r4.returncode == 0 and r6.returncode == 0 and not srv_err,
      "policy add ... action queue queue-num N accepted, IPv4 and IPv6",
      (r4.stderr, r6.stderr, srv_err))
text = cli(cli_ns, "policy", "show").stdout
check(text.count("action queue queue-num %d" % Q_OUT) == 2,
      "policy show: 'action queue queue-num %d' on both policies" % Q_OUT,
      text)
try:
    shown = json.loads(cli(cli_ns, "-j", "policy", "show").stdout)
except ValueError:
    shown = []
check([(p.get("action"), p.get("queue_num")) for p in shown] ==
      [("queue", Q_OUT)] * 2, "policy show -j: action queue, queue_num %d"
      % Q_OUT, shown)

# 1. No agent anywhere: nothing leaves, every message counted.
sniff = Sniffer()
refused = send("a")
st = stats(gc)
wire = sniff.marked("a")
check(not wire and refused == 2 * N,
      "no agent: nothing on the wire in clear (IPv4, IPv6), each send "
      "refused (EPERM)", (wire[:2], refused))
check(st["queue-no-agent"] == 2 * N and st["queued"] == 0,
      "no agent: queue_no_agent counts each message exactly (%d)" % (2 * N),
      st)

# 2. CLI's agent: out goes through it; SRV, still without one, drops.
ca = Agent(cli_ns, Q_OUT)
if not check(ca.ready(), "agent for queue %d registered and bound" % Q_OUT,
             ca.read() + [ca.p.stderr.read1().decode()
                          if ca.p.poll() is not None else ""]):
    sys.exit(k.finish())
refused = send("b")
wire = sniff.marked("b", 2 * N)
st = stats(gc)
lines = ca.packets(2 * N)
check(not refused and len(wire) == 2 * N and st["queued"] == 2 * N and
      st["queue-no-agent"] == 2 * N and len(lines) == 2 * N,
      "agent: out messages queued, accepted by the agent, on the wire",
      (refused, len(wire), st["queued"], st["queue-no-agent"], lines))
drops = settle(gs, "queue-no-agent", 2 * N)
got = received()
check(drops == 2 * N and not got and stats(gs)["queued"] == 0,
      "in, no agent: dropped and counted exactly, nothing delivered",
      (drops, got))

# 3. SRV's agent too: delivered, IPv4 and IPv6.
sa = Agent(srv_ns, Q_IN)
sa_ready = sa.ready()
send("c")
want = sorted([request("c4", i) for i in range(N)] +
              [request("c6", i) for i in range(N)])
got = sorted(received(2 * N))
queued = settle(gs, "queued", 2 * N)
check(sa_ready and got == want and queued == 2 * N and
      len(sa.packets(2 * N)) == 2 * N,
      "in, agent: every group message delivered through it (IPv4, IPv6)",
      (sa_ready, got, queued, sa.read()))

# 3b. A unicast message SRV's agent takes, to a port where nothing
# listens: the agent may have decrypted it, so SRV's port unreachable
# quotes nothing past the UDP header, although no kernel context (and
# no exchange) ever existed in SRV.  Before, the scrub ran only where
# the kernel had made an exchange.
cli(srv_ns, "policy", "add", "dir", "in", "dst", SRV4, "dport", "5699",
    "action", "queue", "queue-num", str(Q_IN))
subprocess.run(["ip", "netns", "exec", srv_ns, "sysctl", "-qw",
                "net.ipv4.icmp_ratelimit=0"], check=True)
n_before = len(sa.packets(0, timeout=0))
wire = packet_socket(cli_ns)
tx4.sendto(request("u4", 0), (SRV4, 5699))
frames, end = [], time.time() + 3
while time.time() < end:
    try:
        frames.append(wire.recv(65535))
    except BlockingIOError:
        time.sleep(0.02)
wire.close()
# Ethernet, IPv4, ICMP port unreachable (3/3) from SRV.
errors = [f for f in frames if f[12:14] == b"\x08\x00" and f[23] == 1 and
          f[26:30] == socket.inet_aton(SRV4) and f[34:36] == b"\x03\x03"]
# Cut right after the quoted UDP header (IPv4 20, ICMP 8, IPv4 20, UDP
# 8), its checksum zeroed.
leaked = [f for f in errors if len(f) != 70 or f[68:70] != b"\0\0"]
check(len(sa.packets(n_before + 1)) == n_before + 1 and len(errors) == 1 and
      not leaked,
      "in, agent, unicast to a closed port: the port unreachable quotes "
      "nothing past the UDP header (no kernel context in the namespace)",
      (len(errors), [f.hex() for f in leaked]))

# 4. CLI's agent killed: its registration goes with its socket.
ca.kill()
before = stats(gc)
refused = send("d")
after = stats(gc)
wire = sniff.marked("d")
got = received()
check(not wire and not got and refused == 2 * N and
      after["queue-no-agent"] - before["queue-no-agent"] == 2 * N and
      after["queued"] == before["queued"],
      "agent killed (SIGKILL): drop and count again, nothing in clear",
      (len(wire), got, refused, before, after))
text = cli(cli_ns, "stats").stdout
check("queue_no_agent %d\n" % (4 * N) in text and
      "queued %d\n" % (4 * N) in text,
      "coapsec stats: queued %d, queue_no_agent %d" % (4 * N, 4 * N), text)
sa.kill()
sys.exit(k.finish())
