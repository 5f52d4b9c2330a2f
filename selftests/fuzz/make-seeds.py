#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Writes the seed corpora in selftests/fuzz/corpus/ from the RFC 8613
vectors (selftests/vectors/rfc8613.json) and a few malformed inputs.
Rerun after changing a target's input format; the output is committed."""
import hashlib
import json
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
vec_path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    here, "..", "vectors", "rfc8613.json")
v = json.load(open(vec_path))
msgs = v["messages"]
TAG = 8


def put(target, data):
    d = os.path.join(here, "corpus", target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


bad_coap = ["", "440100", "04010000", "4f010000", "44010000010203",
            "41000000aa", "40010000f0", "400100001f", "40010000d0",
            "40010000e000", "4001000013aabb", "40010000e0fef210",
            "40010000ff", "40010000b161ff", "40010000e0fef2",
            "4401000001020304b474656d701e0000" + "61" * 16]
for m in msgs.values():
    for k in ("unprotected", "protected"):
        put("coap_parse", bytes.fromhex(m[k]))
    put("oscore_option", bytes.fromhex(m["oscore_option"]))
    for mode in range(8):
        put("roundtrip", bytes([mode]) + bytes.fromhex(m["unprotected"]))
    # protected under the targets' null AEAD: plaintext and a zero tag
    prot = bytes.fromhex(m["protected"])
    head = prot[:len(prot) - len(bytes.fromhex(m["ciphertext"]))]
    fake = head + bytes.fromhex(m["plaintext"]) + bytes(TAG)
    for mode in (0, 1):
        put("unprotect", bytes([mode]) + fake)
for h in bad_coap:
    put("coap_parse", bytes.fromhex(h))
    put("roundtrip", b"\x00" + bytes.fromhex(h))
for h in ["80", "41aa", "06010203040506", "00", "020014", "0314", "1114",
          "111403aabb", "011400", "1d0102030405" + "00", "0d0102030405aa"]:
    put("oscore_option", bytes.fromhex(h))
# regressions found by the fuzzers
put("roundtrip", __import__("base64").b64decode(
    "BFJSUtAAAGAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABqAABqAA="))
