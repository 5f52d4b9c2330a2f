# SPDX-License-Identifier: GPL-2.0
"""Frames seen on one interface for a fixed time: the watchers a test
starts in one namespace before it sends from another."""
import select
import socket
import time


def watch(dev, ethertype, seconds, ready, outgoing=False):
    """Yields each frame of @ethertype arriving on @dev for @seconds (and
    those leaving it too if @outgoing).  Creates the file @ready once the
    socket is bound: the sender waits for it (wait_files in lib.sh)."""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                      socket.htons(ethertype))
    s.bind((dev, ethertype))
    open(ready, "w").close()
    end = time.time() + seconds
    while time.time() < end:
        if not select.select([s], [], [], 0.2)[0]:
            continue
        f, addr = s.recvfrom(65535)
        if outgoing or addr[2] != socket.PACKET_OUTGOING:
            yield f


def ipv4_udp_to(f, daddr):
    """The IPv4 header of Ethernet frame @f if it carries UDP (or a
    fragment of it) to dotted @daddr, else None."""
    ip = f[14:]
    if f[12:14] != b"\x08\x00" or ip[9] != socket.IPPROTO_UDP or \
            ip[16:20] != socket.inet_aton(daddr):
        return None
    return ip
