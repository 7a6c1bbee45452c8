"""MinHash LSH banding: candidate pairs for scopes too large for exact all-pairs.

Signatures (n, num_perm) are cut into ``bands`` bands of ``rows`` values; two sets become a
candidate pair when all values of at least one band agree. For Jaccard ``s`` that happens with
probability ``1 - (1 - s**rows)**bands`` (the S-curve). ``lsh_params`` picks the band shape that
keeps this at least ``min_recall`` at the threshold while admitting the fewest dissimilar pairs;
candidates then go through exact verification (``qbank.overlap.exact.verify``), so a false
candidate costs time, never a wrong figure.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from numba import njit
from scipy.integrate import quad

from qbank.overlap.exact import _map_threads

Candidates = tuple[np.ndarray, np.ndarray]

_SEED = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xFF51AFD7ED558CCD)
_M2 = np.uint64(0xC4CEB9FE1A85EC53)
_S33 = np.uint64(33)
_S29 = np.uint64(29)
# Below this many distinct signatures, bands run one after another (threads cost more).
_PARALLEL_ROWS = 20_000


def lsh_params(threshold: float, num_perm: int, *, min_recall: float = 0.99) -> tuple[int, int]:
    """(bands, rows) with ``bands * rows <= num_perm`` and candidate probability >= min_recall
    at Jaccard == threshold (higher similarities are found with higher probability), minimising
    the false-positive area below the threshold, like datasketch's ``_optimal_param``."""
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    if num_perm < 1:
        raise ValueError(f"num_perm must be >= 1, got {num_perm}")
    if not 0.0 < min_recall < 1.0:
        raise ValueError(f"min_recall must be in (0, 1), got {min_recall}")
    return _optimal_params(float(threshold), int(num_perm), float(min_recall))


@functools.lru_cache(maxsize=64)
def _optimal_params(threshold: float, num_perm: int, min_recall: float) -> tuple[int, int]:
    # At fixed rows both recall and the false-positive area grow with bands, so for each row
    # count only the fewest bands that reach the recall can be optimal.
    best: tuple[int, int] | None = None
    best_area = math.inf
    for rows in range(1, num_perm + 1):
        bands = _min_bands(threshold, rows, min_recall, num_perm // rows)
        if bands is None:
            continue
        area = _false_positive_area(threshold, bands, rows)
        if area < best_area:
            best, best_area = (bands, rows), area
    if best is None:
        raise ValueError(
            f"no banding of num_perm={num_perm} reaches recall {min_recall} at {threshold}"
        )
    return best


def _recall(threshold: float, bands: int, rows: int) -> float:
    """Probability that a pair with Jaccard ``threshold`` shares at least one band."""
    p = threshold**rows
    if p >= 1.0:
        return 1.0
    return -math.expm1(bands * math.log1p(-p))


def _min_bands(threshold: float, rows: int, min_recall: float, max_bands: int) -> int | None:
    """Fewest bands of ``rows`` reaching min_recall at the threshold, if at most max_bands."""
    p = threshold**rows
    if p >= 1.0:
        return 1
    if p <= 0.0:
        return None
    estimate = math.log1p(-min_recall) / math.log1p(-p)
    if estimate > max_bands + 1:
        return None
    bands = max(1, math.ceil(estimate))
    while bands > 1 and _recall(threshold, bands - 1, rows) >= min_recall:
        bands -= 1
    while bands <= max_bands and _recall(threshold, bands, rows) < min_recall:
        bands += 1
    return bands if bands <= max_bands else None


def _false_positive_area(threshold: float, bands: int, rows: int) -> float:
    """Integral of the candidate probability over Jaccard in [0, threshold)."""
    area, _err = quad(lambda s: 1.0 - (1.0 - s**rows) ** bands, 0.0, threshold)
    return float(area)


def _false_negative_area(threshold: float, bands: int, rows: int) -> float:
    """Integral of the miss probability over Jaccard in [threshold, 1]."""
    area, _err = quad(lambda s: (1.0 - s**rows) ** bands, threshold, 1.0)
    return float(area)


def candidates(sigs: np.ndarray, bands: int, rows: int) -> Candidates:
    """Unique pairs ``i < j`` (int64, sorted) of rows sharing at least one band bucket.

    ``sigs`` is (n, num_perm) integer signatures, e.g. ``minhash.signatures`` (uint32 or uint64);
    the first ``bands * rows`` columns are used."""
    sigs = _signatures(sigs, bands, rows)
    return _candidates(sigs, bands, rows, len(sigs), cross=False)


def cross_candidates(sigs_a: np.ndarray, sigs_b: np.ndarray, bands: int, rows: int) -> Candidates:
    """Unique pairs ``(i in a, j in b)`` (int64, sorted) sharing at least one band bucket."""
    sigs_a = _signatures(sigs_a, bands, rows)
    sigs_b = _signatures(sigs_b, bands, rows)
    if sigs_a.shape[1] != sigs_b.shape[1]:
        raise ValueError("signatures of a and b have different num_perm")
    split = len(sigs_a)
    i, j = _candidates(np.concatenate([sigs_a, sigs_b]), bands, rows, split, cross=True)
    return i, j - split


def _signatures(sigs: np.ndarray, bands: int, rows: int) -> np.ndarray:
    sigs = np.asarray(sigs)
    if sigs.ndim != 2:
        raise ValueError("signatures must be a 2-d array (n, num_perm)")
    if bands < 1 or rows < 1 or bands * rows > sigs.shape[1]:
        raise ValueError(f"bands={bands} x rows={rows} does not fit num_perm={sigs.shape[1]}")
    if not np.issubdtype(sigs.dtype, np.integer):
        raise ValueError(f"signatures must be integers, got {sigs.dtype}")
    if sigs.dtype != np.uint32:
        sigs = np.ascontiguousarray(sigs, dtype=np.uint64)
    return np.ascontiguousarray(sigs)


def _lanes(sigs: np.ndarray) -> tuple[np.ndarray, int]:
    """The signatures as uint32 lanes, without copying, and lanes per value.

    Bands only need equality, and equal uint64 values are equal pairs of uint32 lanes, so one
    compiled kernel serves datasketch's uint32 (affine32) and uint64 (affine64, legacy) sets."""
    if sigs.dtype == np.uint32:
        return sigs, 1
    return sigs.view(np.uint32), 2


def _candidates(sigs: np.ndarray, bands: int, rows: int, split: int, *, cross: bool) -> Candidates:
    """Band every distinct signature once, then expand groups of identical signatures.

    Without ``cross`` all rows are one scope; with it rows ``< split`` are scope a, the rest
    scope b, and only a-b pairs are emitted (as stacked row numbers).

    A bucket of m rows yields m(m-1)/2 pairs in each band, and pairs must all be listed because
    reports carry every pair. The usual cause of a huge bucket is many identical token sets
    (the same item imported repeatedly, or many items emptied by normalisation): their
    signatures are identical over every band, so they are collapsed to one representative
    before banding and their pairs are emitted once, not once per band. Large buckets of
    distinct but near-identical sets remain quadratic per band, and are true candidates anyway.
    """
    n = len(sigs)
    empty = np.empty(0, np.int64)
    if n < 2:
        return empty, empty
    sigs, lanes = _lanes(sigs)
    rows *= lanes
    width = bands * rows
    parallel = n >= _PARALLEL_ROWS
    chunks = np.array_split(np.arange(n, dtype=np.int64), 2 if parallel else 1)
    full = np.concatenate(
        _map_threads(lambda rows_of: _row_keys(sigs, rows_of, 0, width), chunks, parallel=parallel)
    )
    first = _first_equal(sigs, *_sort_keys(full), width)
    reps = np.flatnonzero(first == np.arange(n))
    groups = len(reps)
    gid = np.searchsorted(reps, first)
    sizes = np.bincount(gid, minlength=groups)
    in_a = np.bincount(gid[:split], minlength=groups)
    in_b = sizes - in_a

    def band(k: int) -> np.ndarray:
        return _band_pairs(sigs, reps, k * rows, rows, in_a, in_b, cross)

    codes = _map_threads(band, range(bands), parallel=groups >= _PARALLEL_ROWS)
    pair_codes = np.sort(np.concatenate(codes))
    g = pair_codes // groups
    h = pair_codes % groups
    if groups == n:
        return g, h
    members = np.argsort(gid, kind="stable")
    gptr = np.zeros(groups + 1, np.int64)
    np.cumsum(sizes, out=gptr[1:])
    selfish = np.flatnonzero((in_a * in_b > 0) if cross else (sizes > 1))
    i, j = _expand(
        np.concatenate([g, selfish]),
        np.concatenate([h, selfish]),
        gptr,
        members,
        in_a,
        split,
        cross,
    )
    order = np.lexsort((j, i))
    return i[order], j[order]


@njit(inline="always", cache=True)
def _fmix64(h):  # pragma: no cover - numba
    h ^= h >> _S33
    h *= _M1
    h ^= h >> _S33
    h *= _M2
    h ^= h >> _S33
    return h


@njit(nogil=True, cache=True)
def _row_keys(sigs, rows_of, start, width):  # pragma: no cover - numba
    """One uint64 per row over columns [start, start+width).

    Each value is folded in by xor-multiply-xorshift (a bijection of the value for a fixed
    prefix), the result finished with the MurmurHash3 finalizer. Equal values give equal keys;
    unequal ones collide about as often as random 64-bit numbers, which only adds a candidate
    that exact verification drops."""
    out = np.empty(len(rows_of), np.uint64)
    for g in range(len(rows_of)):
        row = rows_of[g]
        h = _SEED
        for c in range(start, start + width):
            h = (h ^ sigs[row, c]) * _M1
            h ^= h >> _S29
        out[g] = _fmix64(h)
    return out


@njit(cache=True)
def _sort_keys(keys):  # pragma: no cover - numba
    """Stable sort of hash keys: (sorted keys, original positions), in linear expected time.

    LSD radix passes of 11 bits over the top ~log2(n)+2 bits put the keys nearly in order (the
    keys are well mixed), then an insertion pass orders the few keys sharing those bits;
    equal keys never move past each other, so equal runs keep ascending positions."""
    n = len(keys)
    sorted_keys = keys.copy()
    order = np.arange(n)
    digits = 0
    while (1 << (11 * digits)) < 4 * n and digits < 5:
        digits += 1
    if n < 64:
        digits = 0
    tmp_keys = np.empty_like(sorted_keys)
    tmp_order = np.empty_like(order)
    counts = np.empty(1 << 11, np.int64)
    mask = np.uint64((1 << 11) - 1)
    for d in range(digits):
        shift = np.uint64(64 - 11 * (digits - d))
        counts[:] = 0
        for x in range(n):
            counts[np.int64((sorted_keys[x] >> shift) & mask)] += 1
        total = 0
        for b in range(1 << 11):
            c = counts[b]
            counts[b] = total
            total += c
        for x in range(n):
            b = np.int64((sorted_keys[x] >> shift) & mask)
            tmp_keys[counts[b]] = sorted_keys[x]
            tmp_order[counts[b]] = order[x]
            counts[b] += 1
        sorted_keys, tmp_keys = tmp_keys, sorted_keys
        order, tmp_order = tmp_order, order
    for x in range(1, n):
        key = sorted_keys[x]
        if key >= sorted_keys[x - 1]:
            continue
        pos = order[x]
        y = x - 1
        while y >= 0 and sorted_keys[y] > key:
            sorted_keys[y + 1] = sorted_keys[y]
            order[y + 1] = order[y]
            y -= 1
        sorted_keys[y + 1] = key
        order[y + 1] = pos
    return sorted_keys, order


@njit(cache=True)
def _first_equal(sigs, sorted_keys, order, width):  # pragma: no cover - numba
    """For each row, the smallest row with an identical signature (itself if none).

    The sort is stable, so a run of equal keys starts with its smallest row; a row whose
    values differ from the run's first (a key collision) stays on its own."""
    n = len(sorted_keys)
    first = np.arange(n)
    p = 0
    while p < n:
        q = p + 1
        while q < n and sorted_keys[q] == sorted_keys[p]:
            q += 1
        leader = order[p]
        for x in range(p + 1, q):
            m = order[x]
            same = True
            for c in range(width):
                if sigs[m, c] != sigs[leader, c]:
                    same = False
                    break
            if same:
                first[m] = leader
        p = q
    return first


@njit(cache=True)
def _new_pair(sigs, row_g, row_h, start, rows):  # pragma: no cover - numba
    """True unless the two rows already share a band before column ``start``.

    Emitting a pair only in the first band it shares keeps every pair code unique, so no
    deduplication across bands (and no buffer of bands x pairs) is needed."""
    for s in range(0, start, rows):
        same = True
        for c in range(s, s + rows):
            if sigs[row_g, c] != sigs[row_h, c]:
                same = False
                break
        if same:
            return False
    return True


@njit(cache=True)
def _emit(sorted_keys, order, sigs, reps, start, rows, in_a, in_b, cross, out):  # pragma: no cover
    """Pair codes ``lo * groups + hi`` of groups sharing a key in the band at ``start``.

    Returns how many there are; writes them into ``out`` unless it is empty (call once with an
    empty ``out`` to size it). In cross mode a pair needs a scope-a row on one side and a
    scope-b row on the other."""
    n = len(sorted_keys)
    write = len(out) > 0
    side_b = np.empty(n if cross else 0, np.int64)
    k = 0
    p = 0
    while p < n:
        q = p + 1
        while q < n and sorted_keys[q] == sorted_keys[p]:
            q += 1
        if q - p > 1:
            nb = 0
            if cross:
                for x in range(p, q):
                    if in_b[order[x]] > 0:
                        side_b[nb] = order[x]
                        nb += 1
            for x in range(p, q):
                g = order[x]
                if cross and in_a[g] == 0:
                    continue
                for y in range(nb if cross else q - x - 1):
                    h = side_b[y] if cross else order[x + 1 + y]
                    if h == g or (cross and h < g and in_a[h] > 0 and in_b[g] > 0):
                        continue  # the same group, or a pair also met the other way round
                    if _new_pair(sigs, reps[g], reps[h], start, rows):
                        if write:
                            out[k] = min(g, h) * n + max(g, h)
                        k += 1
        p = q
    return k


@njit(nogil=True, cache=True)
def _band_pairs(sigs, reps, start, rows, in_a, in_b, cross):  # pragma: no cover - numba
    """Pair codes of groups whose first shared band is the one at column ``start``."""
    sorted_keys, order = _sort_keys(_row_keys(sigs, reps, start, rows))
    size = _emit(sorted_keys, order, sigs, reps, start, rows, in_a, in_b, cross, order[:0])
    out = np.empty(size, np.int64)
    if size:
        _emit(sorted_keys, order, sigs, reps, start, rows, in_a, in_b, cross, out)
    return out


@njit(cache=True)
def _expand(g, h, gptr, members, in_a, split, cross):  # pragma: no cover - numba
    """Row pairs of group pairs (g < h) and of single groups (g == h)."""
    jobs = len(g)
    counts = np.zeros(jobs, np.int64)
    for k in range(jobs):
        a, b = g[k], h[k]
        size_a = gptr[a + 1] - gptr[a]
        size_b = gptr[b + 1] - gptr[b]
        if cross:
            if a == b:
                counts[k] = in_a[a] * (size_a - in_a[a])
            else:
                counts[k] = in_a[a] * (size_b - in_a[b]) + in_a[b] * (size_a - in_a[a])
        elif a == b:
            counts[k] = size_a * (size_a - 1) // 2
        else:
            counts[k] = size_a * size_b
    offsets = np.zeros(jobs + 1, np.int64)
    offsets[1:] = np.cumsum(counts)
    out_i = np.empty(offsets[jobs], np.int64)
    out_j = np.empty(offsets[jobs], np.int64)
    for k in range(jobs):
        a, b = g[k], h[k]
        pos = offsets[k]
        if cross:
            # Members are ascending, so a group's scope-a rows come first.
            for first, second in ((a, b), (b, a)):
                for x in range(gptr[first], gptr[first] + in_a[first]):
                    for y in range(gptr[second] + in_a[second], gptr[second + 1]):
                        out_i[pos] = members[x]
                        out_j[pos] = members[y]
                        pos += 1
                if a == b:
                    break
        elif a == b:
            for x in range(gptr[a], gptr[a + 1]):
                for y in range(x + 1, gptr[a + 1]):
                    out_i[pos] = members[x]
                    out_j[pos] = members[y]
                    pos += 1
        else:
            for x in range(gptr[a], gptr[a + 1]):
                for y in range(gptr[b], gptr[b + 1]):
                    u = members[x]
                    v = members[y]
                    out_i[pos] = min(u, v)
                    out_j[pos] = max(u, v)
                    pos += 1
    return out_i, out_j
