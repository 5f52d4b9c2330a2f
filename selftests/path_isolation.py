#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Isolation between peers, namespaces and users (issue 12 §4).

  CLI (A, 10.0.33.1) --veth0-- SRV (10.0.33.2, 10.0.34.2) --veth1-- ATK (B)

SRV holds two contexts, A's and B's.  B owns 10.0.33.1 too (on its lo)
and reaches SRV over its own link, so it can send from A's address and
port.  Then: an unprivileged user in its own user and network namespace
floods the exchange table and adds crypto transforms in a loop; and
unprivileged processes try to join the events multicast group."""
import errno
import json
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, "selftests/lib")
from genl_raw import Genl  # noqa: E402
from ktap import Ktap  # noqa: E402
from netns import coapsec, stats, udp_socket  # noqa: E402

cli_ns, srv_ns, atk_ns = sys.argv[1], sys.argv[2], sys.argv[3]
A, SRV = "10.0.33.1", "10.0.33.2"
KA = "a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0\n"
KB = "b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0\n"
PY = "/usr/bin/python3"		# readable by nobody, unlike a pyenv in /root


def request(tok):
    return bytes([0x52, 0x02, 0x00, 0x33]) + tok + b"\xb3iso\xffask"


def answer(tok):
    return bytes([0x52, 0x45, 0x00, 0x34]) + tok + b"\xffanswer for A"


coapsec(cli_ns, "context", "add", "id", 1, "secret", "-", "id-context",
        "1a", "sender-id", "0a", "recipient-id", "00", stdin=KA)
coapsec(atk_ns, "context", "add", "id", 1, "secret", "-", "id-context",
        "1b", "sender-id", "0b", "recipient-id", "00", stdin=KB)
coapsec(srv_ns, "context", "add", "id", 1, "secret", "-", "id-context",
        "1a", "sender-id", "00", "recipient-id", "0a", stdin=KA)
coapsec(srv_ns, "context", "add", "id", 2, "secret", "-", "id-context",
        "1b", "sender-id", "00", "recipient-id", "0b", stdin=KB)
for ns in (cli_ns, atk_ns):
    coapsec(ns, "policy", "add", "dir", "out", "dst", SRV, "action",
            "protect", 1)
coapsec(srv_ns, "policy", "add", "dir", "in", "family", "inet", "action",
        "require")

k = Ktap(9)
app = udp_socket(srv_ns, socket.AF_INET, SRV, 5683, timeout=2.0)


def exchange(tok, port, meddle=None):
    """A asks from @port, @meddle() runs, SRV answers: what A's socket got
    and how A's verified counter moved."""
    a = udp_socket(cli_ns, socket.AF_INET, A, port, timeout=2.0)
    a.sendto(request(tok), (SRV, 5683))
    m, peer = app.recvfrom(4096)
    if meddle:
        meddle()
    v0 = stats(cli_ns)["verified"]
    try:
        app.sendto(answer(tok), peer)
    except PermissionError:	# dropped at SRV's LOCAL_OUT
        pass
    try:
        got = a.recv(4096)
    except socket.timeout:
        got = None
    a.close()
    return m == request(tok), got, stats(cli_ns)["verified"] - v0


# --- 7. B reuses A's address, port and token -----------------------------
def spoof():
    b = udp_socket(atk_ns, socket.AF_INET, A, 40033, timeout=0.5)
    b.sendto(request(b"\x33\x07"), (SRV, 5683))
    try:		# whatever SRV does with it, A's exchange stays A's
        app.recv(4096)
    except socket.timeout:
        pass
    b.close()


sv0 = stats(srv_ns)["verified"]
ok, got, ver = exchange(b"\x33\x07", 40033, spoof)
k.diag("A's request verified %s; SRV verified +%d; A got %r, verified +%d"
       % (ok, stats(srv_ns)["verified"] - sv0, got, ver))
k.result(ok and got == answer(b"\x33\x07") and ver == 1,
         "a request verified under B's context from A's address, port and "
         "token does not take over A's exchange: A verifies the answer")

# --- 6. Events group: CAP_NET_ADMIN only ---------------------------------
JOIN = ("import sys; sys.path.insert(0, 'selftests/lib'); "
        "from genl_raw import Genl; print(Genl().join())")


def join_as(*prefix):
    r = subprocess.run(list(prefix) + [PY, "-c", JOIN], text=True,
                       capture_output=True)
    try:
        return int(r.stdout.strip())
    except ValueError:
        return "failed: %s" % r.stderr.strip()[-200:]


NOBODY = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
          "--inh-caps=-all")
r_root = join_as()
r_nobody = join_as(*NOBODY)
r_userns = join_as("unshare", "-Ur")
r_nocap = join_as("setpriv", "--inh-caps=-net_admin",
                  "--bounding-set=-net_admin")
k.diag("join events: root %s, nobody %s, root of a new user namespace %s, "
       "root without CAP_NET_ADMIN %s" % (r_root, r_nobody, r_userns,
                                          r_nocap))
# Fixed: the group's bind checks CAP_NET_ADMIN over the network
# namespace's user namespace and fails with EPERM.
k.result(r_root == 0 and r_nobody == -errno.EPERM,
         "an unprivileged user (nobody) cannot join the events group: EPERM")
k.result(r_userns == -errno.EPERM and r_nocap == -errno.EPERM,
         "root of a child user namespace, and root without CAP_NET_ADMIN, "
         "cannot join the initial namespace's events group: EPERM")

# --- 6. Exchange table: a flood in another namespace evicts nothing here -
# An unprivileged user in its own user and network namespace: a context
# and a protect policy, and 12,000 requests with distinct tokens over lo,
# each taking a client entry (the whole table held 1024 x 4 entries).
# Not two contexts talking to each other: the kernel refuses a context
# whose recipient key is another's sender key.
FLOOD = r"""
import socket, subprocess, sys
B = sys.argv[1]
def cs(*a, stdin=None):
    subprocess.run([B + "/coapsec"] + list(a), input=stdin, text=True,
                   check=True, capture_output=True)
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
k = "f100f100f100f100f100f100f100f100\n"
cs("context", "add", "id", "1", "secret", "-", "id-context", "f1",
   "sender-id", "01", "recipient-id", "02", stdin=k)
cs("policy", "add", "dir", "out", "dst", "127.0.0.1", "dport", "9",
   "action", "protect", "1")
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(12000):
    s.sendto(bytes([0x54, 0x01, (i >> 8) & 0xff, i & 0xff]) +
             i.to_bytes(4, "big") + b"\xb1x", ("127.0.0.1", 9))
out = subprocess.run([B + "/coapsec", "-j", "stats"], text=True,
                     capture_output=True).stdout
print(out)
"""

tok = b"\x33\x06"
before = (stats(cli_ns)["evictions"], stats(srv_ns)["evictions"])


flood_stats = {}


def flood():
    r = subprocess.run(list(NOBODY) + ["unshare", "-Urn", PY, "-c", FLOOD,
                                       os.environ.get("B", "build")],
                       text=True, capture_output=True)
    k.diag("flood (nobody, unshare -Urn): rc %d, stats %s %s" %
           (r.returncode, r.stdout.strip().replace("\n", " ")[:400],
            r.stderr.strip()[-300:]))
    try:
        flood_stats.update(json.loads(r.stdout))
    except ValueError:
        pass


ok, got, ver = exchange(tok, 40034, flood)
after = (stats(cli_ns)["evictions"], stats(srv_ns)["evictions"])
k.diag("after the flood: A got %r, verified +%d; evictions (CLI, SRV) "
       "%s -> %s" % (got, ver, before, after))
k.result(ok and got == answer(tok) and ver == 1,
         "an exchange outstanding during another namespace's flood of the "
         "exchange table still completes, verified")
flooded = flood_stats.get("protected", 0)
k.result(flooded >= 12000 and after == before,
         "that flood (%d requests protected) evicts none of this "
         "namespace's exchange entries" % flooded)
# The same user's stats show its own objects only (today they carry
# contexts_all_netns and policies_all_netns, counting every namespace).
k.result(flood_stats.get("contexts") == 1 and
         flood_stats.get("contexts_all_netns", 1) == 1 and
         flood_stats.get("policies_all_netns", 1) == 1,
         "stats read by an unprivileged user namespace show no other "
         "namespace's object counts")

# --- 6. Crypto transforms per user namespace are capped ------------------
# An unprivileged user adds contexts of 64 recipients (65 transforms each)
# until the kernel refuses; it must refuse, with an extack, before 100,000.
CAP = r"""
import errno, sys
sys.path.insert(0, "selftests/lib")
from genl_raw import Genl
import subprocess
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
g = Genl()
n = err = 0
msg = ""
for i in range(1, 100000 // 65 + 2):
    err, msg = g.context_new(i, b"\x00", [bytes([1, r]) for r in range(64)],
                             i.to_bytes(4, "big"))
    if err:
        break
    n += 65
print(n, err, msg.replace(" ", "_") or "-")
"""
t0 = time.time()
r = subprocess.run(list(NOBODY) + ["unshare", "-Urn", PY, "-c", CAP],
                   text=True, capture_output=True)
try:
    n, err, msg = r.stdout.split()
    n, err = int(n), int(err)
except ValueError:
    n, err, msg = -1, 0, r.stderr.strip()[-300:]
k.diag("transform loop: %d transforms added, then %s %r (%.0f s)" %
       (n, errno.errorcode.get(-err, err), msg, time.time() - t0))
# Fixed: ENOSPC (or EDQUOT) with an extack that says which limit.
k.result(err in (-errno.ENOSPC, -errno.EDQUOT) and msg != "-" and
         0 <= n < 100000,
         "an unprivileged user namespace hits a cap on crypto transforms "
         "(ENOSPC or EDQUOT, with an extack) before 100,000")
g = Genl()
e, m = g.context_new(99, b"\x63", [b"\x64"], b"\x99")
g.close()
k.diag("initial namespace CONTEXT_NEW after that: %d %r" % (e, m))
k.result(e == 0 and err != 0,
         "meanwhile the initial namespace can still add a context")

# --- 7. Root's user namespaces are tenants of their own ------------------
# A container runtime (root) makes a user namespace per container: one
# that holds its whole cap leaves another's untouched.
HOLD = CAP.replace('print(n, err, msg.replace(" ", "_") or "-")',
                   'print(n, err, msg.replace(" ", "_") or "-", flush=True)\n'
                   'sys.stdin.read()')
ONE = r"""
import sys
sys.path.insert(0, "selftests/lib")
from genl_raw import Genl
import subprocess
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
err, msg = Genl().context_new(1, b"\x00", [bytes([1, r]) for r in range(64)],
                              b"\x01")
print(err, msg.replace(" ", "_") or "-")
"""
full = subprocess.Popen(["unshare", "-Urn", PY, "-c", HOLD], text=True,
                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
first = full.stdout.readline().split()
r = subprocess.run(["unshare", "-Urn", PY, "-c", ONE], text=True,
                   capture_output=True)
full.stdin.close()
full.wait()
k.diag("container 1 at its cap: %s; container 2 adds 65 transforms: %s %s" %
       (first, r.stdout.strip(), r.stderr.strip()[-200:]))
k.result(len(first) == 3 and int(first[1]) == -errno.EDQUOT and
         r.stdout.split()[:1] == ["0"],
         "a user namespace of root's at its transform cap leaves another's "
         "free to add a context")

# The flooding namespaces are gone with their processes.
for ns in (cli_ns, srv_ns, atk_ns):
    coapsec(ns, "flush")
coapsec(None, "flush")
sys.exit(k.finish())
