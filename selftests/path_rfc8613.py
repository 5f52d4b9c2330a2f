#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""RFC 8613 Appendix C bit-exact through the kernel: with the C.1 (C.2,
C.3) client context installed at sequence number 20 in netns CLI, the C.4
(C.5, C.6) unprotected request sent from a plain UDP socket arrives in
netns SRV as exactly the protected payload, and the C.7 (C.8) protected
response sent back is delivered to the socket as exactly the unprotected
bytes.  IPv4 and IPv6.

With a third argument, the context lives in that gateway namespace
instead, which protects on FORWARD for the plain client.  Addresses come
from $ADDR4 and $ADDR6 ("client server") if set.

The vectors reuse one key and sequence number, which the module allows
once per namespace: a context made again with the same keys continues
where the last one stopped (one nonce, one message).  So each namespace
runs the cases of $VEC_CASES ("inet:C.4/C.7 inet:C.5 ...", default: the
IPv4 cases that fit one namespace), and the caller runs the rest in fresh
namespaces.  Last, the C.4 context is made again at sequence number 20:
its request must not repeat the vector's nonce."""
import json
import os
import socket
import sys

sys.path.insert(0, "selftests/lib")
from ktap import Ktap  # noqa: E402
from netns import coapsec, stats, udp_socket  # noqa: E402


def coapsec_seq(ns):
    return json.loads(coapsec(ns, "-j", "context", "show", 1))[0]["seq"]

cli_ns, srv_ns = sys.argv[1], sys.argv[2]
ctx_ns = sys.argv[3] if len(sys.argv) > 3 else cli_ns
direction = "fwd" if ctx_ns != cli_ns else "out"
vec = json.load(open("selftests/vectors/rfc8613.json"))
msgs, ctxs = vec["messages"], vec["contexts"]
ADDR = {socket.AF_INET: tuple(os.environ.get("ADDR4",
                                             "10.0.7.1 10.0.7.2").split()),
        socket.AF_INET6: tuple(os.environ.get("ADDR6",
                                              "fd07::1 fd07::2").split())}
FAM = {socket.AF_INET: "inet", socket.AF_INET6: "inet6"}


def install(cname, family):
    c = ctxs[cname]
    coapsec(ctx_ns, "flush")
    args = ["context", "add", "id", 1, "alg", 10, "secret", "-",
            "sender-id", c["client"]["sender_id"],
            "recipient-id", c["client"]["recipient_id"], "seq-start", 20]
    if c["master_salt"]:
        args += ["salt", c["master_salt"]]
    if c["id_context"]:
        args += ["id-context", c["id_context"]]
    else:
        args += ["no-kid-context"]
    coapsec(ctx_ns, *args, stdin=c["master_secret"] + "\n")
    coapsec(ctx_ns, "policy", "add", "dir", direction, "family", FAM[family],
            "dst", ADDR[family][1], "action", "protect", 1)


def exchange(req, resp, family):
    """Sends C.x request; returns (what the server got, what the client
    got back) for the response vector @resp (None: no response)."""
    caddr, saddr = ADDR[family]
    srv = udp_socket(srv_ns, family, saddr, 5683)
    cli = udp_socket(cli_ns, family, caddr)
    try:
        cli.sendto(bytes.fromhex(msgs[req]["unprotected"]), (saddr, 5683))
        got, peer = srv.recvfrom(4096)
        back = None
        if resp:
            srv.sendto(bytes.fromhex(msgs[resp]["protected"]), peer)
            back = cli.recv(4096)
        return got, back
    except socket.timeout:
        return None, None
    finally:
        srv.close()
        cli.close()


FAMILY = {"inet": socket.AF_INET, "inet6": socket.AF_INET6}
cases = []
for spec in os.environ.get("VEC_CASES",
                           "inet:C.4/C.7 inet:C.5 inet:C.6").split():
    fam, _, pair = spec.partition(":")
    req, _, resp = pair.partition("/")
    cases.append((FAMILY[fam], req, resp or None))
k = Ktap(sum(2 if r else 1 for _, _, r in cases) + 2)
if True:
    for family, req, resp in cases:
        install(msgs[req]["context"], family)
        got, back = exchange(req, resp, family)
        want = bytes.fromhex(msgs[req]["protected"])
        if got != want:
            k.diag("got  %s\nwant %s" % (got.hex() if got else None,
                                           want.hex()))
        k.result(got == want, "%s %s %s request leaves protected bit-exact"
                 % (FAM[family], direction, req))
        if resp:
            want = bytes.fromhex(msgs[resp]["unprotected"])
            if back != want:
                k.diag("got  %s\nwant %s" % (back.hex() if back else None,
                                               want.hex()))
            k.result(back == want, "%s %s %s response delivered "
                     "unprotected bit-exact" % (FAM[family], direction, resp))
s = stats(ctx_ns)
k.diag(json.dumps(s))
k.result(s["auth_failures"] == 0 and s["malformed"] == 0,
         "no authentication failure or malformed message counted")

# The C.4 keys again, at sequence number 20 again: not the same nonce.
family, req, _ = cases[0]
install(msgs[req]["context"], family)
got, _ = exchange(req, None, family)
want = bytes.fromhex(msgs[req]["protected"])
k.diag("again: %s" % (got.hex() if got else None))
k.result(got is not None and got != want and
         coapsec_seq(ctx_ns) > 21,
         "%s context made again with the same keys at seq-start 20 does not "
         "send the vector's nonce again" % req)
coapsec(ctx_ns, "flush")
sys.exit(k.finish())
