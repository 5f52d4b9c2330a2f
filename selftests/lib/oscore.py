# SPDX-License-Identifier: GPL-2.0
"""OSCORE (RFC 8613) done in the test, for messages the kernel must judge
but no coapsec peer would send: key derivation (§3.2, the `cryptography`
package's HKDF), nonces (§5.2), the external AAD (§5.4), the OSCORE
option (§6.1), AES-CCM-16-64-128 (the same package's AESCCM)."""
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESCCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

ALG = 10				# AES-CCM-16-64-128


def cbor_bstr(b):
    assert len(b) < 24
    return bytes([0x40 | len(b)]) + b


def cbor_tstr(s):
    return bytes([0x60 | len(s)]) + s.encode()


class Context:
    """The keys one Master Secret and ID Context give (no salt)."""

    def __init__(self, secret, id_context):
        self.secret, self.id_context = secret, id_context
        self.iv = self.derive(b"", "IV", 13)

    def derive(self, ident, typ, n):
        info = (b"\x85" + cbor_bstr(ident) + cbor_bstr(self.id_context) +
                bytes([ALG]) + cbor_tstr(typ) + bytes([n]))
        return HKDF(hashes.SHA256(), n, None, info).derive(self.secret)

    def key(self, ident):
        return self.derive(ident, "Key", 16)

    def nonce(self, kid, piv):
        x = bytes([len(kid)]) + kid.rjust(7, b"\0") + piv.rjust(5, b"\0")
        return bytes(a ^ b for a, b in zip(x, self.iv))

    def seal(self, key, kid, piv, req_kid, req_piv, plain):
        """@plain under @key with the nonce of (@kid, @piv), bound to the
        request (@req_kid, @req_piv)."""
        return AESCCM(key, 8).encrypt(self.nonce(kid, piv), plain,
                                      aad(req_kid, req_piv))


def aad(req_kid, req_piv):
    ext = b"\x85\x01\x81" + bytes([ALG]) + cbor_bstr(req_kid) + \
        cbor_bstr(req_piv) + b"\x40"
    return b"\x83" + cbor_tstr("Encrypt0") + b"\x40" + cbor_bstr(ext)


def option9(value):
    """The OSCORE option (number 9) as the first option of a message."""
    assert len(value) < 13
    return bytes([0x90 | len(value)]) + value


def oscore_option(m):
    """(kid, piv) from the OSCORE option of CoAP message @m."""
    i, num = 4 + (m[0] & 0xf), 0
    while i < len(m) and m[i] != 0xff:
        d, n = m[i] >> 4, m[i] & 0xf
        i += 1
        num += d
        if num == 9:
            v = m[i:i + n]
            pl = v[0] & 7
            j = 1 + pl
            if v[0] & 0x10:
                j += 1 + v[j]
            return v[j:], v[1:1 + pl]
        i += n
    return None, None
