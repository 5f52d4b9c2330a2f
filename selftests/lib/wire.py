# SPDX-License-Identifier: GPL-2.0
"""CoAP messages as they cross the wire, for the packet path selftests:
IPv4 UDP datagrams read from a packet socket (netns.packet_socket()), and
the OSCORE option and payload of a message; the watchers a shell test
starts in one namespace before it sends from another (watch())."""
import select
import socket
import time


def sniff(sn, match, timeout=2.0):
    """The CoAP message of the first IPv4 UDP datagram on packet socket @sn
    for which @match(source port, destination port, message) holds, within
    @timeout seconds; None if none came."""
    end = time.time() + timeout
    while time.time() < end:
        try:
            f = sn.recv(65535)
        except BlockingIOError:
            time.sleep(0.005)
            continue
        if f[12:14] != b"\x08\x00" or f[23] != 17:
            continue
        u = f[14 + (f[14] & 0xf) * 4:]
        m = u[8:int.from_bytes(u[4:6], "big")]
        if match(int.from_bytes(u[0:2], "big"),
                 int.from_bytes(u[2:4], "big"), m):
            return m
    return None


def coap_from(sn, src_port, token, wait=2.0):
    """The first CoAP message on packet socket @sn from UDP port @src_port
    with @token, within @wait seconds; None if none came."""
    return sniff(sn, lambda sport, dport, m: sport == src_port and
                 token_of(m) == token, wait)


def token_of(m):
    return m[4:4 + (m[0] & 0x0f)]


def oscore_split(m):
    """(OSCORE option value or None, payload) of CoAP message @m."""
    pos, num, osc = 4 + (m[0] & 0x0f), 0, None
    while pos < len(m) and m[pos] != 0xff:
        d, ln = m[pos] >> 4, m[pos] & 0x0f
        pos += 1
        ext = []
        for v in (d, ln):
            if v == 13:
                ext.append(m[pos] + 13)
                pos += 1
            elif v == 14:
                ext.append(int.from_bytes(m[pos:pos + 2], "big") + 269)
                pos += 2
            else:
                ext.append(v)
        num += ext[0]
        if num == 9:
            osc = m[pos:pos + ext[1]]
        pos += ext[1]
    return osc, m[pos + 1:]


def received(sock):
    """Whether socket @sock got a datagram within its timeout."""
    try:
        sock.recv(4096)
        return True
    except OSError:
        return False


def delivered_again(m, atk, dst, app):
    """Sends captured message @m again from socket @atk to @dst: whether
    socket @app got a datagram within its timeout (False without @m)."""
    if m is None:
        return False
    atk.sendto(m, dst)
    return received(app)


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
