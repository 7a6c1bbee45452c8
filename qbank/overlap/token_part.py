"""Stored token sets found by a scan and turned into token ids, a part of the table at a time.

A check of a large scope reads the token sets of nearly every row (a million items' LSH gave
7.6 million candidate pairs): one scan of the table, each row's key sought among the wanted
keys' digests, its JSON decoded, its tokens numbered. `qbank.overlap.stored.read_token_rows`
scans the table's first rows itself while a worker process scans the rest (`token_part`,
reading the SQLite file in a read transaction of its own) and sends back ids, not token
lists: a part is each kept row's place among the wanted keys, its length, its token ids and
the part's own vocabulary, which the caller renumbers into its own.

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


def loaded() -> None:
    """What a token worker runs first: nothing; naming it imports this module (numpy)."""


def token_part(
    path: str, sql: str, parameters: Sequence[Any], wanted: bytes, count: int, stored: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """In a worker: the token sets of the `wanted` keys (DIGESTS bytes, sorted, distinct)
    among the (key, token JSON) rows that `sql` (compiled for SQLite) selects from the file
    `path`, read in a read transaction of its own (the caller holds the write lock, so the
    file is as the caller sees it), as a `TokenPart`'s fields."""
    from qbank.db import read_only_sqlite

    numbered = TokenIds(np.frombuffer(wanted, dtype=DIGESTS))
    connection = read_only_sqlite(path)
    try:
        cursor = connection.execute(sql, parameters)
        for _, rows in scanned_rows(cursor, numbered.wanted, count, stored):
            numbered.add(rows)
    finally:
        connection.close()
    part = numbered.part()
    return part.places, part.lengths, part.ids, part.vocab
