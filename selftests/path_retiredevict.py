#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""(rev12r) Within one boot, keys deleted and added again continue
their sequence and refuse what their windows accepted, from what the
namespace remembers of retired keys (retired.c): one memory per sender
key and one per recipient window that accepted anything.  That memory is
bounded (module parameter retired_keys) and used to drop the oldest
memories when full: after that many other retirements the same keys came
back with their sequence at seq-start (0: nonces used again) and a fresh
window (replays passed).  Now nothing is forgotten: a context whose
material would not fit is refused (ENOSPC), a key remembered is added
again in place, and only an explicit `flush --forget-retired` (as a
reboot: a new instance-id) empties it.  `coapsec stats` shows the
memory (retired_keys), the places live contexts hold in it
(retired_reserved) and the bound (retired_keys_max): exact figures at
each step.

The server's context is deleted, more other contexts than the memory
holds are added and flushed (selftests/ctxchurn), and the context is
added again.  retired_keys is set to 16 for the run (the module is
unloaded after it); with COAPSEC_LONG=1 to 65,536, or with a module
without the parameter (whose memory kept 65,536), 65,600 contexts are
churned through (4-7 minutes under TCG)."""
import json
import os
import socket
import subprocess
import sys

sys.path.insert(0, "selftests/lib")
from ktap import Ktap  # noqa: E402
from netns import cli as run_cli, coapsec, enter, packet_socket, \
    policy_flush, stats, udp_socket  # noqa: E402
from wire import received, sniff, token_of  # noqa: E402

cli_ns, srv_ns = sys.argv[1], sys.argv[2]
PARAM = "/sys/module/coapsec/parameters/retired_keys"
LONG = os.environ.get("COAPSEC_LONG") or not os.path.exists(PARAM)
if os.path.exists(PARAM):
    with open(PARAM, "w") as f:
        f.write("65536\n" if LONG else "16\n")
CHURN = 65600 if LONG else 40
MAX = None
if os.path.exists(PARAM):
    with open(PARAM) as f:
        MAX = int(f.read())
CLI, SRV = "10.0.64.1", "10.0.64.2"
B = os.environ.get("B", "build")
K = "4d" * 16 + "\n"


def srv_ctx():
    coapsec(srv_ns, "context", "add", "id", 1, "secret", "-", "id-context",
            "6464", "sender-id", "00", "recipient-id", "01", stdin=K)


def srv_policies():
    coapsec(srv_ns, "policy", "add", "dir", "in", "family", "inet",
            "action", "require")
    coapsec(srv_ns, "policy", "add", "dir", "out", "dst", CLI, "action",
            "protect", 1)


def srv_seq():
    return json.loads(coapsec(srv_ns, "-j", "context", "show", 1))[0]["seq"]


coapsec(cli_ns, "context", "add", "id", 1, "secret", "-", "id-context",
        "6464", "sender-id", "01", "recipient-id", "00", stdin=K)
coapsec(cli_ns, "policy", "add", "dir", "out", "dst", SRV, "action",
        "protect", 1)
srv_ctx()
srv_policies()

app = udp_socket(srv_ns, socket.AF_INET, SRV, 5683, timeout=1.0)
own = udp_socket(srv_ns, socket.AF_INET, SRV, 40000, timeout=1.0)
cli = udp_socket(cli_ns, socket.AF_INET, CLI)
atk = udp_socket(cli_ns, socket.AF_INET, CLI)
sn = packet_socket(cli_ns)


def wire(token):
    return sniff(sn, lambda sp, dp, m: dp == 5683 and token_of(m) == token)


def churn(first, n, batch):
    enter(srv_ns)
    try:
        return subprocess.run([B + "/selftests/ctxchurn", hex(first), str(n),
                               str(batch)], capture_output=True, text=True)
    finally:
        enter(None)


def delivered():
    return received(app)


def retired():
    """[retired_keys, retired_reserved, retired_keys_max] of the server."""
    s = stats(srv_ns)
    return [s.get(n) for n in ("retired_keys", "retired_reserved",
                               "retired_keys_max")]


k = Ktap(10)
# The client's requests (Partial IVs 0..2), one captured; the server's own
# requests (Partial IVs 0..2).
tokens = [b"EV%02d" % i for i in range(3)]
ok = True
for t in tokens:
    cli.sendto(bytes([0x54, 0x02, 0x71, t[-1]]) + t + b"\xffgo", (SRV, 5683))
    ok = delivered() and ok
    own.sendto(bytes([0x54, 0x02, 0x72, t[-1]]) + t + b"\xffown", (CLI, 5683))
m0 = wire(tokens[0])
seq0 = srv_seq()
k.result(ok and m0 is not None and seq0 == 3,
         "requests delivered; the server's own sequence is at %s" % seq0)

# Deleted and added again: the namespace remembers.  Its sender key and
# recipient hold 2 places, remembered once it is gone, in place when it
# is added again.
r0 = retired()
policy_flush(srv_ns)
coapsec(srv_ns, "context", "del", 1)
r1 = retired()
srv_ctx()
srv_policies()
r2 = retired()
k.result(r0 == [0, 2, MAX] and r1 == [2, 0, MAX] and r2 == [2, 0, MAX],
         "stats [retired_keys, retired_reserved, retired_keys_max]: "
         "%s live, %s deleted, %s added again (retired_keys %s)" %
         (r0, r1, r2, MAX))
atk.sendto(m0, (SRV, 5683))
again = delivered()
seq1 = srv_seq()
k.result(seq1 >= seq0 and not again,
         "deleted and added again: sequence at %s, the replay refused" % seq1)

# Deleted, then more other keys retired in the namespace than it
# remembers: the churn is refused once the memory is full.
policy_flush(srv_ns)
coapsec(srv_ns, "context", "del", 1)
# One context at a time, each flushed at once: it fills the memory to the
# last place (batches leave the places their live contexts reserved).
r = churn(0x10000000, CHURN, 1 if CHURN < 1000 else 8200)
print(r.stdout.strip())
full = "memory of retired keys is full" in r.stderr
k.result(r.returncode == 0 or full,
         "%d other contexts added and flushed, or refused once the memory "
         "was full (%s)" % (CHURN, r.stderr.strip()))
srv_ctx()
srv_policies()
seq2 = srv_seq()
k.diag("server %s" % stats(srv_ns))
k.result(seq2 >= seq0,
         "added again after other retirements: the sequence continues "
         "(at %s; %s before)" % (seq2, seq0))
atk.sendto(m0, (SRV, 5683))
again = delivered()
k.result(not again,
         "added again after other retirements: a request it accepted "
         "before is refused (delivered: %s)" % again)

# Full: a context with a new key is refused, saying why.
if CHURN >= 1000:
    churn(0x20000000, 20000, 1)
NEW = "5e" * 16 + "\n"
r = run_cli(srv_ns, "context", "add", "id", 7, "secret", "-", "id-context",
            "77", "sender-id", "00", "recipient-id", "01", stdin=NEW)
k.result(r.returncode != 0 and "retired keys is full" in r.stderr,
         "memory full: a context with a new key is refused (%s)" %
         (r.stderr.strip() or "added"))
# Every place taken by a memory; context 1's keys are among them.
at_full = retired()
text = run_cli(srv_ns, "stats").stdout
k.result(at_full == [MAX, 0, MAX] and
         "retired_keys %s\nretired_reserved 0\nretired_keys_max %s\n" %
         (MAX, MAX) in text,
         "memory full: stats say retired_keys %s of retired_keys_max %s, "
         "nothing reserved, in -j (%s) and in text" % (MAX, MAX, at_full))

# Forgotten on request, as a reboot would: a new instance-id, room again.
iid = json.loads(coapsec(srv_ns, "-j", "features"))["instance_id"]
r = run_cli(srv_ns, "flush", "--forget-retired")
iid2 = json.loads(coapsec(srv_ns, "-j", "features"))["instance_id"]
r2 = run_cli(srv_ns, "context", "add", "id", 7, "secret", "-",
             "id-context", "77", "sender-id", "00", "recipient-id", "01",
             stdin=NEW)
k.result(r.returncode == 0 and iid2 != iid and r2.returncode == 0,
         "flush --forget-retired: instance-id %s -> %s, a new context added "
         "(%s)" % (iid, iid2, (r.stderr + r2.stderr).strip()))
forgot = retired()
k.result(forgot == [0, 2, MAX],
         "forgotten: stats say retired_keys 0, the new context's 2 places "
         "reserved (%s)" % forgot)
sys.exit(k.finish())
