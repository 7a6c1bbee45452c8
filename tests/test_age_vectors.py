"""formats.sealed_bundle's age decryption against the C2SP/CCTV age test vectors.

Every vector that is neither ASCII-armored (bundles are binary) nor post-quantum (hybrid
ML-KEM-768+X25519, which pyrage 1.x cannot open) must give its expected outcome: success
with the payload's SHA-256, or a failure of the expected kind. The kinds come from
`DecryptFailed.kind`: `read_header`'s strict check decides most header failures, and
pyrage's message decides the rest (`decrypt_error_kind`).

The vectors are read from `QBANK_AGE_VECTORS`, else `<repo>/../shared/vectors/age`.
"""

from __future__ import annotations

import hashlib
import io
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

import pyrage
import pytest
from pyrage import x25519

from formats.sealed_bundle import DecryptFailed, decrypt, decrypt_error_kind, read_header

VECTORS = Path(
    os.environ.get("QBANK_AGE_VECTORS")
    or Path(__file__).resolve().parents[2] / "shared" / "vectors" / "age"
)
KINDS = {
    "header failure": "header",
    "no match": "no_match",
    "HMAC failure": "hmac",
    "payload failure": "payload",
}
# Vectors whose header rage (pyrage 1.4) accepts although the spec rejects it; only
# `read_header` catches them. Listed so a test shows the strict check is what makes them pass.
RAGE_TOO_LAX = {"stanza_missing_body", "stanza_missing_final_line", "scrypt_work_factor_23"}


@dataclass(frozen=True)
class Vector:
    name: str
    expect: str
    payload: str | None
    identities: tuple[str, ...]
    passphrases: tuple[str, ...]
    armored: bool
    body: bytes

    @property
    def post_quantum(self) -> bool:
        return any(i.startswith("AGE-SECRET-KEY-PQ-") for i in self.identities)


def read_vector(path: Path) -> Vector:
    """Parse one vector file: `key: value` lines, a blank line, the (maybe zlib) age file."""
    head, _, body = path.read_bytes().partition(b"\n\n")
    fields: dict[str, list[str]] = {}
    for line in head.decode("utf-8").splitlines():
        key, _, value = line.partition(": ")
        fields.setdefault(key, []).append(value)
    if fields.get("compressed") == ["zlib"]:
        body = zlib.decompress(body)
    return Vector(
        name=path.name,
        expect=fields["expect"][0],
        payload=fields.get("payload", [None])[0],
        identities=tuple(fields.get("identity", [])),
        passphrases=tuple(fields.get("passphrase", [])),
        armored=fields.get("armored") == ["yes"],
        body=body,
    )


ALL = (
    [read_vector(p) for p in sorted(VECTORS.iterdir()) if p.is_file() and p.name.isidentifier()]
    if VECTORS.is_dir()
    else []
)
APPLICABLE = [v for v in ALL if not v.armored and not v.post_quantum]
needs_vectors = pytest.mark.skipif(
    not VECTORS.is_dir(),
    reason=f"age test vectors not found at {VECTORS} (set QBANK_AGE_VECTORS to a copy of "
    "C2SP/CCTV age/testdata)",
)


def _open(vector: Vector) -> bytes:
    if vector.passphrases:
        return decrypt(vector.body, passphrase=vector.passphrases[0])
    # `empty` names no key at all: any identity must meet the header failure first.
    identities = list(vector.identities) or [str(x25519.Identity.generate())]
    return decrypt(vector.body, identities=identities)


@needs_vectors
def test_the_vector_set_is_the_expected_one() -> None:
    """A changed vector folder shows here, not as a silently smaller parametrisation."""
    assert len(ALL) >= 140
    assert len(APPLICABLE) == 92  # 143 vectors less 32 armored and 19 hybrid (one both)
    assert {v.expect for v in APPLICABLE} == {"success", *KINDS}
    assert {v.name for v in APPLICABLE} >= RAGE_TOO_LAX


@needs_vectors
@pytest.mark.parametrize("vector", APPLICABLE, ids=lambda v: v.name)
def test_vector(vector: Vector) -> None:
    if vector.expect == "success":
        assert hashlib.sha256(_open(vector)).hexdigest() == vector.payload
        return
    with pytest.raises(DecryptFailed) as failure:
        _open(vector)
    assert failure.value.kind == KINDS[vector.expect], str(failure.value)


@needs_vectors
@pytest.mark.parametrize(
    "vector",
    [v for v in APPLICABLE if v.expect == "payload failure"],
    ids=lambda v: v.name,
)
def test_payload_failure_releases_only_the_expected_prefix(vector: Vector) -> None:
    """qbank releases nothing on a payload failure; the streaming layer under it releases
    exactly the authenticated prefix the vector's hash names, and no more."""
    written = io.BytesIO()
    with pytest.raises(OSError) as failure:  # decrypt_io reports STREAM errors as OSError
        pyrage.decrypt_io(
            io.BytesIO(vector.body),
            written,
            [x25519.Identity.from_str(i) for i in vector.identities],
        )
    assert decrypt_error_kind(failure.value) == "payload"
    assert hashlib.sha256(written.getvalue()).hexdigest() == vector.payload


@needs_vectors
@pytest.mark.parametrize(
    "vector", [v for v in APPLICABLE if v.name in RAGE_TOO_LAX], ids=lambda v: v.name
)
def test_strict_header_check_catches_what_rage_accepts(vector: Vector) -> None:
    """pyrage 1.4 decrypts the two stanza vectors and would spend 2^23 scrypt work on the
    third; `read_header` refuses all three before pyrage sees them."""
    with pytest.raises(DecryptFailed) as failure:
        read_header(vector.body)
    assert failure.value.kind == "header"


@needs_vectors
def test_header_check_accepts_every_header_the_vectors_call_well_formed() -> None:
    """Only vectors expecting a header failure may fail the strict check."""
    for vector in APPLICABLE:
        if vector.expect != "header failure":
            assert read_header(vector.body).stanza_types, vector.name
