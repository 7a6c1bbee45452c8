"""A theory check of a large scope from what an import stored: signatures first, tokens only
for the rows LSH makes candidates.

The report is the one `report.theory_report` makes of the scope's units (same pairs, counts,
method and candidate count): LSH needs only the signatures, exact verification only the
tokens of rows in a candidate pair, and every row in a pair of identical texts is in a
candidate pair (identical texts have identical token sets, so identical signatures). Rows are
still read and re-hashed one by one (`qbank.content`, ContentTampered otherwise), but kept as
one `ListedItem` and a text key digest each, not as units with token lists. A large scope
in a SQLite file is re-hashed in two parts at once, the last by a worker process
(`scope_rows_in_parts`).

Memory (issue #12, a million items under 1.5 GB): what a stage no longer needs is freed
before the next one's largest arrays exist. Keys stay digests (`TextKeys`), written out in
hex a chunk at a time; the signatures are freed once the kernel has the band keys
(`lsh.banded`); candidates' tokens are read straight into id arrays (`stored.read_token_rows`).

Where something is not stored (a signature, a candidate's tokens), `stored_theory` returns
None and the caller takes the path that computes and stores it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain, takewhile
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qbank.content import verified_item_dict
from qbank.item_rows import ItemRow
from qbank.model import Bank, Item
from qbank.overlap import bands as numpy_bands
from qbank.overlap.digests import DIGESTS, TextKeys, unique_digests
from qbank.overlap.document import ListedItem, LshMethod, Method
from qbank.overlap.fingerprints import TextUnit, tokenizer_info
from qbank.overlap.lsh_params import lsh_params
from qbank.overlap.pairs import VERIFY_CHUNK, Pair
from qbank.overlap.scope_rows import rehashed
from qbank.overlap.stored import TokenRows, read_signatures, read_token_rows
from qbank.overlap.units import (
    Progress,
    listed_item_rows,
    sqlite_item_rows,
    stage_counter,
    stream_item_rows,
)
from qbank.policy import Policy
from qbank.worker import WorkerFailed

if TYPE_CHECKING:
    from qbank.overlap.lsh import Banded
    from qbank.text.tokens import Tokenizer
    from qbank.worker import Worker

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredPairs:
    """A scope's items in order, its near-duplicate pairs (indices, sorted) and the method."""

    listed: tuple[ListedItem, ...]
    pairs: list[Pair]
    method: Method


def scope_rows(
    rows: Iterable[ItemRow], consequence: str = "overlap"
) -> tuple[list[ListedItem], TextKeys]:
    """Each row re-hashed (ContentTampered otherwise): its `ListedItem` and its text key."""
    listed, digests = rehashed(rows, consequence)
    return listed, TextKeys(digests)


PARALLEL_SCOPE = 25_000
"""Fewest items in a scope for which a worker process re-hashes its last part while this one
re-hashes the rest (SQLite, two cores or more). The worker loads only `qbank.overlap.
scope_rows` and is ready in about 0.1 s; a row costs 11-16 µs to read and re-hash, so parts of
fewer rows gain too little. A 55,000-item check, alternating (2026-12-04): 1.74, 1.76 s with
the worker taking 40% against 1.81, 1.88 s at half and about 1.98 s with no worker; reports
identical. Earlier, with a worker importing the whole overlap engine (0.5 s to start), the
million-item check took 30.8, 29.3 s against 34.0 s alone."""


def scope_rows_in_parts(
    session: Session, bank: Bank, head: Sequence[ItemRow], rows: Iterator[ItemRow]
) -> tuple[list[ListedItem], TextKeys]:
    """`scope_rows` of the bank's rows (`head`, then the rest of the stream `rows`): for a
    large scope in a SQLite file, the last `_WORKER_SHARE` of them by a worker process reading
    the file itself (`scope_part`) while this process does the rest. The same rows in the same
    order either way; a worker that cannot start or fails (a re-hash that does not match
    included) leaves its part to this process, which then meets the same error."""
    part = _start_part(session, bank)
    if part is None:
        return scope_rows(chain(head, rows))
    worker, request, split = part
    try:
        listed, keys = scope_rows(takewhile(lambda row: row.item_id <= split, chain(head, rows)))
        close = getattr(rows, "close", None)
        if close is not None:
            close()  # the rest of the stream is the worker's
        try:
            ids, guids, versions, digests = worker.result(request)
        except WorkerFailed as error:
            _log.info("scope worker failed, re-hashing its rows here: %s", error)
            theirs, their_keys = scope_rows(stream_item_rows(session, bank, after=split))
        else:
            theirs = list(map(ListedItem, ids, guids, versions))
            their_keys = TextKeys(digests)
    finally:
        worker.close()
    return listed + theirs, TextKeys(keys.packed + their_keys.packed)


def _start_part(session: Session, bank: Bank) -> tuple[Worker, int, int] | None:
    """A worker re-hashing the scope's last rows (and the id of the item before them), when
    the scope is large and in a SQLite file and the machine has a core to spare."""
    from qbank import worker as workers
    from qbank.db import sqlite_path, worker_query

    connection = session.connection()
    path = sqlite_path(connection)
    if path is None or workers.cores() < 2:
        return None
    # The bank's items, deleted ones too, read from the index on bank_id alone (the live
    # items' join of a million versions took 1.6 s to count and to skip): the split needs no
    # exact count, any item id divides the scope's rows the same way whichever reads them.
    ids = select(Item.id).where(Item.bank_id == bank.id)
    total = int(connection.scalar(select(func.count()).select_from(ids.subquery())) or 0)
    if total < PARALLEL_SCOPE:
        return None
    skip = total - int(total * _WORKER_SHARE) - 1
    split = connection.scalar(ids.order_by(Item.id).offset(skip).limit(1))
    if split is None:
        return None
    worker = workers.start_worker(warm=f"{_PART}:loaded")
    if worker is None:
        return None
    query = worker_query(connection, sqlite_item_rows(bank.id, split))
    request = worker.submit(f"{_PART}:scope_part", *query)
    return worker, request, split


_WORKER_SHARE = 0.48
"""The scope's share the worker re-hashes. It starts later and reads its rows with `sqlite3`
and `qbank.item_rows`; at 55,000 items it re-hashed a row a little slower than this process's
Core stream (16 against 11 µs: at half it finished last by 0.15-0.28 s, at 40% the two ended
together), but at a million this process keeps more and slows more: with the worker at 40%
it re-hashed its 600,000 rows in 9.1 s and the worker was done before it (15 against about
16.5 µs a row); at 47% 7.8-8.2 s, the worker done first again; at half 7.5-7.6 s, then
0.27-0.34 s waiting for the worker (2026-12-05)."""

_PART = "qbank.overlap.scope_rows"
"""Where the worker's function lives: a module that loads no more than re-hashing needs."""


def stored_theory(
    session: Session,
    listed: Sequence[ListedItem],
    keys: TextKeys,
    policy: Policy,
    tokenizer: Tokenizer | None,
    progress: Progress = None,
) -> StoredPairs | None:
    """The scope's pairs from stored signatures and the stored tokens of candidate rows;
    None when a signature or a candidate's token set is not stored."""
    threshold = float(policy.similarity_threshold.value)
    num_perm, seed = int(policy.num_perm.value), int(policy.seed.value)
    recall = float(policy.lsh_min_recall.value)
    bands, rows = lsh_params(threshold, num_perm, min_recall=recall)
    tkey = tokenizer_info(tokenizer).key
    advance = stage_counter(progress, "signatures", len(set(keys)))
    sigs = read_signatures(
        session, tkey, keys, num_perm=num_perm, seed=seed, columns=bands * rows, advance=advance
    )
    if sigs.missing:
        return None
    banding = _banded(sigs.rows, bands, rows)
    del sigs  # a scope the kernel bands needs only its band keys from here on
    counter = stage_counter(progress, "candidates", bands)
    if isinstance(banding, tuple):
        counter(bands)
        ci, cj = banding
    else:
        from qbank.overlap.lsh import banded_candidates

        ci, cj = banded_candidates(banding, progress=counter)
    del banding
    # the rows in a candidate pair, in order, and each one's place among them (marked, not
    # sorted: a million items' candidates were 3 s of sorting and searching)
    in_pair = np.zeros(len(listed), dtype=bool)
    in_pair[ci] = True
    in_pair[cj] = True
    needed = np.flatnonzero(in_pair)
    del in_pair
    tokens = read_token_rows(
        session, tkey, keys.digests(needed), stage_counter(progress, "tokenise", len(needed))
    )
    if tokens is None:
        return None
    count = len(ci)
    place = np.full(len(listed), -1, dtype=np.int64)
    place[needed] = np.arange(len(needed))
    local_i = place[ci]
    del ci
    local_j = place[cj]
    del cj, place
    ki, kj = _verified(
        tokens, local_i, local_j, threshold, stage_counter(progress, "verify", count)
    )
    del local_i, local_j
    found = set(zip(ki.tolist(), kj.tolist(), strict=True))
    found |= _identical(session, listed, keys, needed, tokens.sizes())
    pairs = _exact_pairs(tokens, needed, sorted(found))
    return StoredPairs(tuple(listed), pairs, LshMethod(bands, rows, recall, count))


def _banded(sigs: np.ndarray, bands: int, rows: int) -> tuple[np.ndarray, np.ndarray] | Banded:
    """The candidate pairs when numpy lists them; else (buckets too full for numpy) the
    scope's band keys for the kernel, which lists each pair once (`lsh.banded_candidates`)."""
    found = numpy_bands.candidates(sigs, bands, rows)
    if found is not None:
        return found
    from qbank.overlap.lsh import banded

    return banded(sigs, bands, rows)


def _verified(
    tokens: TokenRows,
    i: np.ndarray,
    j: np.ndarray,
    threshold: float,
    advance: Callable[[int], None],
) -> tuple[np.ndarray, np.ndarray]:
    """The candidate pairs (indices into `tokens`' rows) whose exact Jaccard reaches the
    threshold, in their order, as `exact.verify` keeps them."""
    if len(i) <= numpy_bands.MAX_VERIFY_PAIRS:
        jac = numpy_bands.jaccard(tokens.indptr, tokens.indices, i, j)
        assert jac is not None
        advance(len(i))
        keep = jac >= threshold
        return i[keep], j[keep]
    from qbank.overlap.exact import verify
    from qbank.overlap.matrix import TokenMatrix

    matrix = TokenMatrix(tokens.indptr, tokens.indices, tokens.vocab)
    kept_i, kept_j = [], []
    for start in range(0, len(i), VERIFY_CHUNK):
        a, b = i[start : start + VERIFY_CHUNK], j[start : start + VERIFY_CHUNK]
        ka, kb, _ = verify(matrix, a, b, threshold)
        kept_i.append(ka)
        kept_j.append(kb)
        advance(len(a))
    return np.concatenate(kept_i), np.concatenate(kept_j)


def _exact_pairs(
    tokens: TokenRows, needed: np.ndarray, found: Sequence[tuple[int, int]]
) -> list[Pair]:
    """The pairs `found` (indices into `tokens`' rows, sorted) with their shared and union
    token counts, as `pairs._exact_pair` counts them on the token sets, by scope index."""
    a = np.fromiter((p[0] for p in found), dtype=np.int64, count=len(found))
    b = np.fromiter((p[1] for p in found), dtype=np.int64, count=len(found))
    shared, union = numpy_bands.shared_and_union(tokens.indptr, tokens.indices, a, b)
    return list(map(Pair, needed[a].tolist(), needed[b].tolist(), shared.tolist(), union.tolist()))


def _identical(
    session: Session,
    listed: Sequence[ListedItem],
    keys: TextKeys,
    needed: np.ndarray,
    sizes: np.ndarray,
) -> set[tuple[int, int]]:
    """Pairs (indices into `needed`) of identical texts: equal stored keys, or, for texts
    without tokens, equal folded texts (`fingerprints.text_key`), as `pairs.near_duplicates`
    adds them. Keys are compared as their digests (hex and digest are one-to-one)."""
    digests = np.frombuffer(keys.digests(needed), dtype=DIGESTS).copy()
    empty = np.flatnonzero(sizes == 0).tolist()
    if empty:
        rows = listed_item_rows(session, [listed[int(needed[k])] for k in empty])
        for k, row in zip(empty, rows, strict=True):
            content = verified_item_dict(row, guid=row.guid, consequence="overlap")
            options = content["options"]
            text = TextUnit(content["stem"], tuple(options[o] for o in row.options))
            digests[k] = np.void(bytes.fromhex(text.folded_key))
    group = unique_digests(digests)[1]
    counts = np.bincount(group)
    shared = np.flatnonzero(counts[group] > 1)  # rows whose key another row has too
    shared = shared[np.argsort(group[shared], kind="stable")]
    bounds = np.flatnonzero(np.diff(group[shared])) + 1
    found: set[tuple[int, int]] = set()
    for members in np.split(shared, bounds) if len(shared) else []:
        g = members.tolist()
        found.update((g[x], g[y]) for x in range(len(g)) for y in range(x + 1, len(g)))
    return found
