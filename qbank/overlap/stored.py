"""Stored token sets and MinHash signatures of a scope, read in bulk with Core queries.

`qbank.overlap.fingerprints` computes and stores them (at import, or the first time a check
meets a text); a check whose texts are all stored reads them here without ORM objects, and
without loading a tokenizer or normalising any text. What is missing is left to
`fingerprints` to compute.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Text, select, type_coerce
from sqlalchemy.orm import Session

from qbank.content import canonical_text
from qbank.model import Signature, TokenSet
from qbank.overlap.fingerprints import TextUnit

CHUNK = 900
"""Keys per `IN (...)` query: within SQLite's oldest variable limit (999), far fewer queries
than one per text."""

Advance = Callable[[int], None] | None


def text_keys(texts: Sequence[TextUnit]) -> list[str]:
    """`TextUnit.key` of each text (the SHA-256 of its canonical JSON), without building an
    encoder per text."""
    return [
        hashlib.sha256(canonical_text([t.stem, list(t.options)]).encode("utf-8")).hexdigest()
        for t in texts
    ]


@dataclass(frozen=True)
class StoredSignatures:
    """MinHash signatures of a scope's texts, one row per text (in the order asked), or None
    where a text has none stored with these parameters."""

    rows: np.ndarray  # (n, num_perm) of the stored dtype; rows of missing texts are zero
    missing: list[int]  # indices of texts without a stored signature


def read_tokens(
    session: Session, tokenizer: str, keys: Sequence[str], advance: Advance = None
) -> dict[str, list[str]]:
    """{text key: stored tokens} for those of `keys` stored under `tokenizer`. Equal tokens
    are one string object (a large scope repeats a small vocabulary)."""
    stored: dict[str, list[str]] = {}
    pool: dict[str, str] = {}
    same = pool.setdefault
    unique = sorted(set(keys))
    # The JSON text itself where the driver gives text (SQLite): decoded here in one step.
    tokens = type_coerce(TokenSet.tokens, Text)
    for start in range(0, len(unique), CHUNK):
        chunk = unique[start : start + CHUNK]
        stmt = select(TokenSet.text_sha256, tokens).where(
            TokenSet.tokenizer == tokenizer, TokenSet.text_sha256.in_(chunk)
        )
        for key, value in session.execute(stmt):
            decoded = _json(value) if isinstance(value, str) else value
            stored[key] = [same(token, token) for token in decoded]
        if advance is not None:
            advance(len(chunk))
    return stored


def read_signatures(
    session: Session,
    tokenizer: str,
    keys: Sequence[str],
    *,
    num_perm: int,
    seed: int,
    advance: Advance = None,
) -> StoredSignatures:
    """The stored signatures of `keys` (one row per key, in order) with these parameters.

    Values are little-endian uint32 (datasketch's default scheme) or uint64, as
    `qbank.overlap.minhash.to_bytes` wrote them; one of another length counts as missing.
    """
    unique = sorted(set(keys))
    rank = {key: r for r, key in enumerate(unique)}
    found: dict[int, list[bytes]] = {4: [], 8: []}  # by value width: the rows' bytes
    ranks: dict[int, list[int]] = {4: [], 8: []}  # and their keys' ranks in `unique`
    for start in range(0, len(unique), CHUNK):
        chunk = unique[start : start + CHUNK]
        stmt = select(Signature.text_sha256, Signature.data).where(
            Signature.tokenizer == tokenizer,
            Signature.num_perm == num_perm,
            Signature.seed == seed,
            Signature.text_sha256.in_(chunk),
        )
        for key, data in session.execute(stmt):
            width, rest = divmod(len(data), num_perm) if num_perm > 0 else (0, 1)
            if not rest and width in found:
                found[width].append(bytes(data))
                ranks[width].append(rank[key])
        if advance is not None:
            advance(len(chunk))
    width = 8 if len(found[8]) > len(found[4]) else 4  # one scheme's width; the other: missing
    dtype = np.dtype(f"<u{width}")
    values = np.frombuffer(b"".join(found[width]), dtype=dtype).reshape(-1, num_perm)
    row_of = np.full(len(unique), -1, dtype=np.int64)  # per unique key: its row in `values`
    row_of[np.asarray(ranks[width], dtype=np.int64)] = np.arange(len(values))
    where = row_of[np.fromiter((rank[k] for k in keys), dtype=np.int64, count=len(keys))]
    have = where >= 0
    rows = np.zeros((len(keys), num_perm), dtype=dtype.newbyteorder("="))
    rows[have] = values[where[have]]
    return StoredSignatures(rows, np.flatnonzero(~have).tolist())


_DECODER = json.JSONDecoder()


def _json(text: str) -> Any:
    """`json.loads(text)`, without its whitespace scans when there is none (what a JSON column
    holds)."""
    try:
        value, end = _DECODER.raw_decode(text)
    except ValueError:
        return json.loads(text)
    return value if end == len(text) else json.loads(text)
