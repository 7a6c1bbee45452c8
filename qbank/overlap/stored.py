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
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import ColumnElement, Result, Select, func, literal_column, select
from sqlalchemy.orm import Session

from qbank.canonical import canonical_text
from qbank.db import sqlite_path, worker_query
from qbank.model import Base, Signature, TokenSet
from qbank.overlap import bands
from qbank.overlap.digests import (
    DIGESTS,
    TextKeys,
    digests_of,
    unique_digests,
)
from qbank.overlap.fingerprints import (
    TextUnit,
    looked_up_token_lists,
    stored_token_lists,
    token_scan,
)
from qbank.overlap.scan_parts import (
    SCAN_BATCH,
    Sized,
    TokenIds,
    TokenPart,
    scanned_rows,
    signature_batch,
)
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
    they are read (`scan_parts.TokenIds`): a large scope holds one string per distinct token
    and arrays of ids, never a list of strings per text nor a string per key (at a million
    items those lists were the check's peak memory, and the strings left memory behind them
    that later objects kept). A large scan is read in two parts at once (`_scanned`)."""
    wanted = np.frombuffer(digests, dtype=DIGESTS)
    unique, inverse = unique_digests(wanted)  # sorted: hex order too
    del wanted
    numbered = TokenIds(unique)
    theirs: TokenPart | None = None
    scan = token_scan(session, tokenizer, len(unique))  # the table counted once
    if scan is not None:
        stmt, stored = scan
        count = len(unique)
        parts = _scanned(session, TokenSet, stmt, stored, "token_part", unique.tobytes())
        for result, part in parts:
            if result is None:
                theirs = TokenPart(*part)
                continue
            for covered, rows in scanned_rows(result, unique, count, stored):
                numbered.add(rows)
                if advance is not None:
                    advance(covered)
    else:
        keys = TextKeys(unique.tobytes())
        for covered, rows in looked_up_token_lists(session, tokenizer, keys, CHUNK):
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


PARALLEL_SCAN = 200_000
"""Fewest rows in a table (token sets, signatures) for which a check's scan of it is read in
two parts at once, the table's last rows by a worker process, when the file is SQLite and the
machine has two cores. A token set costs about 6 µs to fetch, seek among the wanted keys,
decode and number, a signature about 3 µs; the worker is ready in about 0.2 s."""

_WORKER_ROWS = 0.5
"""The share of the table's rows (by rowid) that the worker scans."""

_SCAN_PARTS = "qbank.overlap.scan_parts"
"""Where the worker's functions live: a module that loads no more than a scan needs."""


def _scanned(
    session: Session,
    table: type[Base],
    stmt: Select[str, Any],
    stored: int,
    function: str,
    *arguments: Any,
) -> Iterator[tuple[Result[str, Any] | None, Any]]:
    """The scan `stmt` of `table` (which holds `stored` rows), in parts: (a result to read
    here, None) for the rows read by this process, and (None, what the worker's `scan_parts`
    `function` returned) for the rows it read. From PARALLEL_SCAN rows on, a SQLite file on a
    machine with a spare core is split at a rowid: the worker gets the rows after it
    (`function(*qbank.db.worker_query(...), *arguments)`), this process reads the rest
    meanwhile, then the worker's answer (or, when the worker failed, its rows itself).
    Elsewhere this process reads every row."""
    connection = session.connection()
    started = _scan_worker(session, table) if stored >= PARALLEL_SCAN else None
    if started is None:
        yield connection.execute(stmt), None
        return
    worker, split = started
    rowid = _rowid(table)
    theirs = worker_query(connection, stmt.where(rowid > split))
    try:
        number = worker.submit(f"{_SCAN_PARTS}:{function}", *theirs, *arguments)
        yield connection.execute(stmt.where(rowid <= split)), None
        try:
            answer = worker.result(number)
        except WorkerFailed as error:
            _log.info("scan worker failed, reading its rows here: %s", error)
            yield connection.execute(stmt.where(rowid > split)), None
        else:
            yield None, answer
    finally:
        worker.close()


def _rowid(table: type[Base]) -> ColumnElement[Any]:
    return literal_column(f"{table.__tablename__}.rowid")


def _scan_worker(session: Session, table: type[Base]) -> tuple[Worker, int] | None:
    """A worker for the last `_WORKER_ROWS` of `table`'s rows and the rowid they follow; None
    for anything but a SQLite file, an empty table, or a machine without a spare core."""
    from qbank import worker as workers

    connection = session.connection()
    path = sqlite_path(connection)
    if path is None or connection.dialect.name != "sqlite" or workers.cores() < 2:
        return None
    rowid = _rowid(table)
    # min and max in one query scan the table; each on its own is one seek
    low = connection.scalar(select(func.min(rowid)).select_from(table))
    high = connection.scalar(select(func.max(rowid)).select_from(table))
    if low is None or high is None:
        return None
    worker = workers.start_worker(warm=f"{_SCAN_PARTS}:loaded")
    if worker is None:
        return None
    split = int(high) - int((int(high) - int(low) + 1) * _WORKER_ROWS)
    return worker, split


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
    `qbank.overlap.minhash.to_bytes` wrote them: the first row found of either length sets
    the scheme, and a row of another length counts as missing (`scan_parts.signature_batch`).
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
    batches = _signature_batches(session, tokenizer, unique, num_perm, seed, width)
    for chunk, (first, sized) in batches:
        if filled is None and first:  # the first row of a known length sets the scheme
            dtype = np.dtype(f"<u{first // num_perm}").newbyteorder("=")
            filled = np.zeros((len(unique), width), dtype=dtype)
        rows = None if filled is None else sized.get(filled.itemsize * num_perm)
        if filled is not None and rows is not None:
            places, values = rows
            filled[target[places]] = values
            found[places] = True
        if advance is not None:
            advance(chunk)
    if filled is None:
        filled = np.zeros((len(unique), width), dtype=np.uint32)
    missing = ~found[inverse]
    if distinct:
        return StoredSignatures(filled, np.flatnonzero(missing).tolist())
    return StoredSignatures(filled[inverse], np.flatnonzero(missing).tolist())


def _signature_batches(
    session: Session, tokenizer: str, unique: np.ndarray, num_perm: int, seed: int, width: int
) -> Iterator[tuple[int, tuple[int, Sized]]]:
    """(keys covered, `scan_parts.signature_batch` of rows) batches: the stored signatures
    of the keys whose digests `unique` holds (sorted, distinct) with these parameters.

    When the table holds at most twice as many rows as keys (a database of one large bank),
    one scan of it (in two parts when it is large: `_scanned`) costs a fraction of looking
    each key up; otherwise the keys are looked up, sorted, CHUNK at a time."""
    connection = session.connection()
    same = (
        Signature.tokenizer == tokenizer,
        Signature.num_perm == num_perm,
        Signature.seed == seed,
    )
    columns = select(Signature.text_sha256, Signature.data)
    sizes = (4 * num_perm, 8 * num_perm)
    stored = connection.scalar(select(func.count()).select_from(Signature)) or 0
    if stored <= 2 * len(unique):
        stmt = columns.where(*same)
        arguments = (unique.tobytes(), num_perm, width)
        for result, part in _scanned(
            session, Signature, stmt, stored, "signature_part", *arguments
        ):
            if result is None:
                yield 0, part
                continue
            while batch := result.fetchmany(SCAN_BATCH):
                yield 0, signature_batch(unique, batch, num_perm, width, sizes)
        yield len(unique), (0, {})
        return
    ordered = TextKeys(unique.tobytes())  # sorted: hex order too
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start : start + CHUNK]
        rows = connection.execute(columns.where(*same, Signature.text_sha256.in_(chunk)))
        yield len(chunk), signature_batch(unique, rows.fetchall(), num_perm, width, sizes)
