# SPDX-License-Identifier: GPL-2.0
"""Raw generic netlink to the coapsec family, for selftests that must reach
the kernel past the CLI's own checks: requests built attribute by
attribute, the error and extack message of the ACK, multicast joins.
Attribute numbers follow uapi/linux/coapsec.h."""
import errno
import os
import socket
import struct

NETLINK_GENERIC = 16
SOL_NETLINK = 270
NETLINK_ADD_MEMBERSHIP = 1
NETLINK_EXT_ACK = 11
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NLMSG_ERROR = 2
NLM_F_ACK_TLVS = 0x200
NLMSGERR_ATTR_MSG = 1
NLA_F_NESTED = 0x8000
GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME = 1, 2
CTRL_ATTR_MCAST_GROUPS = 7
CTRL_ATTR_MCAST_GRP_NAME, CTRL_ATTR_MCAST_GRP_ID = 1, 2

# uapi/linux/coapsec.h
CMD_CONTEXT_NEW = 2
A_CONTEXT = 2
A_CONTEXT_ID, A_CONTEXT_ALG, A_CONTEXT_SENDER_ID = 2, 3, 4
A_CONTEXT_SENDER_KEY, A_CONTEXT_COMMON_IV = 5, 6
A_CONTEXT_ID_CONTEXT, A_CONTEXT_RECIPIENT = 7, 8
A_RECIPIENT_ID, A_RECIPIENT_KEY = 1, 2
ALG_AES_CCM_16_64_128 = 10


def attr(t, payload):
    n = 4 + len(payload)
    return struct.pack("=HH", n, t) + payload + b"\0" * ((4 - n % 4) % 4)


def nest(t, *attrs):
    return attr(t | NLA_F_NESTED, b"".join(attrs))


def u32(t, v):
    return attr(t, struct.pack("=I", v))


def parse_attrs(buf):
    out = {}
    while len(buf) >= 4:
        n, t = struct.unpack_from("=HH", buf)
        if n < 4:
            break
        out.setdefault(t & 0x3fff, []).append(buf[4:n])
        buf = buf[(n + 3) & ~3:]
    return out


class Genl:
    def __init__(self, family="coapsec"):
        self.s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW,
                               NETLINK_GENERIC)
        self.s.bind((0, 0))
        self.s.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        self.seq = 1
        err, msg, attrs = self.request(GENL_ID_CTRL, CTRL_CMD_GETFAMILY,
                                       attr(CTRL_ATTR_FAMILY_NAME,
                                            family.encode() + b"\0"),
                                       ack=False)
        if err:
            raise OSError(-err, "family %s: %s" % (family, msg))
        self.family = struct.unpack("=H", attrs[CTRL_ATTR_FAMILY_ID][0])[0]
        self.groups = {}
        for g in parse_attrs(attrs.get(CTRL_ATTR_MCAST_GROUPS,
                                       [b""])[0]).values():
            ga = parse_attrs(g[0])
            self.groups[ga[CTRL_ATTR_MCAST_GRP_NAME][0].rstrip(b"\0")
                        .decode()] = \
                struct.unpack("=I", ga[CTRL_ATTR_MCAST_GRP_ID][0])[0]

    def request(self, typ, cmd, payload, ack=True):
        """(-errno or 0, extack message or "", reply attributes)."""
        self.seq += 1
        flags = NLM_F_REQUEST | (NLM_F_ACK if ack else 0)
        body = struct.pack("=BBH", cmd, 1, 0) + payload
        self.s.send(struct.pack("=IHHII", 16 + len(body), typ, flags,
                                self.seq, 0) + body)
        attrs = {}
        while True:
            data = self.s.recv(65536)
            while len(data) >= 16:
                n, t, f, seq, _ = struct.unpack_from("=IHHII", data)
                m, data = data[:n], data[(n + 3) & ~3:]
                if t == NLMSG_ERROR:
                    err = struct.unpack_from("=i", m, 16)[0]
                    text = ""
                    if f & NLM_F_ACK_TLVS:
                        inner = struct.unpack_from("=I", m, 20)[0]
                        skip = 16 if f & 0x100 else inner  # NLM_F_CAPPED
                        tl = parse_attrs(m[20 + skip:])
                        if NLMSGERR_ATTR_MSG in tl:
                            text = tl[NLMSGERR_ATTR_MSG][0].rstrip(b"\0") \
                                .decode()
                    return err, text, attrs
                attrs = parse_attrs(m[20:])
                if not ack:
                    return 0, "", attrs

    def context_new(self, ctx_id, sender_id, recipient_ids,
                    id_context=b""):
        """CONTEXT_NEW with throwaway keys: (-errno or 0, extack)."""
        key, iv = os.urandom(16), os.urandom(13)
        rcps = [nest(A_CONTEXT_RECIPIENT, attr(A_RECIPIENT_ID, r),
                     attr(A_RECIPIENT_KEY, os.urandom(16)))
                for r in recipient_ids]
        parts = [u32(A_CONTEXT_ALG, ALG_AES_CCM_16_64_128),
                 attr(A_CONTEXT_SENDER_ID, sender_id),
                 attr(A_CONTEXT_SENDER_KEY, key),
                 attr(A_CONTEXT_COMMON_IV, iv)] + rcps
        if ctx_id:
            parts.insert(0, u32(A_CONTEXT_ID, ctx_id))
        if id_context:
            parts.append(attr(A_CONTEXT_ID_CONTEXT, id_context))
        err, msg, _ = self.request(self.family, CMD_CONTEXT_NEW,
                                   nest(A_CONTEXT, *parts))
        return err, msg

    def join(self, group="events"):
        """Joins a multicast group: 0 or -errno."""
        try:
            self.s.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
                              self.groups[group])
            return 0
        except OSError as e:
            return -e.errno

    def close(self):
        self.s.close()


__all__ = ["Genl", "errno"]
