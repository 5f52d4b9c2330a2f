#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""(rev12s) A server context (sender ID 00, sender key S, recipient 01)
verifies the client's request (kid 01, Partial IV 0); its answer may take
that request's nonce, Common IV xor (01, 0).  Before the application
answers, the context is swapped for one that keeps S (so its sequence
number continues, and the answer goes out under it) but whose sender ID
is 01, the old recipient ID (raw keys through netlink).  Its first own
request carries (kid 01, Partial IV 0): the same nonce under the same
key and Common IV unless the module keeps them apart (or refuses the
swap).  Checked on the wire: with AES-CCM a reuse shows as
C1 xor C2 == P1 xor P2.
Case 1: one swap.  Case 2: a swap that keeps everything, then the one
that takes ID 01 (the context that verified the request is released by
then; its answer still goes out under the successor, sender_since)."""
import os
import socket
import sys

sys.path.insert(0, "selftests/lib")
from ktap import Ktap  # noqa: E402
from netns import (coapsec, genl_in, packet_socket, policy_flush,  # noqa: E402
                   stats, udp_socket)
from wire import coap_from, oscore_split  # noqa: E402

cli_ns, srv_ns = sys.argv[1], sys.argv[2]
CLI, SRV = "10.0.113.1", "10.0.113.2"


def do(g, verb, c):
    err, msg = g.op(verb, {"context": c})
    if err:
        raise RuntimeError("%s: %d %s" % (verb, err, msg))


def ctx(g, verb, sender_id, sender_key, rid, rkey, iv):
    c = {"id": 1, "alg": 10, "sender-id": sender_id,
         "sender-key": sender_key, "common-iv": iv,
         "recipient": [{"id": rid, "key": rkey}]}
    if verb == "context-swap":
        c["grace"] = 30
    do(g, verb, c)


gc, gs = genl_in(cli_ns), genl_in(srv_ns)
srv = udp_socket(srv_ns, socket.AF_INET, SRV, 5683, timeout=3.0)
srv2 = udp_socket(srv_ns, socket.AF_INET, SRV, 0, timeout=3.0)
cli = udp_socket(cli_ns, socket.AF_INET, CLI, timeout=3.0)
sn = packet_socket(cli_ns)
k = Ktap(4)
PA = b"the answer: " + b"A" * 12
PR = b"own request " + b"R" * 12


def case(n, keepers):
    """Case @n: @keepers swaps that keep everything, then the one that
    names the old recipient ID as sender ID under the kept key."""
    S, R1, R2, IV = (os.urandom(16), os.urandom(16), os.urandom(16),
                     os.urandom(13))
    ctx(gc, "context-new", b"\x01", R1, b"\x00", S, IV)
    ctx(gs, "context-new", b"\x00", S, b"\x01", R1, IV)
    coapsec(cli_ns, "policy", "add", "dir", "out", "dst", SRV, "action",
            "protect", 1)
    coapsec(srv_ns, "policy", "add", "dir", "in", "family", "inet",
            "action", "require")
    coapsec(srv_ns, "policy", "add", "dir", "out", "dst", CLI, "action",
            "protect", 1)
    tok, own = b"TK%d0" % n, b"TS%d0" % n
    # The client's request, kid 01 and Partial IV 0: verified, its
    # exchange waits for the application's answer.
    cli.sendto(b"\x54\x01\x40" + bytes([n]) + tok, (SRV, 5683))
    _, peer = srv.recvfrom(4096)
    try:
        for _ in range(keepers):
            ctx(gs, "context-swap", b"\x00", S, b"\x01", R1, IV)
        ctx(gs, "context-swap", b"\x01", S, b"\x00", R2, IV)
    except RuntimeError as e:
        k.diag("case %d: swap refused: %s" % (n, e))
        k.result(True, "case %d: swap refused" % n)
        k.result(True, "case %d: no two messages under one (key, nonce)" % n)
        cleanup()
        return
    # The successor's first own request (POST, kid 01, Partial IV 0).
    srv2.sendto(b"\x54\x02\x50" + bytes([n]) + own + b"\xff" + PR,
                (CLI, 5683))
    r = coap_from(sn, srv2.getsockname()[1], own)
    # The answer to the first request, sent now.
    try:
        srv.sendto(b"\x54\x45\x41" + bytes([n]) + tok + b"\xff" + PA,
                   peer)
        a = coap_from(sn, 5683, tok)
    except OSError as e:
        k.diag("case %d: the answer was refused: %s" % (n, e))
        a = None
    k.diag("case %d: server %s" % (n, stats(srv_ns)))
    k.result(r is not None, "case %d: the successor's own request is on "
             "the wire" % n)
    reuse = False
    if r is not None and a is not None:
        o_r, c_r = oscore_split(r)
        o_a, c_a = oscore_split(a)
        k.diag("case %d: own request's OSCORE option %s; answer's %s" %
               (n, o_r.hex(), o_a.hex() if o_a is not None else None))
        p_r, p_a = b"\x02\xff" + PR, b"\x45\xff" + PA
        m = min(len(p_r), len(p_a))
        reuse = (not o_a and
                 bytes(x ^ y for x, y in zip(c_r, c_a))[:m] ==
                 bytes(x ^ y for x, y in zip(p_r, p_a))[:m])
    else:
        k.diag("case %d: answer on the wire: %s" % (n, a is not None))
    k.result(not reuse,
             "case %d: the answer and the successor's own request were not "
             "protected with one (key, nonce) (keystream shared: %s)" %
             (n, reuse))
    cleanup()


def cleanup():
    for ns, g in ((cli_ns, gc), (srv_ns, gs)):
        policy_flush(ns)
        do(g, "context-del", {"id": 1})


case(1, 0)
case(2, 1)
sys.exit(k.finish())
