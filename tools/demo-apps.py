#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The fire-alarm demonstration's applications (tools/demo), each run in
its own network namespace.  They are plain CoAP applications: they know
nothing of OSCORE, keys or groups; coapsec protects and verifies their
messages in the kernel.

  demo-apps.py alert SRC DST TEXT
      the fire sensor: one Non-confirmable POST /alarm to DST:5683
  demo-apps.py gateway ADDR SECONDS
      the gateway's application: waits on ADDR:5683 for an alarm, then
      broadcasts POST /door "unlock" (fwmark 2: group 2, door controllers)
      and POST /extinguisher "activate" (fwmark 3: group 3) to
      224.0.1.187:5683
  demo-apps.py device NAME SECONDS LOG
      a door controller or extinguisher: joins 224.0.1.187, and for each
      command it gets, says what it does; one line per command in LOG
  demo-apps.py raw HEXFILE
      the compromised door controller: each line of HEXFILE (a message
      made by selftests/sgroup_tool, already protected) sent as it is to
      224.0.1.187:5683
"""
import socket
import struct
import sys
import time

SO_MARK = 36
GROUP = "224.0.1.187"


def post(mid, path, payload):
    p = path.encode()
    return (bytes([0x51, 0x02, mid >> 8 & 0xff, mid & 0xff, mid & 0xff]) +
            bytes([0xb0 | len(p)]) + p + b"\xff" + payload.encode())


def parse(msg):
    """(Uri-Path, payload) of a plain CoAP message, enough for this demo."""
    tkl = msg[0] & 0x0f
    i, num, path = 4 + tkl, 0, []
    while i < len(msg) and msg[i] != 0xff:
        delta, length = msg[i] >> 4, msg[i] & 0x0f
        i += 1
        if delta == 13:
            delta = msg[i] + 13
            i += 1
        if length == 13:
            length = msg[i] + 13
            i += 1
        num += delta
        if num == 11:
            path.append(msg[i:i + length].decode(errors="replace"))
        i += length
    payload = msg[i + 1:] if i < len(msg) else b""
    return "/".join(path), payload.decode(errors="replace")


def listener(addr, join=False, seconds=10.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, 5683))
    if join:
        mreq = struct.pack("4s4s", socket.inet_aton(GROUP),
                           socket.inet_aton("0.0.0.0"))
        try:
            s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
        except OSError:
            pass	# no multicast route (the server): unicast only
    s.settimeout(seconds)
    return s


cmd = sys.argv[1]
if cmd == "alert":
    src, dst, text = sys.argv[2:5]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.sendto(post(0x4a1, "alarm", text), (dst, 5683))
elif cmd == "gateway":
    addr, seconds = sys.argv[2], float(sys.argv[3])
    s = listener(addr, seconds=seconds)
    try:
        msg, peer = s.recvfrom(4096)
    except socket.timeout:
        print("   [gateway app] no alarm came")
        sys.exit(1)
    path, text = parse(msg)
    print("   [gateway app] got POST /%s \"%s\" from %s, in clear: the agent "
          "verified its signature under group 1" % (path, text, peer[0]),
          flush=True)
    for mark, path, what in ((2, "door", "unlock"),
                             (3, "extinguisher", "activate")):
        t = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        t.setsockopt(socket.SOL_SOCKET, SO_MARK, mark)
        t.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF,
                     socket.inet_aton(addr))
        t.bind((addr, 0))
        t.sendto(post(0x500 + mark, path, what), (GROUP, 5683))
        print("   [gateway app] POST /%s \"%s\" to %s (group %d)" %
              (path, what, GROUP, mark), flush=True)
elif cmd == "raw":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with open(sys.argv[2]) as f:
        for line in f:
            if line.strip():
                s.sendto(bytes.fromhex(line.strip()), (GROUP, 5683))
elif cmd == "device":
    name, seconds, log = sys.argv[2], float(sys.argv[3]), sys.argv[4]
    s = listener("0.0.0.0", join=True, seconds=0.1)
    end = time.time() + seconds
    with open(log, "w") as f:
        while time.time() < end:
            try:
                msg = s.recv(4096)
            except socket.timeout:
                continue
            path, text = parse(msg)
            act = {"unlock": "unlocking the fire door",
                   "activate": "releasing the extinguishing agent"}.get(
                       text, "ignoring it")
            f.write("%s: POST /%s \"%s\" -> %s\n" % (name, path, text, act))
            f.flush()
