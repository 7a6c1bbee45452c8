"""LSH banding: parameter maths, candidates against brute-force banding, recall on planted pairs."""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pytest
from datasketch import MinHash, MinHashLSH
from hypothesis import given, settings
from hypothesis import strategies as st

from qbank.overlap.clusters import clusters
from qbank.overlap.exact import all_pairs, verify
from qbank.overlap.lsh import (
    _false_negative_area,
    _false_positive_area,
    _recall,
    candidates,
    cross_candidates,
    lsh_params,
)
from qbank.overlap.matrix import to_matrix
from qbank.overlap.minhash import signatures


def _exhaustive(threshold: float, num_perm: int, min_recall: float) -> tuple[int, int]:
    """Every (b, r) with b*r <= num_perm, as datasketch's _optimal_param scans them."""
    best, best_area = None, math.inf
    for b in range(1, num_perm + 1):
        for r in range(1, num_perm // b + 1):
            if 1.0 - (1.0 - threshold**r) ** b >= min_recall:
                area = _false_positive_area(threshold, b, r)
                if area < best_area:
                    best, best_area = (b, r), area
    assert best is not None
    return best


def test_s_curve_maths_closed_forms():
    assert _recall(0.7, 1, 1) == pytest.approx(0.7)
    assert _recall(0.7, 17, 4) == pytest.approx(1 - (1 - 0.7**4) ** 17)
    assert _false_positive_area(0.7, 1, 1) == pytest.approx(0.7**2 / 2)
    assert _false_negative_area(0.7, 1, 1) == pytest.approx(0.3**2 / 2)
    # b bands of r rows: the two areas cover the whole unit interval between them and 1 - P.
    fp, fn = _false_positive_area(0.6, 9, 5), _false_negative_area(0.6, 9, 5)
    assert 0 < fp < 0.6 and 0 < fn < 0.4
    assert _recall(1.0, 1, 64) == 1.0


@pytest.mark.parametrize(
    ("threshold", "num_perm"), [(0.7, 128), (0.7, 64), (0.5, 128), (0.8, 256), (0.9, 32)]
)
def test_lsh_params_reach_recall_with_fewest_false_positives(threshold, num_perm):
    bands, rows = lsh_params(threshold, num_perm)
    assert bands * rows <= num_perm
    assert 1.0 - (1.0 - threshold**rows) ** bands >= 0.99
    if num_perm <= 128:
        assert (bands, rows) == _exhaustive(threshold, num_perm, 0.99)


def test_lsh_params_default_policy_and_errors():
    assert lsh_params(0.7, 128) == (17, 4)
    bands, rows = lsh_params(0.7, 128, min_recall=0.999)
    assert 1.0 - (1.0 - 0.7**rows) ** bands >= 0.999
    assert lsh_params(1.0, 16) == (1, 16)
    with pytest.raises(ValueError):
        lsh_params(0.5, 4)  # 4 permutations cannot reach 0.99 at 0.5
    for bad in ((0.0, 128), (1.2, 128), (0.7, 0)):
        with pytest.raises(ValueError):
            lsh_params(*bad)
    with pytest.raises(ValueError):
        lsh_params(0.7, 128, min_recall=1.0)


def _brute_band_pairs(sigs: np.ndarray, bands: int, rows: int, split: int | None = None):
    def shares(x: np.ndarray, y: np.ndarray) -> bool:
        return any(
            np.array_equal(x[k * rows : (k + 1) * rows], y[k * rows : (k + 1) * rows])
            for k in range(bands)
        )

    if split is None:
        return [(i, j) for i, j in combinations(range(len(sigs)), 2) if shares(sigs[i], sigs[j])]
    return [
        (i, j - split)
        for i in range(split)
        for j in range(split, len(sigs))
        if shares(sigs[i], sigs[j])
    ]


def _pairs(result: tuple[np.ndarray, np.ndarray]) -> list[tuple[int, int]]:
    i, j = result
    assert i.dtype == np.int64 and j.dtype == np.int64
    return list(zip(i.tolist(), j.tolist(), strict=True))


shapes = st.sampled_from([(1, 1), (2, 3), (3, 2), (6, 1), (1, 6), (2, 2)])
small_sigs = st.integers(0, 30).flatmap(
    lambda n: st.lists(st.lists(st.integers(0, 2), min_size=6, max_size=6), min_size=n, max_size=n)
)


@settings(max_examples=50, deadline=None)
@given(rows_=small_sigs, shape=shapes, wide=st.booleans())
def test_candidates_equal_brute_force_banding(rows_, shape, wide):
    # Values 0..2 in 6 columns: many equal bands and many identical rows (the collapse path).
    sigs = np.array(rows_, dtype=np.uint64 if wide else np.uint32).reshape(len(rows_), 6)
    bands, rows = shape
    assert _pairs(candidates(sigs, bands, rows)) == _brute_band_pairs(sigs, bands, rows)


@settings(max_examples=50, deadline=None)
@given(a=small_sigs, b=small_sigs, shape=shapes)
def test_cross_candidates_equal_brute_force_banding(a, b, shape):
    sa = np.array(a, dtype=np.uint32).reshape(len(a), 6)
    sb = np.array(b, dtype=np.uint32).reshape(len(b), 6)
    bands, rows = shape
    expected = _brute_band_pairs(np.concatenate([sa, sb]), bands, rows, split=len(a))
    assert _pairs(cross_candidates(sa, sb, bands, rows)) == expected


def test_huge_bucket_of_identical_sets_lists_every_pair_once():
    rng = np.random.default_rng(5)
    distinct = rng.integers(0, 2**32, size=(50, 128), dtype=np.uint64)
    copies = np.repeat(distinct[:1], 600, axis=0)
    sigs = np.concatenate([distinct, copies])  # row 0 and rows 50..649 are identical
    same = [0, *range(50, 650)]
    i, j = candidates(sigs, 17, 4)
    assert _pairs((i, j)) == list(combinations(same, 2))
    ci, cj = cross_candidates(sigs[:60], sigs[40:], 17, 4)
    expected = [
        (x, y - 40) for x in range(60) for y in range(40, 650) if x == y or {x, y} <= set(same)
    ]
    assert _pairs((ci, cj)) == sorted(expected)


def test_candidate_input_errors():
    sigs = np.zeros((3, 8), dtype=np.uint32)
    with pytest.raises(ValueError):
        candidates(sigs, 3, 3)  # 9 > 8 columns
    with pytest.raises(ValueError):
        candidates(sigs[0], 1, 1)
    with pytest.raises(ValueError):
        candidates(sigs.astype(float), 2, 2)
    with pytest.raises(ValueError):
        cross_candidates(sigs, np.zeros((2, 4), np.uint32), 2, 2)
    assert _pairs(candidates(sigs[:1], 2, 2)) == []
    assert _pairs(cross_candidates(sigs[:0], sigs, 2, 2)) == []


def _planted_corpus(seed: int) -> tuple[list[list[str]], list[tuple[int, int]]]:
    """Random token sets plus near-copies at Jaccard >= 0.8 (one of 11+ tokens swapped).

    The vocabulary is an array: `choice` on a list converts the whole list on every call
    (the same draws, ten times slower)."""
    rng = np.random.default_rng(seed)
    vocab = np.array([f"词{k}" for k in range(3000)])
    sets = [sorted(set(rng.choice(vocab, size=rng.integers(11, 25)).tolist())) for _ in range(3000)]
    planted = []
    for source in rng.choice(len(sets), size=300, replace=False).tolist():
        copy = list(sets[source])
        copy[rng.integers(len(copy))] = f"新{len(planted)}"
        planted.append((source, len(sets)))
        sets.append(sorted(copy))
    return sets, planted


def test_candidates_find_every_planted_pair_and_verify_matches_exact():
    sets, planted = _planted_corpus(seed=2026)
    matrix = to_matrix(sets)
    sigs = signatures(matrix, num_perm=128, seed=1)
    bands, rows = lsh_params(0.7, 128)
    ci, cj = candidates(sigs, bands, rows)
    found = set(_pairs((ci, cj)))
    exact_i, exact_j, exact_s = all_pairs(matrix, 0.7)
    high = {(a, b) for a, b, s in zip(exact_i, exact_j, exact_s, strict=True) if s >= 0.8}
    assert {tuple(sorted(p)) for p in planted} <= high
    assert high <= found
    vi, vj, vs = verify(matrix, ci, cj, 0.7)
    exact = dict(
        zip(zip(exact_i.tolist(), exact_j.tolist(), strict=True), exact_s.tolist(), strict=True)
    )
    assert all(
        exact[(a, b)] == s for a, b, s in zip(vi.tolist(), vj.tolist(), vs.tolist(), strict=True)
    )
    assert len(vi) >= 0.99 * len(exact)
    lsh_clusters = clusters(matrix.n, vi, vj)
    assert lsh_clusters == clusters(matrix.n, exact_i, exact_j)


def test_cross_candidates_find_planted_pairs_across_scopes():
    sets, planted = _planted_corpus(seed=99)
    bank = to_matrix(sets)
    sigs = signatures(bank, num_perm=128, seed=1)
    split = 3000  # originals in a, planted copies in b
    bands, rows = lsh_params(0.7, 128)
    ci, cj = cross_candidates(sigs[:split], sigs[split:], bands, rows)
    found = set(_pairs((ci, cj)))
    assert {(source, copy - split) for source, copy in planted} <= found


def test_candidates_equal_datasketch_minhash_lsh_buckets():
    sets, planted = _planted_corpus(seed=7)
    bands, rows = lsh_params(0.7, 128)
    hashed = MinHash.bulk([[t.encode("utf-8") for t in s] for s in sets], num_perm=128, seed=1)
    index = MinHashLSH(threshold=0.7, num_perm=128, params=(bands, rows))
    for k, m in enumerate(hashed):
        index.insert(k, m)
    expected = {
        (min(k, other), max(k, other))
        for k, m in enumerate(hashed)
        for other in index.query(m)
        if other != k
    }
    sigs = np.stack([m.hashvalues for m in hashed])
    assert sigs.dtype == np.uint32
    found = _pairs(candidates(sigs, bands, rows))
    assert found == sorted(expected)
    assert len(found) >= len(planted)
