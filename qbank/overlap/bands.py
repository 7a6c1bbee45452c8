"""LSH candidates and exact Jaccard in plain numpy, for a check of stored signatures.

`qbank.overlap.lsh.candidates` and `qbank.overlap.exact.verify` are numba kernels: loading
numba and its cached kernels costs a fresh process about a second, more than a 55k-item scope's
whole banding and verification take in numpy. The functions here give exactly what those
kernels give (the same band keys, so the same candidate pairs in the same order, and the same
Jaccard values), and step aside for the kernels (`None`) when a scope's buckets or candidates
are so many that the kernels' compiled loops pay for their start-up.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import chain

import numpy as np

# The band keys' constants, also `qbank.overlap.lsh._keys_into`'s: the same keys either way.
_SEED = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xFF51AFD7ED558CCD)
_M2 = np.uint64(0xC4CEB9FE1A85EC53)
_S33 = np.uint64(33)
_S29 = np.uint64(29)

MAX_BAND_PAIRS = 4_000_000
"""Above this many bucket pairs summed over bands (a scope of many identical or near-identical
texts), `candidates` leaves the scope to the numba kernel, which lists each pair once."""

MAX_VERIFY_PAIRS = 300_000
"""Above this many candidates, `jaccard` leaves them to the numba kernel."""

_CHUNK = 1 << 16
"""Pairs compared per numpy pass (bounds the temporary token arrays)."""


def _fmix64(h: np.ndarray) -> np.ndarray:
    h ^= h >> _S33
    h *= _M1
    h ^= h >> _S33
    h *= _M2
    h ^= h >> _S33
    return h


def band_key(sigs: np.ndarray, band: int, rows: int) -> np.ndarray:
    """The uint64 key of `band` for every row, as `lsh._keys_into` computes it (uint64
    signatures are folded in as their two little-endian uint32 lanes, as the kernel does)."""
    lanes = sigs.view(np.uint32) if sigs.dtype == np.uint64 else sigs
    width = rows * (2 if sigs.dtype == np.uint64 else 1)
    h = np.full(len(sigs), _SEED, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for c in range(band * width, (band + 1) * width):
            h ^= lanes[:, c].astype(np.uint64)
            h *= _M1
            h ^= h >> _S29
        return _fmix64(h)


def _runs(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows ordered by key (stable), and the start and length of each run of 2+ equal keys."""
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    change = np.flatnonzero(ordered[1:] != ordered[:-1]) + 1
    starts = np.concatenate(([0], change))
    lengths = np.diff(np.concatenate((starts, [len(keys)])))
    multi = lengths > 1
    return order, starts[multi], lengths[multi]


def _run_pairs(order: np.ndarray, starts: np.ndarray, lengths: np.ndarray, n: int) -> np.ndarray:
    """Pair codes `u * n + v` (u < v) of every two rows of each run."""
    position = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    rows = order[np.repeat(starts, lengths) + position]
    ends = np.repeat(lengths, lengths) - position  # members from here to the run's end
    codes = []
    for step in range(1, int(lengths.max(initial=1))):
        keep = ends > step
        if not keep.any():
            break
        at = np.flatnonzero(keep)
        u, v = rows[at], rows[at + step]
        codes.append(np.minimum(u, v) * n + np.maximum(u, v))
    return np.concatenate(codes) if codes else np.empty(0, np.int64)


def candidates(
    sigs: np.ndarray, bands: int, rows: int, *, progress: Callable[[int], None] | None = None
) -> tuple[np.ndarray, np.ndarray] | None:
    """`qbank.overlap.lsh.candidates(sigs, bands, rows)`: unique pairs i < j (int64, sorted)
    of rows sharing a band key; None when the buckets hold more than MAX_BAND_PAIRS pairs
    (then the kernel lists them). `progress(1)` as each band is done."""
    n = len(sigs)
    if sigs.ndim != 2 or bands * rows > sigs.shape[1] or sigs.dtype not in (np.uint32, np.uint64):
        return None
    sigs = np.ascontiguousarray(sigs)
    found, total = [], 0
    for band in range(bands):
        order, starts, lengths = _runs(band_key(sigs, band, rows))
        total += int((lengths * (lengths - 1) // 2).sum())
        if total > MAX_BAND_PAIRS:
            return None
        if len(starts):  # distinct already: a row is in one run of each band
            found.append(_run_pairs(order, starts, lengths, n))
        if progress is not None:
            progress(1)
    codes = np.unique(np.concatenate(found)) if found else np.empty(0, np.int64)
    return codes // n, codes % n


def token_matrix(token_sets: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
    """CSR (indptr, indices) of the token sets: each row's token ids sorted and unique."""
    n = len(token_sets)
    lengths = np.fromiter(map(len, token_sets), dtype=np.int64, count=n)
    flat = list(chain.from_iterable(token_sets))
    vocab = sorted(set(flat))
    index = dict(zip(vocab, range(len(vocab)), strict=True))
    ids = np.fromiter(map(index.__getitem__, flat), dtype=np.int64, count=len(flat))
    return sorted_rows(lengths, ids)


def sorted_rows(lengths: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CSR (indptr, indices) of rows given as their `lengths` and their concatenated token
    `ids`: each row's ids sorted and unique (rows already so, as a tokenizer's sorted token
    lists numbered in string order are, are kept as they are: the check makes no array the
    size of `ids` but a boolean one)."""
    n = len(lengths)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    ascending = ids[1:] > ids[:-1]
    starts = indptr[1:-1]
    ascending[starts[(starts > 0) & (starts < len(ids))] - 1] = True  # a row's first id
    if ascending.all():
        return indptr, ids
    del ascending  # rows given unsorted or with repeats
    row = np.repeat(np.arange(n), lengths)
    order = np.lexsort((ids, row))
    ids, row = ids[order], row[order]
    first = np.concatenate(([True], (ids[1:] != ids[:-1]) | (row[1:] != row[:-1])))
    ids, row = ids[first], row[first]
    np.cumsum(np.bincount(row, minlength=n), out=indptr[1:])
    return indptr, ids


def take_rows(
    indptr: np.ndarray, indices: np.ndarray, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """CSR (indptr, indices) of the given rows of a CSR matrix, in the given order, gathered
    `_CHUNK` rows at a time (the positions of a million rows' tokens at once took 300 MB)."""
    lengths = indptr[rows + 1] - indptr[rows]
    taken = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(lengths, out=taken[1:])
    out = np.empty(int(taken[-1]), dtype=indices.dtype)
    for start in range(0, len(rows), _CHUNK):
        part = rows[start : start + _CHUNK]
        at, _ = _gather(indptr, part)
        out[taken[start] : taken[start + len(part)]] = indices[at]
    return taken, out


def _gather(indptr: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions in `indices` of the given rows' entries, and each entry's place in `rows`."""
    starts = indptr[rows]
    lengths = indptr[rows + 1] - starts
    owner = np.repeat(np.arange(len(rows)), lengths)
    offsets = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.repeat(starts, lengths) + offsets, owner


def jaccard(
    indptr: np.ndarray, indices: np.ndarray, i: np.ndarray, j: np.ndarray
) -> np.ndarray | None:
    """Exact Jaccard of rows i[k], j[k] of a CSR token matrix, as `exact._pair_jaccard`
    computes it (0.0 when both are empty); None above MAX_VERIFY_PAIRS pairs."""
    if len(i) > MAX_VERIFY_PAIRS:
        return None
    out = np.zeros(len(i), np.float64)
    shared, union = shared_and_union(indptr, indices, i, j)
    np.divide(shared, union, out=out, where=union > 0)
    return out


def shared_and_union(
    indptr: np.ndarray, indices: np.ndarray, i: np.ndarray, j: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """`shared_tokens` of the pairs, and the size of each pair's union (int64)."""
    shared = shared_tokens(indptr, indices, i, j)
    sizes = np.diff(indptr)
    return shared, sizes[i] + sizes[j] - shared


def shared_tokens(
    indptr: np.ndarray, indices: np.ndarray, i: np.ndarray, j: np.ndarray
) -> np.ndarray:
    """How many token ids rows i[k] and j[k] of a CSR token matrix (rows sorted and unique)
    have in common (int64), `_CHUNK` pairs a pass."""
    out = np.zeros(len(i), np.int64)
    width = np.int64(int(indices.max(initial=0)) + 1)
    for start in range(0, len(i), _CHUNK):
        a, b = i[start : start + _CHUNK], j[start : start + _CHUNK]
        at_a, owner_a = _gather(indptr, a)
        at_b, owner_b = _gather(indptr, b)
        codes = np.concatenate((owner_a * width + indices[at_a], owner_b * width + indices[at_b]))
        codes.sort()
        out[start : start + len(a)] = np.bincount(
            codes[1:][codes[1:] == codes[:-1]] // width, minlength=len(a)
        )
    return out
