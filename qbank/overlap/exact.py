"""Exact Jaccard similarity of token sets: all pairs of a scope, candidate verification, cross scopes.

Every pair the overlap reports carries its exact Jaccard computed here, so a regulator can
re-derive it from the token sets alone. Definitions:

- ``jaccard(a, b) = |a ∩ b| / |a ∪ b|``, computed as ``inter / (|a| + |b| - inter)`` in float64
  and compared with the threshold as floats. Both are correctly rounded, so the threshold acts
  as the decimal it is written as: 7/10 reaches 0.7 and 1/10 reaches 0.1 (for thresholds of
  up to 6 decimal places and unions below 2**20 tokens, no other quotient rounds onto them).
- Identical non-empty sets have Jaccard 1.0 and always pair.
- Two empty sets are **not** a pair: their union is empty, the quotient is undefined, and an item
  that lost every token to normalisation carries no content that could repeat. A non-empty set
  never pairs with an empty one (Jaccard 0).
- Thresholds must lie in (0, 1]: the sparse product only sees pairs sharing a token, so a
  threshold of 0 (every pair) cannot be answered by it.

Pair arrays are ``(i, j, jaccard)`` with ``i`` and ``j`` int64 and ``jaccard`` float64, sorted
by ``(i, j)``; within one scope ``i < j``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, TypeVar

import numpy as np
from numba import njit

if TYPE_CHECKING:
    import scipy.sparse as sp

    from qbank.overlap.matrix import TokenMatrix

Pairs = tuple[np.ndarray, np.ndarray, np.ndarray]
T = TypeVar("T")
R = TypeVar("R")

# Upper bound on the stored entries of one block's sparse product (pairs sharing a token):
# keeps the transient memory of all_pairs/cross_pairs near 100 MB whatever the scope size.
_PRODUCT_BUDGET = 1 << 23
# Fewer candidate pairs than this are verified in one thread (threads cost more).
_PARALLEL_PAIRS = 50_000


def all_pairs(matrix: TokenMatrix, threshold: float, *, block: int = 4096) -> Pairs:
    """All pairs ``i < j`` of one scope with Jaccard >= threshold, by blockwise sparse products.

    Row block ``[s, e)`` is multiplied with rows ``[s, n)`` only (the upper triangle), and a block
    ends early when its estimated product size would exceed a fixed budget, so memory stays
    bounded for common tokens and large scopes alike.
    """
    _check_threshold(threshold)
    if block < 1:
        raise ValueError(f"block must be >= 1, got {block}")
    indptr, indices = _arrays(matrix)
    ncols = _ncols(matrix, indices)
    a = _binary(indptr, indices, ncols)
    sizes = np.diff(indptr)
    work = _row_work(a, np.bincount(indices, minlength=ncols))
    # Block [s, e) meets rows [s, n) only: the CSC view of their transpose is free.
    return _product_pairs(
        a, lambda start: a[start:].T, _blocks(work, block), sizes, sizes, threshold, upper=True
    )


def cross_pairs(a: TokenMatrix, b: TokenMatrix, threshold: float, *, block: int = 4096) -> Pairs:
    """Pairs ``(i in a, j in b)`` with Jaccard >= threshold ("bank vs reference" scopes).

    ``a`` and ``b`` may come from separate ``to_matrix`` calls: when their vocabularies differ,
    ``b``'s token ids are mapped onto ``a``'s by token text first.
    """
    _check_threshold(threshold)
    if block < 1:
        raise ValueError(f"block must be >= 1, got {block}")
    a_indptr, a_indices = _arrays(a)
    b_indptr, b_indices, ncols = _aligned(a, b)
    ncols = max(ncols, _ncols(a, a_indices))
    am = _binary(a_indptr, a_indices, ncols)
    bm = _binary(b_indptr, b_indices, ncols)
    b_t = bm.T
    work = _row_work(am, np.bincount(b_indices, minlength=ncols))
    a_sizes = np.diff(a_indptr)
    b_sizes = np.diff(b_indptr)
    return _product_pairs(
        am, lambda _start: b_t, _blocks(work, block), a_sizes, b_sizes, threshold, upper=False
    )


def _product_pairs(
    a: sp.csr_matrix,
    right: Callable[[int], sp.spmatrix],
    blocks: list[tuple[int, int]],
    sizes_a: np.ndarray,
    sizes_b: np.ndarray,
    threshold: float,
    *,
    upper: bool,
) -> Pairs:
    """Pairs of each row block of ``a`` with ``right(start)`` (shared-token counts by sparse
    product) reaching the threshold; blocks run on all cores (scipy and the kernel release
    the GIL)."""

    import scipy.sparse as sp  # the exact path only: LSH verification needs no scipy

    def run(bounds: tuple[int, int]) -> Pairs:
        start, stop = bounds
        product = sp.csr_matrix(a[start:stop] @ right(start))
        return _select(
            product.indptr.astype(np.int64, copy=False),
            product.indices.astype(np.int32, copy=False),
            product.data.astype(np.int32, copy=False),
            start,
            start if upper else 0,
            sizes_a,
            sizes_b,
            float(threshold),
            upper,
        )

    return _concat_sorted(_map_threads(run, blocks, parallel=len(blocks) > 1))


def verify(
    matrix: TokenMatrix,
    i: np.ndarray,
    j: np.ndarray,
    threshold: float,
    *,
    other: TokenMatrix | None = None,
) -> Pairs:
    """Exact Jaccard of candidate pairs (e.g. from LSH); keep those >= threshold.

    ``j`` indexes ``other`` when given (cross scopes), else ``matrix``. Pairs keep their input
    order; duplicates are not removed. Pairs sorted by ``i`` (as ``candidates`` returns them)
    are fastest: row ``i`` is marked once for all its partners.
    """
    _check_threshold(threshold)
    i = np.ascontiguousarray(i, dtype=np.int64)
    j = np.ascontiguousarray(j, dtype=np.int64)
    if i.shape != j.shape or i.ndim != 1:
        raise ValueError("i and j must be 1-d arrays of equal length")
    a_indptr, a_indices = _arrays(matrix)
    ncols = _ncols(matrix, a_indices)
    if other is None:
        b_indptr, b_indices = a_indptr, a_indices
    else:
        b_indptr, b_indices, b_cols = _aligned(matrix, other)
        ncols = max(ncols, b_cols)
    _check_range(i, len(a_indptr) - 1, "i")
    _check_range(j, len(b_indptr) - 1, "j")
    bounds = np.linspace(0, len(i), (_workers() if len(i) >= _PARALLEL_PAIRS else 1) + 1)
    bounds = bounds.astype(np.int64)

    def run(k: int) -> np.ndarray:
        lo, hi = bounds[k], bounds[k + 1]
        return _pair_jaccard(a_indptr, a_indices, b_indptr, b_indices, i[lo:hi], j[lo:hi], ncols)

    jac = np.concatenate(_map_threads(run, range(len(bounds) - 1), parallel=len(bounds) > 2))
    keep = jac >= threshold
    return i[keep], j[keep], jac[keep]


def _workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _map_threads(func: Callable[[T], R], items: Iterable[T], *, parallel: bool) -> list[R]:
    """``[func(x) for x in items]``, on one thread per core when ``parallel``.

    The kernels are compiled ``nogil`` and serial: threads give them both cores without the
    long compile of numba's ``parallel=True`` (tests compile from a cold cache)."""
    if not parallel:
        return [func(x) for x in items]
    with ThreadPoolExecutor(max_workers=_workers()) as pool:
        return list(pool.map(func, items))


def _check_threshold(threshold: float) -> None:
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")


def _check_range(values: np.ndarray, n: int, name: str) -> None:
    if values.size and (values.min() < 0 or values.max() >= n):
        raise ValueError(f"{name} has row indices outside [0, {n})")


def _arrays(matrix: TokenMatrix) -> tuple[np.ndarray, np.ndarray]:
    return (
        np.ascontiguousarray(matrix.indptr, dtype=np.int64),
        np.ascontiguousarray(matrix.indices, dtype=np.int32),
    )


def _ncols(matrix: TokenMatrix, indices: np.ndarray) -> int:
    top = int(indices.max()) + 1 if indices.size else 0
    return max(len(matrix.vocab), top)


def _aligned(a: TokenMatrix, b: TokenMatrix) -> tuple[np.ndarray, np.ndarray, int]:
    """``b``'s CSR arrays with token ids in ``a``'s id space (new tokens appended), rows sorted."""
    b_indptr, b_indices = _arrays(b)
    if a is b or a.vocab == b.vocab:
        return b_indptr, b_indices, _ncols(b, b_indices)
    ids = {token: k for k, token in enumerate(a.vocab)}
    next_id = len(a.vocab)
    mapping = np.empty(len(b.vocab), dtype=np.int64)
    for k, token in enumerate(b.vocab):
        found = ids.get(token)
        if found is None:
            found = ids[token] = next_id
            next_id += 1
        mapping[k] = found
    remapped = _binary(b_indptr, mapping[b_indices], next_id)
    remapped.sort_indices()
    return remapped.indptr.astype(np.int64), remapped.indices.astype(np.int32), next_id


def _binary(indptr: np.ndarray, indices: np.ndarray, ncols: int) -> sp.csr_matrix:
    """Binary CSR (data 1, int32 so products count shared tokens exactly)."""
    import scipy.sparse as sp

    data = np.ones(len(indices), dtype=np.int32)
    return sp.csr_matrix((data, indices, indptr), shape=(len(indptr) - 1, ncols))


def _row_work(a: sp.csr_matrix, df: np.ndarray) -> np.ndarray:
    """Upper bound of product entries per row: sum of the document frequencies of its tokens."""
    return np.asarray(a @ df.astype(np.int64)).ravel()


def _blocks(work: np.ndarray, block: int) -> list[tuple[int, int]]:
    """Row ranges of at most ``block`` rows whose summed work stays within the budget."""
    n = len(work)
    bounds: list[tuple[int, int]] = []
    start = 0
    total = 0
    for row in range(n):
        w = int(work[row])
        if row > start and (row - start >= block or total + w > _PRODUCT_BUDGET):
            bounds.append((start, row))
            start, total = row, 0
        total += w
    if start < n:
        bounds.append((start, n))
    return bounds


def _concat_sorted(parts: list[Pairs]) -> Pairs:
    if not parts:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float64)
    i = np.concatenate([p[0] for p in parts])
    j = np.concatenate([p[1] for p in parts])
    jac = np.concatenate([p[2] for p in parts])
    order = np.lexsort((j, i))
    return i[order], j[order], jac[order]


@njit(nogil=True, cache=True)
def _select(
    indptr: np.ndarray,
    indices: np.ndarray,
    data: np.ndarray,
    row0: int,
    col0: int,
    sizes_a: np.ndarray,
    sizes_b: np.ndarray,
    threshold: float,
    upper: bool,
) -> Pairs:  # pragma: no cover - numba
    """Entries of a block's shared-token counts whose Jaccard reaches the threshold.

    Two passes (count, then fill) over the entries; most fail the division-free necessary
    condition ``inter * (1 + t) >= t * (|a| + |b|)`` (slightly loosened against rounding)
    before the exact quotient is compared."""
    rows = len(indptr) - 1
    loose = (1.0 + threshold) * (1.0 + 1e-9)
    counts = np.zeros(rows + 1, np.int64)
    for r in range(rows):
        i = row0 + r
        c = 0
        for p in range(indptr[r], indptr[r + 1]):
            j = col0 + indices[p]
            inter = data[p]
            if (upper and j <= i) or inter * loose < threshold * (sizes_a[i] + sizes_b[j]):
                continue
            union = sizes_a[i] + sizes_b[j] - inter
            if union > 0 and inter / union >= threshold:
                c += 1
        counts[r + 1] = c
    offsets = np.cumsum(counts)
    out_i = np.empty(offsets[rows], np.int64)
    out_j = np.empty(offsets[rows], np.int64)
    out_s = np.empty(offsets[rows], np.float64)
    for r in range(rows):
        if counts[r + 1] == 0:
            continue
        i = row0 + r
        k = offsets[r]
        for p in range(indptr[r], indptr[r + 1]):
            j = col0 + indices[p]
            inter = data[p]
            if (upper and j <= i) or inter * loose < threshold * (sizes_a[i] + sizes_b[j]):
                continue
            union = sizes_a[i] + sizes_b[j] - inter
            if union > 0 and inter / union >= threshold:
                out_i[k] = i
                out_j[k] = j
                out_s[k] = inter / union
                k += 1
    return out_i, out_j, out_s


@njit(nogil=True, cache=True)
def _grow(values: np.ndarray) -> np.ndarray:  # pragma: no cover - numba
    grown = np.empty(2 * len(values), values.dtype)
    grown[: len(values)] = values
    return grown


@njit(nogil=True, cache=True)
def _pair_jaccard(
    a_indptr: np.ndarray,
    a_indices: np.ndarray,
    b_indptr: np.ndarray,
    b_indices: np.ndarray,
    i: np.ndarray,
    j: np.ndarray,
    ncols: int,
) -> np.ndarray:  # pragma: no cover - numba
    """Exact Jaccard per pair; 0.0 when both sets are empty.

    Row ``i``'s tokens are marked in a vocabulary-sized table (kept while consecutive pairs
    share ``i``) and row ``j``'s tokens are looked up: branch-free, about twice as fast as a
    merge of the two sorted rows on millions of candidates."""
    out = np.zeros(len(i), np.float64)
    mark = np.zeros(ncols, np.uint8)
    current = -1
    for k in range(len(i)):
        row = i[k]
        if row != current:
            if current >= 0:
                for p in range(a_indptr[current], a_indptr[current + 1]):
                    mark[a_indices[p]] = 0
            for p in range(a_indptr[row], a_indptr[row + 1]):
                mark[a_indices[p]] = 1
            current = row
        other = j[k]
        inter = 0
        for q in range(b_indptr[other], b_indptr[other + 1]):
            inter += mark[b_indices[q]]
        union = (
            (a_indptr[row + 1] - a_indptr[row]) + (b_indptr[other + 1] - b_indptr[other]) - inter
        )
        if union > 0:
            out[k] = inter / union
    return out
