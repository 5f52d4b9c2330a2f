# SPDX-License-Identifier: GPL-2.0
"""A second implementation of Group OSCORE group mode, for the tests only.

Written from draft-ietf-core-oscore-groupcomm-28 (and RFC 8613, RFC 9338,
RFC 8392, RFC 9053) with Python's `cryptography` (HKDF, AES-CCM, ECDSA) and
a hand-made CBOR encoder, independently of the C code in kmod/codec and
tools/lib, so that the two check each other (group_interop.py).

Scope: what coapsec uses.  Group Encryption Algorithm AES-CCM-16-64-128
(COSE 10), Signature Algorithm ES256 (COSE -7) or EdDSA (COSE -8,
Ed25519), HKDF SHA-256, no pairwise
mode (AEAD Algorithm and Pairwise Key Agreement Algorithm not set), CoAP
messages whose options are all Class E.
"""
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature, encode_dss_signature)
from cryptography.hazmat.primitives.ciphers.aead import AESCCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

ALG_GROUP_ENC = 10      # AES-CCM-16-64-128: key 16, nonce 13, tag 8
KEY_LEN, NONCE_LEN, TAG_LEN = 16, 13, 8
ES256, EDDSA = -7, -8
SIG_LEN = 64            # both
OPT_OSCORE = 9


# --- CBOR (RFC 8949), shortest form, definite lengths -----------------------

def _head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for ai, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | ai]) + n.to_bytes(size, 'big')
    raise ValueError(n)


def cbor(v):
    """bytes, str, int, bool, None, list and dict (insertion order)."""
    if v is None:
        return b'\xf6'
    if v is True:
        return b'\xf5'
    if v is False:
        return b'\xf4'
    if isinstance(v, int):
        return _head(0, v) if v >= 0 else _head(1, -1 - v)
    if isinstance(v, (bytes, bytearray)):
        return _head(2, len(v)) + bytes(v)
    if isinstance(v, str):
        b = v.encode()
        return _head(3, len(b)) + b
    if isinstance(v, list):
        return _head(4, len(v)) + b''.join(cbor(x) for x in v)
    if isinstance(v, dict):
        return _head(5, len(v)) + b''.join(cbor(k) + cbor(x)
                                            for k, x in v.items())
    raise TypeError(type(v))


# --- keys -------------------------------------------------------------------

def hkdf(salt, ikm, info, length):
    return HKDF(hashes.SHA256(), length, salt or None, info).derive(ikm)


def kdf(secret, salt, ident, gid, typ, length):
    # RFC 8613 §3.2.1 info, alg_aead = Group Encryption Algorithm (§2.3)
    return hkdf(salt, secret, cbor([ident, gid, ALG_GROUP_ENC, typ, length]),
                length)


class Context:
    """One endpoint's view: its own sender part, one peer's recipient part."""

    def __init__(self, secret, salt, gid, sid, rid, own_key, own_cred,
                 peer_cred, gm_cred=b'', sig_alg=ES256):
        self.gid, self.sid, self.rid = gid, sid, rid
        self.sig_alg = sig_alg
        self.sender_key = kdf(secret, salt, sid, gid, 'Key', KEY_LEN)
        self.recipient_key = kdf(secret, salt, rid, gid, 'Key', KEY_LEN)
        self.common_iv = kdf(secret, salt, b'', gid, 'IV', NONCE_LEN)
        # §2.1.9: id empty, "SEKey", L = Group Encryption key length
        self.sekey = kdf(secret, salt, b'', gid, 'SEKey', KEY_LEN)
        self.own_key, self.own_cred = own_key, own_cred
        self.peer_cred, self.gm_cred = peer_cred, gm_cred
        self.peer_pub = ccs_public_key(peer_cred) if peer_cred else None

    def nonce(self, ident, piv):
        # RFC 8613 §5.2; §3.3: X = 13 bytes of the 13-byte Common IV
        b = bytes([len(ident)]) + bytes(NONCE_LEN - 6 - len(ident)) + ident
        b += bytes(5 - len(piv)) + piv
        return bytes(x ^ y for x, y in zip(b, self.common_iv))


# --- credentials: CCS with cnf / COSE_Key EC2 P-256 (RFC 8392, 8747) -------

def ccs(subject, pub):
    if isinstance(pub, ed25519.Ed25519PublicKey):
        # OKP (1), Ed25519 (6), x (RFC 9053 §7.2)
        raw = pub.public_bytes(serialization.Encoding.Raw,
                               serialization.PublicFormat.Raw)
        return cbor({2: subject, 8: {1: {1: 1, -1: 6, -2: raw}}})
    n = pub.public_numbers()
    return cbor({2: subject, 8: {1: {1: 2, -1: 1,
                                     -2: n.x.to_bytes(32, 'big'),
                                     -3: n.y.to_bytes(32, 'big')}}})


def ccs_public_key(cred):
    """The key of a CCS built by ccs() (the tests' own credentials)."""
    x = cred.index(b'\x21\x58\x20') + 3      # -2: bstr(32)
    if b'\x01\x01\x20\x06' in cred:           # kty OKP, crv Ed25519
        return ed25519.Ed25519PublicKey.from_public_bytes(cred[x:x + 32])
    y = cred.index(b'\x22\x58\x20') + 3      # -3: bstr(32)
    return ec.EllipticCurvePublicNumbers(
        int.from_bytes(cred[x:x + 32], 'big'),
        int.from_bytes(cred[y:y + 32], 'big'),
        ec.SECP256R1()).public_key()


# --- the COSE object (§3, §4) -----------------------------------------------

def piv_bytes(seq):
    n = 1
    while seq >> (8 * n):
        n += 1
    return seq.to_bytes(n, 'big')


def oscore_option(piv, kid_context, kid, group=True):
    # RFC 8613 §6.1, Group Flag (0x20) from §4.1
    flags = len(piv) | 0x08 | (0x20 if group else 0)
    val = piv
    if kid_context is not None:
        flags |= 0x10
        val += bytes([len(kid_context)]) + kid_context
    return bytes([flags]) + val + kid


def external_aad(sig_alg, req_kid, req_piv, req_kid_context, option,
                 sender_cred, gm_cred):
    # §3.4: alg_aead and alg_pairwise_key_agreement not set: null
    return cbor([1, [None, ALG_GROUP_ENC, sig_alg, None], req_kid, req_piv,
                 b'', req_kid_context, option, sender_cred, gm_cred])


def keystream(ctx, piv, ident, is_request):
    info = cbor([ident, ctx.gid, is_request, SIG_LEN])
    return hkdf(piv, ctx.sekey, info, SIG_LEN)


def sign(key, ext_aad, ciphertext):
    tbs = cbor(['CounterSignature0', b'', ext_aad, ciphertext])
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(tbs)
    r, s = decode_dss_signature(key.sign(tbs, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, 'big') + s.to_bytes(32, 'big')


def verify_sig(pub, ext_aad, ciphertext, sig):
    tbs = cbor(['CounterSignature0', b'', ext_aad, ciphertext])
    if isinstance(pub, ed25519.Ed25519PublicKey):
        pub.verify(sig, tbs)                  # raises if bad
        return
    sig_der = encode_dss_signature(int.from_bytes(sig[:32], 'big'),
                                   int.from_bytes(sig[32:], 'big'))
    pub.verify(sig_der, tbs, ec.ECDSA(hashes.SHA256()))   # raises if bad


def xor(a, b):
    return bytes(x ^ y for x, y in zip(a, b))


# --- CoAP (RFC 7252) ----------------------------------------------------------

def coap_options(opts):
    out, prev = b'', 0
    for num, val in opts:
        d, n = num - prev, len(val)
        prev = num

        def nib(v):
            if v < 13:
                return v, b''
            if v < 269:
                return 13, bytes([v - 13])
            return 14, (v - 269).to_bytes(2, 'big')
        dn, dx = nib(d)
        ln, lx = nib(n)
        out += bytes([dn << 4 | ln]) + dx + lx + val
    return out


def coap_parse(b):
    """(type, code, mid, token, [(num, val)], payload)."""
    tkl = b[0] & 0x0f
    typ, code, mid = (b[0] >> 4) & 3, b[1], int.from_bytes(b[2:4], 'big')
    token, pos, num, opts = b[4:4 + tkl], 4 + tkl, 0, []
    while pos < len(b) and b[pos] != 0xff:
        dn, ln = b[pos] >> 4, b[pos] & 0x0f
        pos += 1
        vals = []
        for v in (dn, ln):
            if v == 13:
                v = b[pos] + 13
                pos += 1
            elif v == 14:
                v = int.from_bytes(b[pos:pos + 2], 'big') + 269
                pos += 2
            vals.append(v)
        num += vals[0]
        opts.append((num, b[pos:pos + vals[1]]))
        pos += vals[1]
    payload = b[pos + 1:] if pos < len(b) else b''
    return typ, code, mid, token, opts, payload


# --- protect and verify (§7) -------------------------------------------------

class Binding:
    """What a response is bound to: the request's kid, PIV, Gid, nonce."""

    def __init__(self, kid, piv, kid_context, nonce):
        self.kid, self.piv, self.kid_context, self.nonce = \
            kid, piv, kid_context, nonce


def protect(ctx, msg, seq=None, request=None, group=True):
    """Protects the CoAP message bytes @msg (Class E options only).

    A request uses @seq as Partial IV; a response passes its request's
    Binding and @seq None to reuse the request's nonce.  Returns the
    protected bytes and, for a request, its Binding.
    """
    typ, code, mid, token, opts, payload = coap_parse(msg)
    is_request = 1 <= code < 32
    piv = piv_bytes(seq) if seq is not None else b''
    nonce = ctx.nonce(ctx.sid, piv) if piv else request.nonce
    option = oscore_option(piv, ctx.gid if is_request else None, ctx.sid,
                           group)
    if is_request:
        request = Binding(ctx.sid, piv, ctx.gid, nonce)
    ext = external_aad(ctx.sig_alg, request.kid, request.piv,
                       request.kid_context, option, ctx.own_cred, ctx.gm_cred)
    plain = bytes([code]) + coap_options(opts) + \
        (b'\xff' + payload if payload else b'')
    aad = cbor(['Encrypt0', b'', ext])
    ct = AESCCM(ctx.sender_key, tag_length=TAG_LEN).encrypt(nonce, plain, aad)
    body = ct
    if group:
        sig = sign(ctx.own_key, ext, ct)
        # §4.2: salt the PIV of the nonce, id its generator's Sender ID
        ks = keystream(ctx, piv or request.piv, ctx.sid if piv else request.kid,
                       is_request)
        body += xor(sig, ks)
    outer_code = 0x02 if is_request else 0x44     # POST / 2.04 Changed
    hdr = bytes([0x40 | typ << 4 | len(token), outer_code]) + \
        mid.to_bytes(2, 'big') + token
    out = hdr + coap_options([(OPT_OSCORE, option)]) + b'\xff' + body
    return out, (request if is_request else None)


class VerifyError(Exception):
    pass


def verify(ctx, pkt, request=None):
    """The plaintext message bytes of @pkt, and a request's Binding."""
    typ, code, mid, token, opts, payload = coap_parse(pkt)
    option = [v for n, v in opts if n == OPT_OSCORE][0]
    flags = option[0]
    if not flags & 0x20:
        raise VerifyError('Group Flag clear')
    n, pos = flags & 7, 1
    piv = option[pos:pos + n]
    pos += n
    kid_context = None
    if flags & 0x10:
        kid_context = option[pos + 1:pos + 1 + option[pos]]
        pos += 1 + option[pos]
    kid = option[pos:]
    if kid != ctx.rid:
        raise VerifyError('kid')
    is_request = 1 <= code < 32
    nonce = ctx.nonce(kid, piv) if piv else request.nonce
    if is_request:
        request = Binding(kid, piv, kid_context, nonce)
    ext = external_aad(ctx.sig_alg, request.kid, request.piv,
                       request.kid_context, option, ctx.peer_cred, ctx.gm_cred)
    ct, enc_sig = payload[:-SIG_LEN], payload[-SIG_LEN:]
    ks = keystream(ctx, piv or request.piv, kid if piv else request.kid,
                   is_request)
    try:
        verify_sig(ctx.peer_pub, ext, ct, xor(enc_sig, ks))
    except Exception as e:
        raise VerifyError('signature') from e
    aad = cbor(['Encrypt0', b'', ext])
    try:
        plain = AESCCM(ctx.recipient_key, tag_length=TAG_LEN).decrypt(
            nonce, ct, aad)
    except Exception as e:
        raise VerifyError('tag') from e
    hdr = bytes([0x40 | typ << 4 | len(token), plain[0]]) + \
        mid.to_bytes(2, 'big') + token
    return hdr + plain[1:], (request if is_request else None)
