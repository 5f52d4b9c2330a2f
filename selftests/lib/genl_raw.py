# SPDX-License-Identifier: GPL-2.0
"""Raw generic netlink to the coapsec family, for selftests that must reach
the kernel past the CLI's own checks: requests built attribute by
attribute, the error and extack message of the ACK, multicast joins.
The family's command and attribute numbers and types come from its spec,
uapi/coapsec.yaml (Spec), never from a copy of the C header."""
import errno
import os
import socket
import struct

import yaml

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

SPEC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                    "uapi", "coapsec.yaml")
FMT = {"u8": "=B", "u16": "=H", "u32": "=I", "u64": "=Q"}
# A COSE algorithm (RFC 9053), not a number of the family's.
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


class Spec:
    """The family as uapi/coapsec.yaml describes it: command and attribute
    numbers, and messages encoded and decoded by attribute name."""

    def __init__(self, path=SPEC):
        with open(path) as f:
            self.y = yaml.safe_load(f)
        self.sets = {s["name"]: s for s in self.y["attribute-sets"]}
        self.ops = {op["name"]: op for op in self.y["operations"]["list"]}
        self.cmd = {op["name"]: i for i, op in
                    enumerate(self.y["operations"]["list"], 1)}
        self.enums = {d["name"]: d for d in self.y.get("definitions", [])}

    def base(self, sname):
        return self.sets[sname].get("subset-of") or sname

    def attr(self, sname, aname):
        """(number, merged attribute) of @aname in set @sname."""
        s = self.sets[sname]
        mine = next(a for a in s["attributes"] if a["name"] == aname)
        if s.get("subset-of"):
            num, a = self.attr(s["subset-of"], aname)
            a = dict(a, **mine)
            return num, a
        return s["attributes"].index(mine) + 1, dict(mine)

    def enum(self, name, entry):
        d = self.enums[name]
        names = [e["name"] if isinstance(e, dict) else e
                 for e in d["entries"]]
        return d.get("value-start", 0) + names.index(entry)

    def encode(self, sname, obj):
        out = b""
        for aname, value in obj.items():
            num, a = self.attr(sname, aname)
            values = value if a.get("multi-attr") else [value]
            for v in values:
                t = a["type"]
                if t == "nest":
                    out += nest(num, self.encode(
                        a["nested-attributes"], v))
                elif t in FMT:
                    out += attr(num, struct.pack(FMT[t], v))
                elif t == "string":
                    out += attr(num, v.encode() + b"\0")
                else:
                    out += attr(num, v)
        return out

    def decode(self, sname, buf):
        sname = self.base(sname)
        attrs = self.sets[sname]["attributes"]
        out = {}
        for num, payloads in parse_attrs(buf).items():
            if not 1 <= num <= len(attrs):
                out["?%d" % num] = payloads
                continue
            a = attrs[num - 1]
            vals = []
            for p in payloads:
                t = a["type"]
                if t == "nest":
                    vals.append(self.decode(a["nested-attributes"], p))
                elif t in FMT:
                    vals.append(struct.unpack(FMT[t], p)[0])
                elif t == "string":
                    vals.append(p.rstrip(b"\0").decode())
                else:
                    vals.append(p)
            out[a["name"]] = vals if a.get("multi-attr") else vals[0]
        return out


class Genl:
    def __init__(self, spec=None):
        self.spec = spec or Spec()
        family = self.spec.y["name"]
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

    def op(self, verb, obj):
        """The spec's operation @verb (e.g. "context-swap") with attribute
        object @obj: (-errno or 0, extack message or "")."""
        o = self.spec.ops[verb]
        err, msg, _ = self.request(self.family, self.spec.cmd[o["name"]],
                                   self.spec.encode(o["attribute-set"], obj))
        return err, msg

    def context_new(self, ctx_id, sender_id, recipient_ids,
                    id_context=b"", keys=None, common_iv=None):
        """context-new with throwaway keys, or @keys (the sender's, then
        each recipient's): (-errno or 0, extack)."""
        keys = keys or [os.urandom(16) for _ in range(1 + len(recipient_ids))]
        ctx = {"id": ctx_id} if ctx_id else {}
        ctx.update({"alg": ALG_AES_CCM_16_64_128, "sender-id": sender_id,
                    "sender-key": keys[0],
                    "common-iv": common_iv or os.urandom(13),
                    "recipient": [{"id": r, "key": k}
                                  for r, k in zip(recipient_ids, keys[1:])]})
        if id_context:
            ctx["id-context"] = id_context
        op = self.spec.ops["context-new"]
        err, msg, _ = self.request(self.family, self.spec.cmd[op["name"]],
                                   self.spec.encode(op["attribute-set"],
                                                    {"context": ctx}))
        return err, msg

    def join(self, group=None):
        """Joins a multicast group (the spec's first): 0 or -errno."""
        if group is None:
            group = self.spec.y["mcast-groups"]["list"][0]["name"]
        try:
            self.s.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
                              self.groups[group])
            return 0
        except OSError as e:
            return -e.errno

    def close(self):
        self.s.close()


__all__ = ["Genl", "Spec", "errno"]
