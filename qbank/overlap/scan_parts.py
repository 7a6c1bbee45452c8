"""Stored token sets and signatures found by a scan of their table, a part of it at a time.

A check of a large scope reads the signature of every row and the token sets of nearly every
row (a million items' LSH gave 7.6 million candidate pairs): one scan of each table, each
row's key sought among the wanted keys' digests. `qbank.overlap.stored` scans a table's
first rows itself while a worker process scans the rest (`token_part`, `signature_part`,
reading the SQLite file in a read transaction of its own). The worker sends back arrays: for
token sets, each kept row's place among the wanted keys, its length, its token ids and the
part's own vocabulary, which the caller renumbers into its own; for signatures, each kept
row's place and the values LSH uses, grouped by their width (`signature_batch`).

This module loads numpy and the standard library, not the overlap engine or the ORM: the worker
is ready about a fifth of a second after it is started.
"""

from __future__ import annotations

import collections
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from qbank.json_column import token_list
from qbank.overlap.digests import DIGESTS, find_digests, found_keys

SCAN_BATCH = 5000
"""Rows fetched at a time when a whole table (token sets, signatures) is scanned."""

StoredRows = list[tuple[str, "list[str] | None"]]


class Fetching(Protocol):
    """A query's result read a batch at a time (a SQLAlchemy result, a `sqlite3` cursor)."""

    def fetchmany(self, size: int) -> Sequence[Any]: ...


def scanned_rows(
    result: Fetching, wanted: np.ndarray, count: int, stored: int
) -> Iterator[tuple[int, StoredRows]]:
    """The rows of `result` (a scan of about `stored` (key, token JSON) rows) whose key is one
    of `wanted` (DIGESTS, sorted, distinct) written exactly as qbank writes it (lowercase hex:
    `digests.found_keys`), in batches: how many of the `count` keys asked the batch accounts
    for (in proportion to the rows scanned), and its rows, (key, token list, or None when the
    row holds anything else: `qbank.json_column.token_list`, each row decoded on its own)."""
    scanned = covered = 0
    while batch := result.fetchmany(SCAN_BATCH):
        kept, _ = found_keys(wanted, [key for key, _ in batch])
        rows = [(batch[k][0], token_list(batch[k][1])) for k in kept]
        scanned += len(batch)
        done = min(count, count * scanned // max(stored, 1))
        yield done - covered, rows
        covered = done
    yield count - covered, []


@dataclass(frozen=True)
class TokenPart:
    """Token sets read in one part: the place of each row found among the wanted keys, its
    number of tokens, their ids (rows one after another) and the strings the ids stand for."""

    places: np.ndarray  # int64
    lengths: np.ndarray  # int64
    ids: np.ndarray  # int32
    vocab: list[str]


class TokenIds:
    """Token rows numbered as they arrive (`add`): a token's id is the number of distinct
    tokens seen before it (`vocab` in first-seen order)."""

    def __init__(self, wanted: np.ndarray) -> None:
        self.wanted = wanted  # DIGESTS, sorted, distinct
        # token -> id in first-seen order: a missing token gets the dictionary's size, so
        # each token is one lookup in C (`map` of `__getitem__`), half the cost of a
        # Python-level `setdefault(token, len(...))` per token (2,000,000 tokens: 0.16 s
        # against 0.30 s)
        self._ids: collections.defaultdict[str, int] = collections.defaultdict()
        self._ids.default_factory = self._ids.__len__
        self._places: list[np.ndarray] = []
        self._lengths: list[int] = []
        self._parts: list[np.ndarray] = []

    def add(self, rows: StoredRows) -> None:
        """Rows of wanted keys (key, token list or None); a None row is left out: its key
        counts as not stored (the caller computes it from the text)."""
        found = [(key, decoded) for key, decoded in rows if decoded is not None]
        if not found:
            return
        hexes = "".join(key for key, _ in found)  # keys as asked: exact lowercase hex
        found_at = np.frombuffer(bytes.fromhex(hexes), DIGESTS)
        self._places.append(find_digests(self.wanted, found_at))
        number = self._ids.__getitem__
        ids: list[int] = []
        for _, decoded in found:
            self._lengths.append(len(decoded))
            ids += map(number, decoded)
        self._parts.append(np.array(ids, dtype=np.int32))

    def ids(self, tokens: Iterable[str]) -> np.ndarray:
        """The ids of `tokens` (another part's vocabulary), numbering those not seen yet."""
        return np.fromiter(map(self._ids.__getitem__, tokens), dtype=np.int32)

    def part(self) -> TokenPart:
        """What has been added, as arrays."""
        return TokenPart(
            np.concatenate(self._places) if self._places else np.empty(0, dtype=np.int64),
            np.array(self._lengths, dtype=np.int64),
            np.concatenate(self._parts) if self._parts else np.empty(0, dtype=np.int32),
            list(self._ids),
        )


Sized = dict[int, tuple[np.ndarray, np.ndarray]]
"""Signature rows by byte length: their places among the wanted keys (int64) and values."""


def signature_batch(
    wanted: np.ndarray,
    rows: Sequence[tuple[Any, Any]],
    num_perm: int,
    width: int,
    sizes: Sequence[int],
) -> tuple[int, Sized]:
    """Of a batch of (key, data) signature rows: the byte length of the first row of a wanted
    key (`digests.found_keys`) whose length is one of `sizes` (0: none is), and for each such
    length, those rows' places among `wanted` and their first `width` values (4 or 8 bytes a
    value, little-endian, as native unsigned integers). A row of another length counts as not
    stored (a signature of another scheme, or not a signature)."""
    kept, places = found_keys(wanted, [key for key, _ in rows])
    lengths = [len(rows[k][1]) if isinstance(rows[k][1], _BYTES) else -1 for k in kept]
    first = next((n for n in lengths if n in sizes), 0)
    found: Sized = {}
    for size in sizes:
        mine = [n == size for n in lengths]
        if not any(mine):
            continue
        data = b"".join([rows[k][1] for k, ok in zip(kept, mine, strict=True) if ok])
        dtype = np.dtype(f"<u{size // num_perm}")
        values = np.frombuffer(data, dtype=dtype).reshape(-1, num_perm)[:, :width]
        found[size] = (places[np.array(mine)], values.astype(dtype.newbyteorder("=")))
    return first, found


_BYTES = (bytes, bytearray, memoryview)


def loaded() -> None:
    """What a scan worker runs first: nothing; naming it imports this module (numpy)."""


def token_part(
    path: str, sql: str, parameters: Sequence[Any], wanted: bytes
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """In a worker: the token sets of the `wanted` keys (DIGESTS bytes, sorted, distinct)
    among the (key, token JSON) rows that `sql` selects from the SQLite file `path`
    (`qbank.db.read_only_rows`), as a `TokenPart`'s fields."""
    from qbank.db import read_only_rows

    numbered = TokenIds(np.frombuffer(wanted, dtype=DIGESTS))
    count = len(numbered.wanted)
    with read_only_rows(path, sql, parameters) as cursor:
        for _, rows in scanned_rows(cursor, numbered.wanted, count, count):  # no progress
            numbered.add(rows)
    part = numbered.part()
    return part.places, part.lengths, part.ids, part.vocab


def signature_part(
    path: str,
    sql: str,
    parameters: Sequence[Any],
    wanted: bytes,
    num_perm: int,
    width: int,
) -> tuple[int, Sized]:
    """In a worker: the signatures of the `wanted` keys (DIGESTS bytes, sorted, distinct)
    among the (key, data) rows that `sql` selects from the SQLite file `path`
    (`qbank.db.read_only_rows`): the byte length of the first row of a known length (4 or 8
    bytes a value; 0: none) and, by length, the rows' places and their first `width` values
    (`signature_batch`)."""
    from qbank.db import read_only_rows

    keys = np.frombuffer(wanted, dtype=DIGESTS)
    sizes = (4 * num_perm, 8 * num_perm)
    first = 0
    parts: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {size: [] for size in sizes}
    with read_only_rows(path, sql, parameters) as cursor:
        while batch := cursor.fetchmany(SCAN_BATCH):
            batch_first, found = signature_batch(keys, batch, num_perm, width, sizes)
            first = first or batch_first
            for size, part in found.items():
                parts[size].append(part)
    return first, {
        size: (np.concatenate([p for p, _ in found]), np.concatenate([v for _, v in found]))
        for size, found in parts.items()
        if found
    }
