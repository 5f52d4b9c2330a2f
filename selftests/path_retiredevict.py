#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""(rev12r) Within one boot, keys deleted and added again continue
their sequence and refuse what their windows accepted, from what the
namespace remembers of retired keys (retired.c).  That memory keeps
COAPSEC_RETIRED_MAX (65,536) entries and drops the oldest first: one per
sender key and one per recipient window that accepted anything, noted
each time a context is deleted, expires or ends its grace period (a
rekey of a group of 8,192 members that answered notes up to 8,193).  After
that many other retirements, the same keys come back with their sequence
at seq-start (0: nonces used again) and a fresh window (replays pass).
The server's context is deleted, 65,600 other contexts are added and
flushed (selftests/ctxchurn), and the context is added again."""
import json
import os
import socket
import subprocess
import sys

sys.path.insert(0, "selftests/lib")
from ktap import Ktap  # noqa: E402
from netns import coapsec, enter, packet_socket, policy_flush, stats, \
    udp_socket  # noqa: E402
from wire import received, sniff, token_of  # noqa: E402

cli_ns, srv_ns = sys.argv[1], sys.argv[2]
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


def delivered():
    return received(app)


k = Ktap(5)
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

# Deleted and added again: the namespace remembers.
policy_flush(srv_ns)
coapsec(srv_ns, "context", "del", 1)
srv_ctx()
srv_policies()
atk.sendto(m0, (SRV, 5683))
again = delivered()
seq1 = srv_seq()
k.result(seq1 >= seq0 and not again,
         "deleted and added again: sequence at %s, the replay refused" % seq1)

# Deleted, then 65,600 other keys retired in the namespace.
policy_flush(srv_ns)
coapsec(srv_ns, "context", "del", 1)
enter(srv_ns)
try:
    r = subprocess.run([B + "/selftests/ctxchurn", "0x10000000", "65600",
                        "8200"], capture_output=True, text=True)
finally:
    enter(None)
print(r.stdout.strip())
k.result(r.returncode == 0, "65,600 other contexts added and flushed (%s)" %
         r.stderr.strip())
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
sys.exit(k.finish())
