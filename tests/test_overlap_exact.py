"""Exact Jaccard pairs and duplicate clusters against brute-force Python set arithmetic."""

from __future__ import annotations

from fractions import Fraction
from itertools import combinations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qbank.overlap import exact
from qbank.overlap.clusters import clusters, repetition
from qbank.overlap.exact import all_pairs, cross_pairs, verify
from qbank.overlap.matrix import to_matrix

TOKENS = ["电阻", "电压", "电流", "欧姆", "定律", "串联", "并联", "功率", "接地", "绝缘"]

token_sets = st.lists(st.frozensets(st.sampled_from(TOKENS), max_size=6), min_size=0, max_size=24)
thresholds = st.sampled_from([0.1, 0.25, 1 / 3, 0.5, 0.6, 0.7, 0.75, 0.8, 1.0])


def _reaches(jac: Fraction | None, threshold: float) -> bool:
    """The threshold as the decimal it is written as: 1/10 reaches 0.1, 7/10 reaches 0.7."""
    return jac is not None and jac >= Fraction(repr(threshold))


def _jaccard(a: frozenset[str], b: frozenset[str]) -> Fraction | None:
    union = len(a | b)
    return Fraction(len(a & b), union) if union else None


def _brute(sets: list[frozenset[str]], threshold: float) -> list[tuple[int, int, float]]:
    out = []
    for i, j in combinations(range(len(sets)), 2):
        jac = _jaccard(sets[i], sets[j])
        if _reaches(jac, threshold):
            out.append((i, j, float(jac)))
    return out


def _brute_cross(a: list[frozenset[str]], b: list[frozenset[str]], threshold: float):
    out = []
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            jac = _jaccard(x, y)
            if _reaches(jac, threshold):
                out.append((i, j, float(jac)))
    return out


def _triples(pairs: tuple[np.ndarray, np.ndarray, np.ndarray]) -> list[tuple[int, int, float]]:
    i, j, jac = pairs
    assert i.dtype == np.int64 and j.dtype == np.int64 and jac.dtype == np.float64
    return list(zip(i.tolist(), j.tolist(), jac.tolist(), strict=True))


@settings(max_examples=50, deadline=None)
@given(sets=token_sets, threshold=thresholds, block=st.integers(1, 7))
def test_all_pairs_equals_brute_force(sets, threshold, block):
    matrix = to_matrix([sorted(s) for s in sets])
    assert _triples(all_pairs(matrix, threshold, block=block)) == _brute(sets, threshold)


@settings(max_examples=50, deadline=None)
@given(sets=token_sets, threshold=thresholds, data=st.data())
def test_verify_equals_brute_force(sets, threshold, data):
    matrix = to_matrix([sorted(s) for s in sets])
    n = len(sets)
    pairs = (
        data.draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=40))
        if n
        else []
    )
    i = np.array([p[0] for p in pairs], dtype=np.int64)
    j = np.array([p[1] for p in pairs], dtype=np.int64)
    expected = []
    for a, b in pairs:
        jac = _jaccard(sets[a], sets[b])
        if _reaches(jac, threshold):
            expected.append((a, b, float(jac)))
    assert _triples(verify(matrix, i, j, threshold)) == expected


@settings(max_examples=50, deadline=None)
@given(a=token_sets, b=token_sets, threshold=thresholds, shared=st.booleans())
def test_cross_pairs_equal_brute_force(a, b, threshold, shared):
    if shared:
        both = to_matrix([sorted(s) for s in a + b])
        ma, mb = both.take(range(len(a))), both.take(range(len(a), len(a) + len(b)))
    else:  # separate vocabularies: b's ids are remapped by token text
        ma, mb = to_matrix([sorted(s) for s in a]), to_matrix([sorted(s) for s in b])
    expected = _brute_cross(a, b, threshold)
    assert _triples(cross_pairs(ma, mb, threshold, block=3)) == expected
    got = _triples(
        verify(
            ma,
            np.array([e[0] for e in expected], dtype=np.int64),
            np.array([e[1] for e in expected], dtype=np.int64),
            threshold,
            other=mb,
        )
    )
    assert got == expected


def test_edge_cases_identical_empty_and_exact_threshold():
    sets = [
        ["电阻", "电压", "电流"],
        ["电流", "电阻", "电压"],  # identical to 0 -> 1.0
        [],
        [],  # two empty sets are not a pair
        ["a", "b", "c", "d", "e", "f", "g"],
        ["a", "b", "c", "d", "e", "f", "g", "x", "y", "z"],  # 7/10 with row 4: exactly 0.7
    ]
    matrix = to_matrix(sets)
    assert _triples(all_pairs(matrix, 0.7)) == [(0, 1, 1.0), (4, 5, 0.7)]
    assert _triples(all_pairs(matrix, 0.71)) == [(0, 1, 1.0)]
    assert _triples(verify(matrix, np.array([2, 0, 2]), np.array([3, 2, 2]), 0.01)) == []


def test_block_budget_splits_give_the_same_pairs(monkeypatch):
    rng = np.random.default_rng(7)
    sets = [sorted(set(rng.choice(TOKENS, size=rng.integers(0, 7)).tolist())) for _ in range(300)]
    matrix = to_matrix(sets)
    expected = _triples(all_pairs(matrix, 0.5))
    monkeypatch.setattr(exact, "_PRODUCT_BUDGET", 5)
    assert _triples(all_pairs(matrix, 0.5, block=10_000)) == expected
    assert expected == _brute([frozenset(s) for s in sets], 0.5)


def test_all_pairs_matches_dense_product_on_a_larger_scope():
    rng = np.random.default_rng(11)
    vocab = [f"w{k}" for k in range(60)]
    base = [sorted(set(rng.choice(vocab, size=rng.integers(1, 12)).tolist())) for _ in range(2500)]
    sets = base + [s[:-1] for s in base[:200] if len(s) > 4]  # planted near-copies
    matrix = to_matrix(sets)
    dense = np.zeros((matrix.n, len(matrix.vocab)), dtype=np.int64)
    for row in range(matrix.n):
        dense[row, matrix.indices[matrix.indptr[row] : matrix.indptr[row + 1]]] = 1
    inter = dense @ dense.T
    size = dense.sum(axis=1)
    union = size[:, None] + size[None, :] - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        jac = np.where(union > 0, inter / np.maximum(union, 1), 0.0)
    ii, jj = np.nonzero(np.triu(jac >= 0.7, k=1))
    i, j, got = all_pairs(matrix, 0.7, block=333)
    assert len(i) > 200
    np.testing.assert_array_equal(i, ii)
    np.testing.assert_array_equal(j, jj)
    np.testing.assert_array_equal(got, jac[ii, jj])


def test_invalid_arguments_raise():
    matrix = to_matrix([["a"], ["a", "b"]])
    for bad in (0.0, -0.1, 1.5):
        with pytest.raises(ValueError):
            all_pairs(matrix, bad)
    with pytest.raises(ValueError):
        verify(matrix, np.array([0]), np.array([2]), 0.5)
    with pytest.raises(ValueError):
        verify(matrix, np.array([0, 1]), np.array([1]), 0.5)


def test_clusters_are_connected_components():
    i = np.array([0, 1, 5, 7, 8, 3, 8])
    j = np.array([1, 2, 6, 8, 9, 3, 7])  # chain 0-1-2, pair 5-6, 7-8-9 (edge repeated), loop 3
    found = clusters(11, i, j)
    assert found == [[0, 1, 2], [5, 6], [7, 8, 9]]
    assert repetition(11, found) == (5, 11)


def test_clusters_star_order_and_edge_cases():
    found = clusters(6, np.array([4, 4, 4]), np.array([0, 5, 2]))
    assert found == [[0, 2, 4, 5]]
    assert clusters(0, np.array([], dtype=np.int64), np.array([], dtype=np.int64)) == []
    assert clusters(3, np.array([]), np.array([])) == []
    assert repetition(3, []) == (0, 3)
    assert clusters(5, np.array([3, 0]), np.array([4, 1])) == [[0, 1], [3, 4]]
    with pytest.raises(ValueError):
        clusters(3, np.array([0]), np.array([3]))
    with pytest.raises(ValueError):
        repetition(2, [[0, 1, 2, 3]])


def test_clusters_agree_with_a_union_find():
    rng = np.random.default_rng(3)
    n = 400
    i = rng.integers(0, n, 300)
    j = rng.integers(0, n, 300)
    parent = list(range(n))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in zip(i.tolist(), j.tolist(), strict=True):
        parent[root(a)] = root(b)
    groups: dict[int, list[int]] = {}
    for x in range(n):
        groups.setdefault(root(x), []).append(x)
    expected = sorted((g for g in groups.values() if len(g) > 1), key=lambda g: g[0])
    found = clusters(n, i, j)
    assert found == expected
    assert repetition(n, found) == (sum(len(g) - 1 for g in expected), n)
