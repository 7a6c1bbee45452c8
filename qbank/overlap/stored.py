"""Stored token sets and MinHash signatures of a scope, read in bulk with Core queries.

`qbank.overlap.fingerprints` computes and stores them (at import, or the first time a check
meets a text); a check whose texts are all stored reads them here without ORM objects, and
without loading a tokenizer or normalising any text. What is missing is left to
`fingerprints` to compute.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import ColumnElement, Select, func, literal_column, select
from sqlalchemy.orm import Session

from qbank.canonical import canonical_text
from qbank.model import Signature, TokenSet
from qbank.overlap import bands
from qbank.overlap.digests import (
    DIGESTS,
    TextKeys,
    digests_of,
    found_keys,
    unique_digests,
)
from qbank.overlap.fingerprints import TextUnit, stored_token_lists, token_scan
from qbank.overlap.token_part import SCAN_BATCH, TokenIds, TokenPart, scanned_rows
from qbank.worker import WorkerFailed

if TYPE_CHECKING:
    from qbank.worker import Worker

_log = logging.getLogger(__name__)

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
    they are read (`token_part.TokenIds`): a large scope holds one string per distinct token
    and arrays of ids, never a list of strings per text nor a string per key (at a million
    items those lists were the check's peak memory, and the strings left memory behind them
    that later objects kept). A large scan of a SQLite file is read in two parts at once, the
    table's last rows by a worker process (`_scan_in_parts`)."""
    wanted = np.frombuffer(digests, dtype=DIGESTS)
    unique, inverse = unique_digests(wanted)  # sorted: hex order too
    del wanted
    numbered = TokenIds(unique)
    scan = token_scan(session, tokenizer, len(unique))
    parts = _start_parts(session, scan, unique) if scan and scan[1] >= PARALLEL_TOKENS else None
    if parts is not None:
        theirs = _read_in_parts(session, parts, numbered, advance)
    else:
        theirs = None
        keys = TextKeys(unique.tobytes())
        for covered, rows in stored_token_lists(session, tokenizer, keys, CHUNK):
            numbered.add(rows)
            if advance is not None:
                advance(covered)
    if theirs is not None:  # their ids in this process's numbering, new tokens after
        theirs = replace(theirs, ids=numbered.ids(theirs.vocab)[theirs.ids])
    part = numbered.part()
    if theirs is not None:
        part = TokenPart(
            np.concatenate((part.places, theirs.places)),
            np.concatenate((part.lengths, theirs.lengths)),
            np.concatenate((part.ids, theirs.ids)),
            part.vocab,
        )
    arrived = np.full(len(unique), -1, dtype=np.int64)  # unique key -> row read
    arrived[part.places] = np.arange(len(part.places))
    if (arrived < 0).any():
        return None
    seen = part.vocab  # first-seen order; renumbered in string order
    order = sorted(range(len(seen)), key=seen.__getitem__)
    renumber = np.empty(len(seen), dtype=np.int32)
    renumber[order] = np.arange(len(seen), dtype=np.int32)
    flat = renumber[part.ids]
    lengths = part.lengths
    del part
    indptr, indices = bands.sorted_rows(lengths, flat)
    del flat, lengths
    indptr, indices = bands.take_rows(indptr, indices, arrived[inverse])
    return TokenRows(indptr, indices.astype(np.int32, copy=False), [seen[k] for k in order])


PARALLEL_TOKENS = 200_000
"""Fewest rows in the token_sets table for which a scan of it (a large check's candidates)
is read in two parts at once, the last by a worker process, when the file is SQLite and
the machine has two cores. A row costs about 6 µs to fetch, seek among the wanted keys,
decode and number; the worker is ready in about 0.2 s."""

_WORKER_ROWS = 0.5
"""The share of the table's rows (by rowid) that the worker scans."""

_TOKEN_PART = "qbank.overlap.token_part"
"""Where the worker's function lives: a module that loads no more than the scan needs."""


@dataclass(frozen=True)
class _Parts:
    """A scan (`stmt`, about `stored` rows) split at a rowid: the rows after it are the
    worker's, its request `number`."""

    stmt: Select[str, str]
    stored: int
    split: int
    worker: Worker
    number: int


def _rowid() -> ColumnElement[Any]:
    return literal_column(f"{TokenSet.__tablename__}.rowid")


def _start_parts(
    session: Session, scan: tuple[Select[str, str], int], wanted: np.ndarray
) -> _Parts | None:
    """A worker reading the `wanted` keys' rows among the last `_WORKER_ROWS` of the
    token_sets table (by rowid) that `scan` reads, when the database is a SQLite file and the
    machine has a core to spare."""
    from qbank import worker as workers
    from qbank.db import sqlite_path

    connection = session.connection()
    path = sqlite_path(connection)
    if path is None or connection.dialect.name != "sqlite" or workers.cores() < 2:
        return None
    # min and max in one query scan the table; each on its own is one seek
    low = connection.scalar(select(func.min(_rowid())).select_from(TokenSet))
    high = connection.scalar(select(func.max(_rowid())).select_from(TokenSet))
    if low is None or high is None:
        return None
    worker = workers.start_worker(warm=f"{_TOKEN_PART}:loaded")
    if worker is None:
        return None
    stmt, stored = scan
    split = int(high) - int((int(high) - int(low) + 1) * _WORKER_ROWS)
    theirs = stmt.where(_rowid() > split).compile(dialect=connection.dialect)
    arguments = (
        str(Path(path).absolute()),  # as this process finds it, whatever the worker's cwd
        theirs.string,
        [theirs.params[name] for name in theirs.positiontup or ()],
        wanted.tobytes(),
        len(wanted),
        stored,
    )
    number = worker.submit(f"{_TOKEN_PART}:token_part", *arguments)
    return _Parts(stmt, stored, split, worker, number)


def _read_in_parts(
    session: Session, parts: _Parts, numbered: TokenIds, advance: Advance
) -> TokenPart | None:
    """The scan's rows up to the split added to `numbered` here, and the worker's part (in its
    own numbering); None when the worker failed and its rows were added here too."""
    connection = session.connection()
    count = len(numbered.wanted)

    def read(stmt: Select[str, str], advance: Advance) -> None:
        for covered, rows in scanned_rows(
            connection.execute(stmt), numbered.wanted, count, parts.stored
        ):
            numbered.add(rows)
            if advance is not None:
                advance(covered)

    try:
        read(parts.stmt.where(_rowid() <= parts.split), advance)
        try:
            return TokenPart(*parts.worker.result(parts.number))
        except WorkerFailed as error:
            _log.info("token worker failed, reading its rows here: %s", error)
            read(parts.stmt.where(_rowid() > parts.split), None)
            return None
    finally:
        parts.worker.close()


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
