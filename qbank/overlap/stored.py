"""Stored token sets and MinHash signatures of a scope, read in bulk with Core queries.

`qbank.overlap.fingerprints` computes and stores them (at import, or the first time a check
meets a text); a check whose texts are all stored reads them here without ORM objects, and
without loading a tokenizer or normalising any text. What is missing is left to
`fingerprints` to compute.
"""

from __future__ import annotations

import collections
import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qbank.canonical import canonical_text
from qbank.model import Signature
from qbank.overlap import bands
from qbank.overlap.digests import (
    DIGESTS,
    TextKeys,
    digests_of,
    find_digests,
    found_keys,
    unique_digests,
)
from qbank.overlap.fingerprints import SCAN_BATCH, TextUnit, stored_token_lists

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
    for covered, rows in stored_token_lists(session, tokenizer, sorted(set(keys)), CHUNK):
        for key, decoded in rows:
            if decoded is not None:  # else missing: computed from the text (`token_list`)
                stored[key] = list(map(same, decoded, decoded))
        if advance is not None:
            advance(covered)
    return stored


@dataclass(frozen=True)
class TokenRows:
    """Token sets as CSR arrays: row k's token ids, sorted and unique, are
    `indices[indptr[k]:indptr[k + 1]]` (int64 indptr, int32 ids); ids index `vocab`, sorted
    (Python string order), as `qbank.overlap.matrix.to_matrix` numbers them."""

    indptr: np.ndarray
    indices: np.ndarray
    vocab: list[str]

    def sizes(self) -> np.ndarray:
        """Set sizes (int64)."""
        return np.diff(self.indptr)


def read_token_rows(
    session: Session, tokenizer: str, digests: bytes, advance: Advance = None
) -> TokenRows | None:
    """The stored token sets of the texts whose keys' SHA-256 digests `digests` holds (32
    bytes a row, in order; keys may repeat) as `TokenRows`; None when one of them has none
    stored under `tokenizer`.

    The keys are written out in hex a chunk at a time and each chunk's tokens become ids as
    they are read: a large scope holds one string per distinct token and arrays of ids, never
    a list of strings per text nor a string per key (at a million items those lists were the
    check's peak memory, and the strings left memory behind them that later objects kept)."""
    wanted = np.frombuffer(digests, dtype=DIGESTS)
    unique, inverse = unique_digests(wanted)  # sorted: hex order too
    del wanted
    # token -> id in first-seen order: a missing token gets the dictionary's size, so each
    # token is one lookup in C (`map` of `__getitem__`), half the cost of a Python-level
    # `setdefault(token, len(...))` per token (2,000,000 tokens: 0.16 s against 0.30 s)
    ids_of: collections.defaultdict[str, int] = collections.defaultdict()
    ids_of.default_factory = ids_of.__len__
    number = ids_of.__getitem__
    arrived = np.full(len(unique), -1, dtype=np.int64)  # unique key -> row read
    lengths: list[int] = []
    parts: list[np.ndarray] = []
    keys = TextKeys(unique.tobytes())
    for covered, rows in stored_token_lists(session, tokenizer, keys, CHUNK):
        found = [(key, decoded) for key, decoded in rows if decoded is not None]
        # else missing: the caller computes it from the text (`token_list`)
        if found:  # each row's place among the sorted keys (no dictionary of a million keys)
            hexes = "".join(key for key, _ in found)  # keys as asked: exact lowercase hex
            places = find_digests(unique, np.frombuffer(bytes.fromhex(hexes), DIGESTS))
            arrived[places] = np.arange(len(lengths), len(lengths) + len(found))
        ids: list[int] = []
        for _, decoded in found:
            lengths.append(len(decoded))
            ids += map(number, decoded)
        parts.append(np.array(ids, dtype=np.int32))
        if advance is not None:
            advance(covered)
    if (arrived < 0).any():
        return None
    seen = list(ids_of)  # first-seen order; renumbered in string order
    del ids_of
    order = sorted(range(len(seen)), key=seen.__getitem__)
    renumber = np.empty(len(seen), dtype=np.int32)
    renumber[order] = np.arange(len(seen), dtype=np.int32)
    flat = renumber[np.concatenate(parts)] if parts else np.empty(0, dtype=np.int32)
    del parts
    indptr, indices = bands.sorted_rows(np.array(lengths, dtype=np.int64), flat)
    del flat, lengths
    indptr, indices = bands.take_rows(indptr, indices, arrived[inverse])
    return TokenRows(indptr, indices.astype(np.int32, copy=False), [seen[k] for k in order])


def read_signatures(
    session: Session,
    tokenizer: str,
    keys: Sequence[str],
    *,
    num_perm: int,
    seed: int,
    columns: int | None = None,
    advance: Advance = None,
) -> StoredSignatures:
    """The stored signatures of `keys` (one row per key, in order) with these parameters;
    `columns`: only the first so many values of each (those LSH bands use).

    Values are little-endian uint32 (datasketch's default scheme) or uint64, as
    `qbank.overlap.minhash.to_bytes` wrote them; one of another length counts as missing.
    Keys are held as digests (`unique_digests`), not as a dictionary of a million strings.
    """
    unique, inverse = unique_digests(digests_of(keys))
    distinct = len(unique) == len(keys)
    # Rows are filled in the keys' order when the keys are distinct (no copy of the array
    # after), else in the order of `unique` and taken row by row at the end.
    target = np.arange(len(unique))
    if distinct:
        target[inverse] = np.arange(len(keys))
    width = columns if columns is not None else num_perm
    filled: np.ndarray | None = None
    found = np.zeros(len(unique), dtype=bool)
    for chunk, rows in _signature_rows(session, tokenizer, unique, num_perm, seed):
        kept, places = found_keys(unique, [key for key, _ in rows])
        if filled is None:  # the first of the keys' rows of a known length sets the scheme
            lengths = (len(rows[k][1]) for k in kept)
            size = next((n for n in lengths if n in (4 * num_perm, 8 * num_perm)), 0)
            if size:
                dtype = np.dtype(f"<u{size // num_perm}")
                filled = np.zeros((len(unique), width), dtype=dtype.newbyteorder("="))
        if filled is not None and kept:
            size = filled.itemsize * num_perm
            sized = np.array([len(rows[k][1]) == size for k in kept], dtype=bool)
            if not sized.all():  # rows of another scheme count as missing
                kept, places = [k for k, ok in zip(kept, sized, strict=True) if ok], places[sized]
            if kept:
                data = b"".join([rows[k][1] for k in kept])
                values = np.frombuffer(data, dtype=filled.dtype.newbyteorder("<"))
                filled[target[places]] = values.reshape(len(kept), num_perm)[:, :width]
                found[places] = True
        if advance is not None:
            advance(chunk)
    if filled is None:
        filled = np.zeros((len(unique), width), dtype=np.uint32)
    missing = ~found[inverse]
    if distinct:
        return StoredSignatures(filled, np.flatnonzero(missing).tolist())
    return StoredSignatures(filled[inverse], np.flatnonzero(missing).tolist())


def _signature_rows(
    session: Session, tokenizer: str, unique: np.ndarray, num_perm: int, seed: int
) -> Iterator[tuple[int, Sequence[tuple[str, bytes]]]]:
    """(keys covered, rows of (key, data)) batches: the stored signatures of the keys whose
    digests `unique` holds (sorted, distinct) with these parameters, and perhaps others (the
    caller keeps those of its keys: `found_keys`).

    When the table holds at most twice as many rows as keys (a database of one large bank),
    one scan of it costs a fraction of looking each key up; otherwise the keys are looked up,
    sorted, CHUNK at a time."""
    connection = session.connection()
    same = (
        Signature.tokenizer == tokenizer,
        Signature.num_perm == num_perm,
        Signature.seed == seed,
    )
    columns = select(Signature.text_sha256, Signature.data)
    stored = connection.scalar(select(func.count()).select_from(Signature)) or 0
    if stored <= 2 * len(unique):
        result = connection.execute(columns.where(*same))
        while batch := result.fetchmany(SCAN_BATCH):
            yield 0, batch
        yield len(unique), []
        return
    ordered = TextKeys(unique.tobytes())  # sorted: hex order too
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start : start + CHUNK]
        yield (
            len(chunk),
            connection.execute(columns.where(*same, Signature.text_sha256.in_(chunk))).fetchall(),
        )
