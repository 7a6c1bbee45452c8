"""MinHash LSH banding: candidate pairs for scopes too large for exact all-pairs.

Signatures (n, num_perm) are cut into ``bands`` bands of ``rows`` values; two sets become a
candidate pair when all values of at least one band agree. For Jaccard ``s`` that happens with
probability ``1 - (1 - s**rows)**bands`` (the S-curve). ``lsh_params`` picks the band shape that
keeps this at least ``min_recall`` at the threshold while admitting the fewest dissimilar pairs;
candidates then go through exact verification (``qbank.overlap.exact.verify``), so a false
candidate costs time, never a wrong figure.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numba import njit

from qbank.overlap.bands import _M1, _M2, _S29, _S33, _SEED  # the band keys' constants
from qbank.overlap.exact import _grow, _map_threads
from qbank.overlap.lsh_params import _CLOSE_AREAS as _CLOSE_AREAS
from qbank.overlap.lsh_params import _exact_areas as _exact_areas
from qbank.overlap.lsh_params import _false_negative_area as _false_negative_area
from qbank.overlap.lsh_params import _false_positive_area as _false_positive_area
from qbank.overlap.lsh_params import _min_bands as _min_bands
from qbank.overlap.lsh_params import _optimal_params as _optimal_params
from qbank.overlap.lsh_params import _recall as _recall
from qbank.overlap.lsh_params import lsh_params as lsh_params

Candidates = tuple[np.ndarray, np.ndarray]

# Below this many distinct signatures, bands run one after another (threads cost more).
_PARALLEL_ROWS = 20_000


def candidates(
    sigs: np.ndarray, bands: int, rows: int, *, progress: Callable[[int], None] | None = None
) -> Candidates:
    """Unique pairs ``i < j`` (int64, sorted) of rows sharing at least one band bucket.

    ``sigs`` is (n, num_perm) integer signatures, e.g. ``minhash.signatures`` (uint32 or uint64);
    the first ``bands * rows`` columns are used. ``progress(1)`` is called as each band is
    done."""
    return banded_candidates(banded(sigs, bands, rows), progress=progress)


def cross_candidates(sigs_a: np.ndarray, sigs_b: np.ndarray, bands: int, rows: int) -> Candidates:
    """Unique pairs ``(i in a, j in b)`` (int64, sorted) sharing at least one band bucket."""
    sigs_a = _signatures(sigs_a, bands, rows)
    sigs_b = _signatures(sigs_b, bands, rows)
    if sigs_a.shape[1] != sigs_b.shape[1]:
        raise ValueError("signatures of a and b have different num_perm")
    split = len(sigs_a)
    scope = _banded(np.concatenate([sigs_a, sigs_b]), bands, rows, split, cross=True)
    i, j = _listed(scope, None)
    return i, j - split


def _signatures(sigs: np.ndarray, bands: int, rows: int) -> np.ndarray:
    sigs = np.asarray(sigs)
    if sigs.ndim != 2:
        raise ValueError("signatures must be a 2-d array (n, num_perm)")
    if bands < 1 or rows < 1 or bands * rows > sigs.shape[1]:
        raise ValueError(f"bands={bands} x rows={rows} does not fit num_perm={sigs.shape[1]}")
    if not np.issubdtype(sigs.dtype, np.integer):
        raise ValueError(f"signatures must be integers, got {sigs.dtype}")
    return np.ascontiguousarray(sigs, dtype=np.uint32 if sigs.dtype == np.uint32 else np.uint64)


def _lanes(sigs: np.ndarray) -> tuple[np.ndarray, int]:
    """The signatures as uint32 lanes, without copying, and lanes per value.

    Bands only need equality, and equal uint64 values are equal pairs of uint32 lanes, so one
    compiled kernel serves datasketch's uint32 (affine32) and uint64 (affine64, legacy) sets."""
    if sigs.dtype == np.uint32:
        return sigs, 1
    return sigs.view(np.uint32), 2


@dataclass(frozen=True, eq=False)
class Banded:
    """What listing a scope's candidates needs of its signatures: every row's band keys and
    the first row with an identical signature. A caller may free the signatures once it has
    this (`banded`), before the pairs are listed (`banded_candidates`)."""

    band_keys: np.ndarray  # (n, bands) uint64
    first: np.ndarray  # (n,) the first row whose signature equals this row's
    split: int
    cross: bool


def banded(sigs: np.ndarray, bands: int, rows: int) -> Banded:
    """The band keys and identical-signature groups of one scope's `sigs` (as `candidates`
    takes them)."""
    sigs = _signatures(sigs, bands, rows)
    return _banded(sigs, bands, rows, len(sigs), cross=False)


def banded_candidates(
    scope: Banded, *, progress: Callable[[int], None] | None = None
) -> Candidates:
    """`candidates` of the signatures `scope` was made of."""
    return _listed(scope, progress)


def _banded(sigs: np.ndarray, bands: int, rows: int, split: int, *, cross: bool) -> Banded:
    """Key every band of every row and find the rows of identical signatures."""
    n = len(sigs)
    sigs, lanes = _lanes(sigs)
    rows *= lanes
    width = bands * rows
    band_keys = np.empty((n, bands), np.uint64)  # a row's keys together: 8 * bands bytes a row
    if n < 2:
        return Banded(band_keys, np.arange(n), split, cross)
    full = np.empty(n, np.uint64)
    parallel = n >= _PARALLEL_ROWS
    bounds = np.linspace(0, n, 3 if parallel else 2).astype(np.int64)

    def keys(k: int) -> None:
        _keys_into(sigs, bounds[k], bounds[k + 1], bands, rows, band_keys, full)

    _map_threads(keys, range(len(bounds) - 1), parallel=parallel)
    first = _first_equal(sigs, *_sort_keys(full), width)
    return Banded(band_keys, first, split, cross)


def _listed(scope: Banded, progress: Callable[[int], None] | None) -> Candidates:
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
    band_keys, first, split, cross = scope.band_keys, scope.first, scope.split, scope.cross
    n, bands = band_keys.shape
    empty = np.empty(0, np.int64)
    if n < 2:
        return empty, empty
    reps = np.flatnonzero(first == np.arange(n))
    groups = len(reps)
    gid = np.searchsorted(reps, first)
    sizes = np.bincount(gid, minlength=groups)
    in_a = np.bincount(gid[:split], minlength=groups)
    in_b = sizes - in_a
    multi = sizes > 1

    lock = threading.Lock()  # bands may run on two threads: one progress call at a time

    def band(k: int) -> tuple[np.ndarray, np.ndarray]:
        keys = np.ascontiguousarray(band_keys[:, k] if groups == n else band_keys[reps, k])
        found = _band_pairs(band_keys, keys, reps, multi, k, in_a, in_b, n, cross)
        if progress is not None:
            with lock:
                progress(1)
        return found

    found = _map_threads(band, range(bands), parallel=groups >= _PARALLEL_ROWS)
    codes = np.concatenate([f[0] for f in found])
    group_codes = np.concatenate([f[1] for f in found]) if groups < n else empty
    del found  # each band's pairs, now in `codes` and `group_codes`
    if groups < n:
        members = np.argsort(gid, kind="stable")
        gptr = np.zeros(groups + 1, np.int64)
        np.cumsum(sizes, out=gptr[1:])
        selfish = np.flatnonzero((in_a * in_b > 0) if cross else multi)
        codes = np.concatenate(
            [codes, _expand(group_codes, selfish, gptr, members, in_a, n, cross)]
        )
    return _sorted_pairs(codes, n)


@njit(inline="always", cache=True)
def _fmix64(h: np.uint64) -> np.uint64:  # pragma: no cover - numba
    h ^= h >> _S33
    h *= _M1
    h ^= h >> _S33
    h *= _M2
    h ^= h >> _S33
    return h


@njit(nogil=True, cache=True)
def _keys_into(
    sigs: np.ndarray,
    lo: int,
    hi: int,
    bands: int,
    rows: int,
    band_keys: np.ndarray,
    full: np.ndarray,
) -> None:  # pragma: no cover - numba
    """Rows [lo, hi): one uint64 key per band into ``band_keys`` and one over all bands into
    ``full``.

    Each value is folded in by xor-multiply-xorshift (a bijection of the value for a fixed
    prefix), the result finished with the MurmurHash3 finalizer. Equal values give equal keys;
    unequal ones collide about as often as random 64-bit numbers, which only adds a candidate
    that exact verification drops (and ``_first_equal`` compares values, not keys)."""
    for row in range(lo, hi):
        whole = _SEED
        for b in range(bands):
            h = _SEED
            for c in range(b * rows, (b + 1) * rows):
                h = (h ^ sigs[row, c]) * _M1
                h ^= h >> _S29
            h = _fmix64(h)
            band_keys[row, b] = h
            whole = (whole ^ h) * _M1
            whole ^= whole >> _S29
        full[row] = _fmix64(whole)


@njit(cache=True)
def _sort_keys(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - numba
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
            bucket = np.int64((sorted_keys[x] >> shift) & mask)
            tmp_keys[counts[bucket]] = sorted_keys[x]
            tmp_order[counts[bucket]] = order[x]
            counts[bucket] += 1
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
def _first_equal(
    sigs: np.ndarray, sorted_keys: np.ndarray, order: np.ndarray, width: int
) -> np.ndarray:  # pragma: no cover - numba
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
def _new_pair(band_keys: np.ndarray, row_g: int, row_h: int, band: int) -> bool:  # pragma: no cover
    """True unless the two rows already share a band key before ``band``.

    Emitting a pair only in the first band whose key it shares keeps every pair code unique,
    so no deduplication across bands (and no buffer of bands x pairs) is needed."""
    for b in range(band):  # noqa: SIM110 - a plain loop compiles to the tightest code in numba
        if band_keys[row_g, b] == band_keys[row_h, b]:
            return False
    return True


@njit(nogil=True, cache=True)
def _band_pairs(
    band_keys: np.ndarray,
    keys: np.ndarray,
    reps: np.ndarray,
    multi: np.ndarray,
    band: int,
    in_a: np.ndarray,
    in_b: np.ndarray,
    n: int,
    cross: bool,
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - numba
    """Pairs whose first shared band is ``band`` (``keys``: its key per group): row codes
    ``u * n + v`` (u < v) of pairs of single rows, and group codes ``lo * groups + hi`` of
    pairs involving a group of identical rows, for ``_expand``.

    In cross mode a pair needs a scope-a row on one side and a scope-b row on the other."""
    sorted_keys, order = _sort_keys(keys)
    groups = len(sorted_keys)
    out = np.empty(max(1024, groups // 8), np.int64)
    out_groups = np.empty(16, np.int64)
    side_b = np.empty(groups if cross else 0, np.int64)
    k = 0
    kg = 0
    p = 0
    while p < groups:
        q = p + 1
        while q < groups and sorted_keys[q] == sorted_keys[p]:
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
                    if not _new_pair(band_keys, reps[g], reps[h], band):
                        continue
                    if multi[g] or multi[h]:
                        if kg == len(out_groups):
                            out_groups = _grow(out_groups)
                        out_groups[kg] = min(g, h) * groups + max(g, h)
                        kg += 1
                    else:
                        if k == len(out):
                            out = _grow(out)
                        out[k] = min(reps[g], reps[h]) * n + max(reps[g], reps[h])
                        k += 1
        p = q
    return out[:k].copy(), out_groups[:kg].copy()


@njit(cache=True)
def _expand(
    codes: np.ndarray,
    selfish: np.ndarray,
    gptr: np.ndarray,
    members: np.ndarray,
    in_a: np.ndarray,
    n: int,
    cross: bool,
) -> np.ndarray:  # pragma: no cover - numba
    """Row pair codes ``u * n + v`` (u < v) of group pair codes and of single groups.

    Members are ascending, so a group's scope-a rows come first."""
    groups = len(gptr) - 1
    jobs = len(codes) + len(selfish)
    first = np.empty(jobs, np.int64)
    second = np.empty(jobs, np.int64)
    first[: len(codes)] = codes // groups
    second[: len(codes)] = codes % groups
    first[len(codes) :] = selfish
    second[len(codes) :] = selfish
    counts = np.zeros(jobs + 1, np.int64)
    for k in range(jobs):
        a, b = first[k], second[k]
        size_a = gptr[a + 1] - gptr[a]
        size_b = gptr[b + 1] - gptr[b]
        if cross:
            if a == b:
                counts[k + 1] = in_a[a] * (size_a - in_a[a])
            else:
                counts[k + 1] = in_a[a] * (size_b - in_a[b]) + in_a[b] * (size_a - in_a[a])
        elif a == b:
            counts[k + 1] = size_a * (size_a - 1) // 2
        else:
            counts[k + 1] = size_a * size_b
    out = np.empty(counts.sum(), np.int64)
    pos = 0
    for k in range(jobs):
        a, b = first[k], second[k]
        if cross:
            for x in range(gptr[a], gptr[a] + in_a[a]):
                for y in range(gptr[b] + in_a[b], gptr[b + 1]):
                    out[pos] = members[x] * n + members[y]
                    pos += 1
            if a != b:
                for x in range(gptr[b], gptr[b] + in_a[b]):
                    for y in range(gptr[a] + in_a[a], gptr[a + 1]):
                        out[pos] = members[x] * n + members[y]
                        pos += 1
        elif a == b:
            for x in range(gptr[a], gptr[a + 1]):
                for y in range(x + 1, gptr[a + 1]):
                    out[pos] = members[x] * n + members[y]
                    pos += 1
        else:
            for x in range(gptr[a], gptr[a + 1]):
                for y in range(gptr[b], gptr[b + 1]):
                    u = members[x]
                    v = members[y]
                    out[pos] = min(u, v) * n + max(u, v)
                    pos += 1
    return out


@njit(nogil=True, cache=True)
def _sorted_pairs(codes: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
    """Decode pair codes ``i * n + j`` into (i, j) sorted by (i, j): LSD radix sort, 11 bits
    a pass over the bits below n**2 (np.sort is several times slower on millions of pairs)."""
    count = len(codes)
    bits = 0
    while (1 << bits) < n * n and bits < 63:
        bits += 1
    keys = codes.copy()
    tmp = np.empty_like(keys)
    counts = np.empty(1 << 11, np.int64)
    for shift in range(0, bits, 11):
        counts[:] = 0
        for x in range(count):
            counts[(keys[x] >> shift) & 2047] += 1
        total = 0
        for b in range(1 << 11):
            c = counts[b]
            counts[b] = total
            total += c
        for x in range(count):
            b = (keys[x] >> shift) & 2047
            tmp[counts[b]] = keys[x]
            counts[b] += 1
        keys, tmp = tmp, keys
    i = np.empty(count, np.int64)
    j = np.empty(count, np.int64)
    for x in range(count):
        i[x] = keys[x] // n
        j[x] = keys[x] % n
    return i, j
