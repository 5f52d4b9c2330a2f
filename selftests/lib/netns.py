# SPDX-License-Identifier: GPL-2.0
"""Helpers for the packet path selftests: sockets in other network
namespaces (setns on this thread), the coapsec CLI.  KTAP output is
selftests/lib/ktap.py."""
import ctypes
import os
import socket
import subprocess

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)
_root = os.open("/proc/self/ns/net", os.O_RDONLY)
B = os.environ.get("B", "build")


def enter(ns):
    """Switches this thread to netns @ns (None: the initial one)."""
    fd = _root if ns is None else os.open("/run/netns/" + ns, os.O_RDONLY)
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "setns " + str(ns))
    if fd != _root:
        os.close(fd)


def udp_socket(ns, family, addr, port=0, timeout=3.0):
    """A UDP socket created (and so living) in netns @ns."""
    enter(ns)
    try:
        s = socket.socket(family, socket.SOCK_DGRAM)
        if family == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((addr, port))
        s.settimeout(timeout)
        return s
    finally:
        enter(None)


def packet_socket(ns, ifname="veth0"):
    """A non-blocking AF_PACKET socket that sees every frame on @ifname in
    netns @ns, both directions."""
    enter(ns)
    try:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                          socket.htons(0x0003))
        s.bind((ifname, 0x0003))
    finally:
        enter(None)
    s.setblocking(False)
    return s


def cli(ns, *args, stdin=None):
    """Runs the coapsec CLI in @ns; its CompletedProcess (text)."""
    enter(ns)
    try:
        return subprocess.run([B + "/coapsec"] + [str(a) for a in args],
                              input=stdin, text=True, capture_output=True)
    finally:
        enter(None)


def coapsec(ns, *args, stdin=None, check=True):
    """Runs the coapsec CLI in @ns; its stdout."""
    r = cli(ns, *args, stdin=stdin)
    if check and r.returncode:
        raise RuntimeError("coapsec %s: %s" % (" ".join(map(str, args)),
                                               r.stderr.strip()))
    return r.stdout


def coap_flood(sock, dst, cpu, seconds=120):
    """Forks a process that sends non-confirmable GET requests, a new token
    each, from UDP socket @sock to @dst as fast as it can, from CPU @cpu
    only (so that they arrive in order), for up to @seconds; its pid (kill
    it and wait for it)."""
    import os
    import time
    pid = os.fork()
    if pid:
        return pid
    os.sched_setaffinity(0, {cpu})
    end = time.monotonic() + seconds
    i = 0
    while time.monotonic() < end:
        i += 1
        tok = (i & 0xffffffff).to_bytes(4, "big")
        try:
            sock.sendto(b"\x54\x01\x00\x01" + tok + b"\xb4test", dst)
        except OSError:
            pass
    os._exit(0)


def policy_flush(ns):
    """Deletes every policy in @ns (the CLI deletes them one by one)."""
    import json
    for p in json.loads(coapsec(ns, "-j", "policy", "show")):
        coapsec(ns, "policy", "del", p["id"])


def stats(ns):
    import json
    return json.loads(coapsec(ns, "-j", "stats"))


def sent_and_seen(ns, send, rx):
    """Calls @send(), then reads one datagram from socket @rx.  Returns
    (the datagram or None at @rx's timeout, the counters of @ns that
    changed meanwhile, by how much)."""
    import socket
    before = stats(ns)
    send()
    try:
        got = rx.recv(4096)
    except socket.timeout:
        got = None
    after = stats(ns)
    return got, {c: after[c] - before[c] for c in after
                 if isinstance(after[c], int) and after[c] != before[c]}


class Monitor:
    """`coapsec -j monitor count @count timeout @timeout` in @ns, from now."""

    def __init__(self, ns, count, timeout):
        self.timeout = timeout
        enter(ns)
        try:
            self.p = subprocess.Popen([B + "/coapsec", "-j", "monitor",
                                       "count", str(count),
                                       "timeout", str(timeout)],
                                      stdout=subprocess.PIPE, text=True)
        finally:
            enter(None)

    def events(self):
        """The events it printed, once it has ended (killed at its own
        timeout if it has not)."""
        import json
        try:
            out, _ = self.p.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            out, _ = self.p.communicate()
        return [json.loads(line) for line in out.splitlines() if line.strip()]


def genl_in(ns):
    """A generic netlink socket (genl_raw.Genl) living in @ns."""
    from genl_raw import Genl
    enter(ns)
    try:
        return Genl()
    finally:
        enter(None)
