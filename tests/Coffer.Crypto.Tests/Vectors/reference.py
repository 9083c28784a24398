#!/usr/bin/env python3
"""Independent reference implementation of docs/format.md and docs/keys.md (Python 'cryptography').

Regenerates the encrypted golden vectors in vectors.json from the written specification, not
from the C# code, so the tests prove that code and spec agree. Plain-framing vectors (XXH3-128)
cannot be computed here without the xxhash module; they are copied from the implementation and
marked "source": "spec (C# XxHash128)".

    python3 reference.py > vectors.json
"""
import hashlib
import json
import struct

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

S = 64 * 1024


def hkdf(ikm, salt, info, n=44):
    return HKDF(hashes.SHA256(), n, salt, info).derive(ikm)


def field(b):
    return struct.pack(">I", len(b)) + b


def fields(label, *strings):
    return field(label) + b"".join(field(s.encode()) for s in strings)


# --- sealed stream (docs/format.md) -------------------------------------------------------------

def header(cipher, salt):
    return b"CFSS" + bytes([0x01, cipher, 16, 0x00]) + salt


def digest(h, identity):
    return hashlib.sha256(h + field(identity.encode())).digest()


def sm4_gcm_encrypt(k, nonce, pt, aad):
    enc = Cipher(algorithms.SM4(k), modes.GCM(nonce)).encryptor()
    enc.authenticate_additional_data(aad)
    body = enc.update(pt) + enc.finalize()
    return body + enc.tag


def seal_stream(key, salt, identity, pt, cipher=0x01):
    h = header(cipher, salt)
    d = digest(h, identity)
    key_size = 32 if cipher == 0x01 else 16  # AES-256-GCM: 32-byte K; SM4-GCM (0x02): 16-byte K
    okm = hkdf(key, salt, b"coffer sealed-stream v1" + d, key_size + 12)
    k, n = okm[:key_size], okm[key_size:]
    if cipher == 0x01:
        gcm = AESGCM(k)
        seal = gcm.encrypt
    else:
        def seal(nonce, seg, aad):
            return sm4_gcm_encrypt(k, nonce, seg, aad)
    segments = [pt[i:i + S] for i in range(0, len(pt), S)] or [b""]
    out = h
    for i, seg in enumerate(segments):
        final = i == len(segments) - 1
        nonce = n[:4] + (int.from_bytes(n[4:], "big") ^ i).to_bytes(8, "big")
        out += seal(nonce, seg, d + bytes([1 if final else 0]))
    return out


# --- one-shot seals (docs/keys.md) --------------------------------------------------------------

def one_shot(ikm, salt, info, aad, pt):
    okm = hkdf(ikm, salt, info)
    return AESGCM(okm[:32]).encrypt(okm[32:], pt, aad)


def root_seal(root, salt, purpose, pt):
    info = fields(b"coffer root-seal v1", purpose)
    head = bytes([0x01]) + salt
    return head + one_shot(root, salt, info, head + info, pt)


def sse_c_seal(object_key, customer_key, bucket, name, mode, salt):
    info = fields(b"coffer sse-c kek v1", mode, bucket, name)
    head = bytes([0x01]) + salt
    return head + one_shot(customer_key, salt, info, head + info, object_key)


def canonical_context(ctx):
    out = struct.pack(">I", len(ctx))
    for k in sorted(ctx, key=lambda s: s.encode("utf-16-be")):  # ordinal (UTF-16) order, as .NET
        out += field(k.encode()) + field(ctx[k].encode())
    return out


def kms_blob(material, key_id, version, salt, ctx, pt):
    head = bytes([0x01, len(key_id)]) + key_id.encode() + struct.pack(">I", version) + salt
    info = fields(b"coffer kms v1", key_id, str(version))
    return head + one_shot(material, salt, info, head + canonical_context(ctx), pt)


def r(a, b):
    return bytes(range(a, b))


KEY = r(0x00, 0x20)
SALT = r(0x40, 0x60)
SHORT = b"Coffer sealed stream, version 1."
LONG = bytes(i % 251 for i in range(S + 5))


def stream_vector(name, identity, pt, full=True, cipher=0x01):
    sealed = seal_stream(KEY, SALT, identity, pt, cipher)
    v = {"name": name, "kind": "stream", "encrypted": True, "key": KEY.hex(), "salt": SALT.hex(),
         "identity": identity, "source": "reference.py"}
    if cipher != 0x01:
        v["cipher"] = "SM4-GCM"
    if full:
        v["plaintext"] = pt.hex()
        v["sealed"] = sealed.hex()
    else:
        v["plaintextPattern"] = "i % 251"
        v["plaintextLength"] = len(pt)
        v["sealedLength"] = len(sealed)
        v["sealedSha256"] = hashlib.sha256(sealed).hexdigest()
    return v


vectors = [
    stream_vector("empty", "object", b""),
    stream_vector("short", "object", SHORT),
    stream_vector("short-part-3", "part:3", SHORT),
    stream_vector("two-segments", "object", LONG, full=False),
    stream_vector("sm4-empty", "object", b"", cipher=0x02),
    stream_vector("sm4-short", "object", SHORT, cipher=0x02),
    stream_vector("sm4-two-segments", "object", LONG, full=False, cipher=0x02),
    # Plain framing: XXH3-128 is not available to this script; these were computed from the spec by a
    # separate few-line C# program using System.IO.Hashing.XxHash128 (not the library), then pinned.
    {"name": "plain-empty", "kind": "stream", "encrypted": False, "salt": SALT.hex(), "identity": "object",
     "source": "spec (C# XxHash128)", "plaintext": "", "sealed": "4346535301001000404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5fa7b13b0ce76d5dafdbf11c12528046d5"},
    {"name": "plain-short", "kind": "stream", "encrypted": False, "salt": SALT.hex(), "identity": "object",
     "source": "spec (C# XxHash128)", "plaintext": SHORT.hex(), "sealed": "4346535301001000404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f436f66666572207365616c65642073747265616d2c2076657273696f6e20312eb336a6608c4f0742f9d45e26c0d3d581"},
    {"name": "root-seal", "kind": "root-seal", "key": r(0x80, 0xA0).hex(), "salt": SALT.hex(),
     "purpose": "kms-cmk/00000000-0000-0000-0000-000000000001/1", "plaintext": r(0xA0, 0xC0).hex(),
     "sealed": root_seal(r(0x80, 0xA0), SALT, "kms-cmk/00000000-0000-0000-0000-000000000001/1", r(0xA0, 0xC0)).hex(),
     "source": "reference.py"},
    {"name": "sse-c", "kind": "sse-c", "objectKey": KEY.hex(), "customerKey": r(0x60, 0x80).hex(), "salt": SALT.hex(),
     "bucket": "examplebucket-1250000000", "objectName": "photos/cat.jpg", "mode": "SSE-C",
     "sealed": sse_c_seal(KEY, r(0x60, 0x80), "examplebucket-1250000000", "photos/cat.jpg", "SSE-C", SALT).hex(),
     "source": "reference.py"},
    {"name": "kms-blob", "kind": "kms-blob", "material": r(0xC0, 0xE0).hex(), "keyId": "00000000-0000-0000-0000-000000000001",
     "keyVersion": 1, "salt": SALT.hex(), "context": {"aws:s3:arn": "arn:aws:s3:::examplebucket", "Department": "10"},
     "plaintext": KEY.hex(),
     "sealed": kms_blob(r(0xC0, 0xE0), "00000000-0000-0000-0000-000000000001", 1, SALT,
                        {"aws:s3:arn": "arn:aws:s3:::examplebucket", "Department": "10"}, KEY).hex(),
     "source": "reference.py"},
]

print(json.dumps({"format": "coffer sealed stream v1 and key seals v1", "vectors": vectors}, indent=2))
