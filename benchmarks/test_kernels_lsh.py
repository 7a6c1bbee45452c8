"""pytest-benchmark entries for LSH candidate generation, exact verification and clusters.

Run: `pytest benchmarks/test_kernels_lsh.py --benchmark-only --benchmark-group-by=group`
(not part of the default `pytest` run). The corpus is `overlap.build_corpus`: 100,000 items
of words from the sample electrician items, 10% planted near-copies; signatures are qbank's
(num_perm 128, seed 1, bit-identical to datasketch), bands and rows `lsh_params(0.7, 128)`.
Each entry records items/s or pairs/s in extra_info; datasketch's MinHashLSH runs once on
10,000 items (`pedantic`, one round) for comparison.
"""

from __future__ import annotations

import numpy as np
import pytest
from datasketch import MinHash, MinHashLSH
from overlap import build_corpus

from qbank.overlap.clusters import clusters
from qbank.overlap.exact import all_pairs, cross_pairs, verify
from qbank.overlap.lsh import candidates, cross_candidates, lsh_params
from qbank.overlap.matrix import TokenMatrix, to_matrix
from qbank.overlap.minhash import signatures

N_ITEMS = 100_000
EXACT_ITEMS = 10_000
DATASKETCH_ITEMS = 10_000
THRESHOLD = 0.7
NUM_PERM = 128
SEED = 1
BANDS, ROWS = lsh_params(THRESHOLD, NUM_PERM)


def _rate(benchmark, count: int, key: str) -> None:
    benchmark.extra_info[key] = round(count / benchmark.stats.stats.min)


@pytest.fixture(scope="module")
def matrix() -> TokenMatrix:
    return to_matrix(build_corpus(N_ITEMS, seed=SEED).token_sets())


@pytest.fixture(scope="module")
def sigs(matrix: TokenMatrix) -> np.ndarray:
    result = signatures(matrix, num_perm=NUM_PERM, seed=SEED)
    candidates(result[:1000], BANDS, ROWS)  # compile or load the kernels
    cross_candidates(result[:500], result[500:1000], BANDS, ROWS)
    return result


@pytest.fixture(scope="module")
def pairs(matrix: TokenMatrix, sigs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return candidates(sigs, BANDS, ROWS)


@pytest.mark.benchmark(group="lsh candidates")
def test_candidates(benchmark, sigs: np.ndarray) -> None:
    i, _j = benchmark(candidates, sigs, BANDS, ROWS)
    assert len(i) > 0
    _rate(benchmark, len(sigs), "items_per_s")


@pytest.mark.benchmark(group="lsh candidates")
def test_cross_candidates(benchmark, sigs: np.ndarray) -> None:
    half = len(sigs) // 2
    benchmark(cross_candidates, sigs[:half], sigs[half:], BANDS, ROWS)
    _rate(benchmark, len(sigs), "items_per_s")


@pytest.mark.benchmark(group="lsh candidates")
def test_datasketch_minhash_lsh(benchmark, sigs: np.ndarray) -> None:
    objs = [
        MinHash(num_perm=NUM_PERM, seed=SEED, hashvalues=row, scheme="affine32")
        for row in sigs[:DATASKETCH_ITEMS]
    ]

    def run() -> int:
        index = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, params=(BANDS, ROWS))
        for k, m in enumerate(objs):
            index.insert(k, m)
        return sum(len(index.query(m)) for m in objs)

    benchmark.pedantic(run, rounds=1, iterations=1)
    _rate(benchmark, DATASKETCH_ITEMS, "items_per_s")


@pytest.mark.benchmark(group="exact")
def test_verify_candidates(benchmark, matrix: TokenMatrix, pairs) -> None:
    ci, cj = pairs
    verify(matrix, ci[:10], cj[:10], THRESHOLD)
    benchmark(verify, matrix, ci, cj, THRESHOLD)
    _rate(benchmark, len(ci), "pairs_per_s")


@pytest.mark.benchmark(group="exact")
def test_all_pairs(benchmark, matrix: TokenMatrix) -> None:
    sample = matrix.take(np.arange(EXACT_ITEMS))
    all_pairs(sample.take([0, 1]), THRESHOLD)
    i, _j, _s = benchmark(all_pairs, sample, THRESHOLD)
    assert len(i) > 0
    _rate(benchmark, EXACT_ITEMS, "items_per_s")


@pytest.mark.benchmark(group="exact")
def test_cross_pairs(benchmark, matrix: TokenMatrix) -> None:
    a = matrix.take(np.arange(EXACT_ITEMS // 2))
    b = matrix.take(np.arange(EXACT_ITEMS // 2, EXACT_ITEMS))
    benchmark(cross_pairs, a, b, THRESHOLD)
    _rate(benchmark, EXACT_ITEMS, "items_per_s")


@pytest.mark.benchmark(group="clusters")
def test_clusters(benchmark, matrix: TokenMatrix, pairs) -> None:
    vi, vj, _ = verify(matrix, *pairs, THRESHOLD)
    found = benchmark(clusters, matrix.n, vi, vj)
    assert found
    _rate(benchmark, matrix.n, "items_per_s")
