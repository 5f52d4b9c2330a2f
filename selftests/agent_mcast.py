#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""CoAP group commands for selftests/agent_group.sh, run inside a netns:

  agent_mcast.py send SRC MARK FIRST N INTERVAL_MS [TAG]
      N Non-confirmable POSTs to 224.0.1.187:5683 from SRC with fwmark
      MARK, payloads "TAG command K" for K = FIRST .. FIRST+N-1
  agent_mcast.py recv SECONDS OUTFILE
      joins 224.0.1.187 on eth0, writes each payload received on 5683 as
      one line of OUTFILE, for SECONDS or until OUTFILE.stop exists
  agent_mcast.py unicast DST PAYLOAD
      one Non-confirmable POST to DST:5683
  agent_mcast.py sniff IFACE SECONDS OUTFILE  (IPv4 and IPv6 CoAP frames)
      every frame on IFACE carrying UDP port 5683, raw, into OUTFILE
  agent_mcast.py send6 SRC IFACE MARK FIRST N INTERVAL_MS [TAG]
      as send, to [ff02::fd]:5683 out of IFACE
  agent_mcast.py recv6 SECONDS OUTFILE
      as recv, for ff02::fd on eth0
  agent_mcast.py raw HEXFILE [REPEAT]
      each line of HEXFILE (a UDP payload in hex) sent as it is to
      224.0.1.187:5683 out of eth0, REPEAT times (default 1)
Receivers create OUTFILE once they listen (the caller waits for it).
"""
import os
import socket
import struct
import sys
import time

SO_MARK = 36


def post(mid, payload):
    path = b"cmd"
    return (bytes([0x51, 0x02, mid >> 8 & 0xff, mid & 0xff, 0x42]) +
            bytes([0xb0 | len(path)]) + path + b"\xff" + payload)


def payload_of(msg):
    # after the header and token: a message ID may hold 0xff
    i = msg.find(b"\xff", 4 + (msg[0] & 15)) if msg else -1
    return msg[i + 1:] if i >= 0 else b""


def sendto(s, m, dst):
    """A datagram the kernel drops on its way out (EPERM: a policy, or a
    queue without agent) is the test's business, not the sender's."""
    try:
        s.sendto(m, dst)
    except PermissionError:
        pass


cmd = sys.argv[1]
if cmd == "send":
    src, mark, first, n, ival = sys.argv[2], int(sys.argv[3]), \
        int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
    tag = sys.argv[7] if len(sys.argv) > 7 else "group"
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, SO_MARK, mark)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF,
                 socket.inet_aton(src))
    s.bind((src, 0))
    for k in range(first, first + n):
        sendto(s, post(k, b"%s command %d" % (tag.encode(), k)),
               ("224.0.1.187", 5683))
        time.sleep(ival / 1000.0)
elif cmd == "recv":
    secs, out = float(sys.argv[2]), sys.argv[3]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", 5683))
    mreq = struct.pack("4s4s", socket.inet_aton("224.0.1.187"),
                       socket.inet_aton("0.0.0.0"))
    try:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    except OSError:
        pass	# no multicast route here: unicast only
    s.settimeout(0.1)
    end = time.time() + secs
    with open(out, "w") as f:
        f.flush()
        while time.time() < end and not os.path.exists(out + ".stop"):
            try:
                m = s.recv(4096)
            except socket.timeout:
                continue
            f.write(payload_of(m).decode(errors="replace") + "\n")
            f.flush()
elif cmd == "sniff":
    iface, secs, out = sys.argv[2], float(sys.argv[3]), sys.argv[4]
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
    s.bind((iface, 0))
    s.settimeout(0.1)
    end = time.time() + secs
    with open(out, "wb") as f:
        f.flush()
        while time.time() < end:
            try:
                fr = s.recv(65535)
            except socket.timeout:
                continue
            # IPv4 or IPv6 (no extension headers), UDP, either port 5683
            if len(fr) > 42 and fr[12:14] == b"\x08\x00" and fr[23] == 17:
                udp = 14 + (fr[14] & 15) * 4
            elif len(fr) > 62 and fr[12:14] == b"\x86\xdd" and fr[20] == 17:
                udp = 54
            else:
                continue
            sp, dp = struct.unpack("!HH", fr[udp:udp + 4])
            if 5683 in (sp, dp):
                f.write(fr)
                f.flush()
elif cmd == "send6":
    src, ifname, mark, first, n, ival = sys.argv[2], sys.argv[3], \
        int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
    tag = sys.argv[8] if len(sys.argv) > 8 else "group"
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, SO_MARK, mark)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF,
                 socket.if_nametoindex(ifname))
    s.bind((src, 0))
    for k in range(first, first + n):
        sendto(s, post(k, b"%s command %d" % (tag.encode(), k)),
               ("ff02::fd", 5683, 0, socket.if_nametoindex(ifname)))
        time.sleep(ival / 1000.0)
elif cmd == "recv6":
    secs, out = float(sys.argv[2]), sys.argv[3]
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", 5683))
    mreq = socket.inet_pton(socket.AF_INET6, "ff02::fd") + \
        struct.pack("@I", socket.if_nametoindex("eth0"))
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq)
    s.settimeout(0.1)
    end = time.time() + secs
    with open(out, "w") as f:
        f.flush()
        while time.time() < end and not os.path.exists(out + ".stop"):
            try:
                m = s.recv(4096)
            except socket.timeout:
                continue
            f.write(payload_of(m).decode(errors="replace") + "\n")
            f.flush()
elif cmd == "raw":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF,
                 socket.inet_aton("0.0.0.0"))
    reps = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    with open(sys.argv[2]) as f:
        lines = [bytes.fromhex(x.strip()) for x in f if x.strip()]
    for _ in range(reps):
        for m in lines:
            s.sendto(m, ("224.0.1.187", 5683))
            time.sleep(0.01)
elif cmd == "unicast":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(post(7, sys.argv[3].encode()), (sys.argv[2], 5683))
