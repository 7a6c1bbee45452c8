"""Signed checkpoints (qbank.checkpoint): the C2SP signed-note wire format, byte for byte.

The note format is anchored to the reference implementation, golang.org/x/mod/sumdb/note: its
documented example key and note (Ed25519 is deterministic, so our signer must reproduce the
published signature exactly). The Merkle roots inside checkpoints come from qbank.merkle,
which tests/test_merkle.py checks against the transparency-dev vectors in
../shared/vectors/merkle.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from qbank import keys
from qbank.checkpoint import (
    MalformedNote,
    checkpoint_body,
    key_id,
    key_name,
    parse_note,
    sign_checkpoint,
    sign_note,
    verify_note,
)

# golang.org/x/mod/sumdb/note, package documentation ("Here is a well-formed signed note").
GO_SIGNER_KEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VERIFIER_KEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n— PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
ORIGIN = "qbank.custody/6-31-01-03-4/20261212-01"
ROOT = hashlib.sha256(b"some tree").digest()


def signer_from_seed(name: str, seed: bytes) -> keys.Signer:
    key = Ed25519PrivateKey.from_private_bytes(seed)
    info = keys.PublicKeyInfo(name, key.public_key().public_bytes_raw(), datetime.now(UTC))
    return keys.Signer(info, key)


def go_signer() -> keys.Signer:
    material = base64.b64decode(GO_SIGNER_KEY.split("+", 4)[4])
    assert material[0] == 1  # Ed25519
    return signer_from_seed("PeterNeumann", material[1:])


def test_signed_note_matches_the_go_reference_byte_for_byte() -> None:
    signer = go_signer()
    public = base64.b64decode(GO_VERIFIER_KEY.split("+", 2)[2])
    assert public == b"\x01" + signer.public_key_raw
    assert key_id("PeterNeumann", signer.public_key_raw).hex() == "c74f20a3"
    assert sign_note(GO_TEXT, name="PeterNeumann", signer=signer) == GO_NOTE


def test_checkpoint_note_layout_and_signature() -> None:
    signer = signer_from_seed("王老师", bytes(range(32)))
    note = sign_checkpoint(ORIGIN, 7, ROOT, name="王老师", signer=signer)
    body = f"{ORIGIN}\n7\n{base64.b64encode(ROOT).decode()}\n"
    assert body == checkpoint_body(ORIGIN, 7, ROOT)
    head, blank, line, end = note.rsplit("\n", 3)
    assert (head + "\n", blank, end) == (body, "", "")
    assert line.startswith("\u2014 王老师 ")
    blob = base64.b64decode(line.split(" ")[2])
    expected_id = hashlib.sha256("王老师".encode() + b"\n\x01" + signer.public_key_raw).digest()
    assert blob[:4] == expected_id[:4]
    assert keys.verify(signer.public_key_raw, body.encode(), blob[4:])
    parsed = parse_note(note)
    assert (parsed.origin, parsed.size, parsed.root) == (ORIGIN, 7, ROOT)
    assert verify_note(parsed, name="王老师", public_key=signer.public_key_raw)
    other = signer_from_seed("王老师", bytes(32))
    assert not verify_note(parsed, name="王老师", public_key=other.public_key_raw)
    assert not verify_note(parsed, name="刘师傅", public_key=signer.public_key_raw)


def test_key_names_have_no_spaces_or_plus() -> None:
    assert key_name("Zhang San+1") == "Zhang_San_1"
    signer = signer_from_seed("Zhang San", bytes(32))
    note = sign_checkpoint(ORIGIN, 1, ROOT, name="Zhang San", signer=signer)
    assert "\u2014 Zhang_San " in note
    assert verify_note(parse_note(note), name="Zhang San", public_key=signer.public_key_raw)


B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _variants(note: str) -> dict[str, str]:
    body, _, line = note.partition("\n\n")
    blob = line.split(" ")[2].strip()
    assert blob.endswith("=") and not blob.endswith("==")  # 68 bytes: 2 spare bits at the end
    spare = blob[:-2] + B64[B64.index(blob[-2]) ^ 1] + "="
    assert base64.b64decode(spare) == base64.b64decode(blob)
    lines = body.split("\n")
    return {
        "crlf": note.replace("\n", "\r\n"),
        "no final newline": note[:-1],
        "second signature": note + line,
        "extension line": body + "\nextra\n\n" + line,
        "leading zero size": "\n".join([lines[0], "07", *lines[2:]]) + "\n" + line,
        "short root": "\n".join([lines[0], lines[1], base64.b64encode(ROOT[:31]).decode()])
        + "\n\n"
        + line,
        "hyphen instead of em dash": note.replace("\u2014", "-"),
        "non-canonical base64": note.replace(blob, spare),
        "no blank line": body + line,
    }


def test_only_the_exact_form_parses() -> None:
    signer = signer_from_seed("王老师", bytes(range(32)))
    note = sign_checkpoint(ORIGIN, 7, ROOT, name="王老师", signer=signer)
    parse_note(note)
    for variant, text in _variants(note).items():
        with pytest.raises(MalformedNote):
            parse_note(text)
            pytest.fail(f"{variant} parsed")
