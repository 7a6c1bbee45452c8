"""pytest-benchmark entries for token hashing, the CSR build and the MinHash kernel.

Run: `pytest benchmarks/test_kernels_minhash.py --benchmark-only --benchmark-group-by=group`
(not part of the default `pytest` run). The corpus is 100,000 synthetic Chinese token sets of
15–25 two-character words drawn Zipf-like from a 30,000-word vocabulary. Each entry records
`sets_per_s` (or `tokens_per_s`) in extra_info. datasketch and rensa run once per entry
(`pedantic`, one round), they take seconds; qbank's are timed over several rounds.
"""

from __future__ import annotations

import numpy as np
import pytest
import rensa
from datasketch import MinHash

from qbank.overlap import TokenMatrix, signatures, to_matrix, token_hashes

N_SETS = 100_000
VOCAB = 30_000
NUM_PERM = 128
SEED = 1


def _rate(benchmark, count: int, key: str) -> None:
    benchmark.extra_info[key] = round(count / benchmark.stats.stats.min)


@pytest.fixture(scope="module")
def corpus() -> list[list[str]]:
    rng = np.random.default_rng(20240601)
    chars = rng.integers(0x4E00, 0x9FA5, size=(VOCAB, 2))
    vocab = sorted({chr(a) + chr(b) for a, b in chars})
    weights = 1.0 / np.arange(1, len(vocab) + 1) ** 0.8
    weights /= weights.sum()
    sizes = rng.integers(15, 26, size=N_SETS)
    picks = rng.choice(len(vocab), size=int(sizes.sum()), p=weights)
    result, start = [], 0
    for size in sizes:
        result.append(sorted({vocab[k] for k in picks[start : start + size]}))
        start += size
    return result


@pytest.fixture(scope="module")
def matrix(corpus: list[list[str]]) -> TokenMatrix:
    m = to_matrix(corpus)
    signatures(m.take([0, 1]), num_perm=NUM_PERM, seed=SEED)  # compile or load the kernel
    return m


@pytest.fixture(scope="module")
def reference(matrix: TokenMatrix) -> np.ndarray:
    return signatures(matrix, num_perm=NUM_PERM, seed=SEED)


@pytest.mark.benchmark(group="token hashing")
def test_token_hashes(benchmark, matrix: TokenMatrix) -> None:
    benchmark(token_hashes, matrix.vocab)
    _rate(benchmark, len(matrix.vocab), "tokens_per_s")


@pytest.mark.benchmark(group="csr build")
def test_to_matrix(benchmark, corpus: list[list[str]]) -> None:
    benchmark.pedantic(to_matrix, (corpus,), rounds=3, iterations=1)
    _rate(benchmark, len(corpus), "sets_per_s")


@pytest.mark.benchmark(group="minhash 100k sets, num_perm 128")
def test_qbank_kernel(benchmark, matrix: TokenMatrix, reference: np.ndarray) -> None:
    hashes = token_hashes(matrix.vocab)
    sigs = benchmark(signatures, matrix, num_perm=NUM_PERM, seed=SEED, hashes=hashes)
    assert np.array_equal(sigs, reference)
    _rate(benchmark, matrix.n, "sets_per_s")


@pytest.mark.benchmark(group="minhash 100k sets, num_perm 128")
def test_qbank_hash_and_kernel(benchmark, matrix: TokenMatrix) -> None:
    benchmark(signatures, matrix, num_perm=NUM_PERM, seed=SEED)
    _rate(benchmark, matrix.n, "sets_per_s")


@pytest.mark.benchmark(group="minhash 100k sets, num_perm 128")
def test_datasketch_bulk(benchmark, corpus: list[list[str]], reference: np.ndarray) -> None:
    data = [[t.encode("utf-8") for t in tokens] for tokens in corpus]
    result = benchmark.pedantic(
        MinHash.bulk, (data,), {"num_perm": NUM_PERM, "seed": SEED}, rounds=1, iterations=1
    )
    assert np.array_equal(np.array([m.hashvalues for m in result]), reference)
    _rate(benchmark, len(corpus), "sets_per_s")


@pytest.mark.benchmark(group="minhash 100k sets, num_perm 128")
def test_rensa_objects(benchmark, corpus: list[list[str]]) -> None:
    def run() -> list[list[int]]:
        out = []
        for tokens in corpus:
            m = rensa.RMinHash(num_perm=NUM_PERM, seed=SEED)
            m.update(tokens)
            out.append(m.digest())
        return out

    benchmark.pedantic(run, rounds=1, iterations=1)
    _rate(benchmark, len(corpus), "sets_per_s")


@pytest.mark.benchmark(group="minhash 100k sets, num_perm 128")
def test_rensa_bulk(benchmark, corpus: list[list[str]]) -> None:
    benchmark.pedantic(
        rensa.RMinHash.digest_matrix_from_token_sets,
        (corpus, NUM_PERM, SEED),
        rounds=3,
        iterations=1,
    )
    _rate(benchmark, len(corpus), "sets_per_s")


@pytest.mark.benchmark(group="minhash 100k sets, num_perm 128")
def test_rensa_bulk_prehashed(benchmark, matrix: TokenMatrix) -> None:
    flat = token_hashes(matrix.vocab)[matrix.indices]
    offsets = matrix.indptr.astype(np.uint64)
    benchmark.pedantic(
        rensa.RMinHash.digest_matrix_from_flat_token_hashes,
        (flat, offsets, NUM_PERM, SEED),
        rounds=3,
        iterations=1,
    )
    _rate(benchmark, matrix.n, "sets_per_s")
