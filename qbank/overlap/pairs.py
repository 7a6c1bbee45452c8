"""Near-duplicate pairs of a scope, exact where cheap and MinHash/LSH where not.

Up to `policy.exact_max_items` texts, every pair is compared exactly (sparse matrix product).
Above it, MinHash signatures are banded (LSH, bands and rows chosen for the policy's recall at
the threshold) and every candidate is verified exactly. Either way every returned pair carries
its exact Jaccard with the counts behind it, so a report's figures can be re-derived from the
token sets alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from qbank.overlap.document import ExactMethod, LshMethod, Method, MinHashParams
from qbank.overlap.lsh_params import lsh_params
from qbank.policy import Policy

if TYPE_CHECKING:
    from qbank.overlap.matrix import TokenMatrix

# The kernels (numba) are imported where pairs are computed, not with this module: a report
# built from pairs found elsewhere (`stored_scope`) loads none of them.
DEFAULT_SCHEME = "affine32"
"""`qbank.overlap.minhash.DEFAULT_SCHEME` (a test holds them equal)."""

Stages = Callable[[str, int, int], None] | None
"""Progress of long stages: (stage, done, total), as `workflows.types.Progress`."""

VERIFY_CHUNK = 1 << 19
"""Candidate pairs verified per call (a progress step); results are concatenated in order."""


@dataclass(frozen=True)
class Pair:
    """Two texts of a scope (indices into its lists) and their exact token-set Jaccard."""

    i: int
    j: int
    shared: int
    union: int

    @property
    def similarity(self) -> float:
        return self.shared / self.union if self.union else 1.0


def minhash_params(policy: Policy) -> MinHashParams:
    return MinHashParams(
        num_perm=int(policy.num_perm.value),
        seed=int(policy.seed.value),
        scheme=DEFAULT_SCHEME,
        compatible_with="datasketch.MinHash (default scheme), tokens UTF-8 encoded",
    )


def _exact_pair(a: Sequence[str], b: Sequence[str], i: int, j: int) -> Pair:
    sa, sb = set(a), set(b)
    return Pair(i, j, len(sa & sb), len(sa | sb))


def _identical_text_pairs(
    keys: Sequence[str] | None, tokens: Sequence[Sequence[str]]
) -> set[tuple[int, int]]:
    """Pairs of texts whose normalised text is identical: duplicates whatever their tokens."""
    if keys is None:
        return set()
    first: dict[str, list[int]] = {}
    for index, key in enumerate(keys):
        first.setdefault(key, []).append(index)
    return {
        (g[x], g[y]) for g in first.values() for x in range(len(g)) for y in range(x + 1, len(g))
    }


def near_duplicates(
    tokens: Sequence[Sequence[str]],
    policy: Policy,
    *,
    text_keys: Sequence[str] | None = None,
    sigs: np.ndarray | None = None,
    progress: Stages = None,
) -> tuple[list[Pair], Method]:
    """Every pair of `tokens` at or above the policy's similarity threshold.

    `text_keys` (one per text, e.g. a hash of the folded text) make identical texts pairs even
    when their token sets are empty. `sigs` may pass stored signatures for the LSH path (the
    policy's parameters, one row per text). `progress` follows the LSH path's stages:
    `signatures` (when computed here), `candidates` (bands), `verify` (candidate pairs).
    """
    from qbank.overlap.exact import all_pairs
    from qbank.overlap.lsh import candidates
    from qbank.overlap.matrix import to_matrix

    threshold = float(policy.similarity_threshold.value)
    matrix = to_matrix(tokens)
    if matrix.n <= int(policy.exact_max_items.value):
        i, j, _ = all_pairs(matrix, threshold)
        method: Method = ExactMethod(int(policy.exact_max_items.value))
    else:
        bands, rows = lsh_params(
            threshold, int(policy.num_perm.value), min_recall=float(policy.lsh_min_recall.value)
        )
        if sigs is None:
            _report(progress, "signatures", 0, matrix.n)
            sigs = _signatures(matrix, policy)
            _report(progress, "signatures", matrix.n, matrix.n)
        ci, cj = candidates(sigs, bands, rows, progress=_counter(progress, "candidates", bands))
        i, j = _verified(matrix, ci, cj, threshold, progress)
        method = LshMethod(bands, rows, float(policy.lsh_min_recall.value), len(ci))
    found = {(int(a), int(b)) for a, b in zip(i, j, strict=True)}
    found |= _identical_text_pairs(text_keys, tokens)
    pairs = [_exact_pair(tokens[a], tokens[b], a, b) for a, b in sorted(found)]
    return pairs, method


def cross_duplicates(
    tokens_a: Sequence[Sequence[str]],
    tokens_b: Sequence[Sequence[str]],
    policy: Policy,
    *,
    keys_a: Sequence[str] | None = None,
    keys_b: Sequence[str] | None = None,
) -> tuple[list[Pair], Method]:
    """Pairs (i in a, j in b) at or above the threshold: a scope against a reference."""
    from qbank.overlap.exact import cross_pairs, verify
    from qbank.overlap.lsh import cross_candidates
    from qbank.overlap.matrix import to_matrix

    threshold = float(policy.similarity_threshold.value)
    both = to_matrix([*tokens_a, *tokens_b])
    split = len(tokens_a)
    a, b = both.take(np.arange(split)), both.take(np.arange(split, both.n))
    if both.n <= int(policy.exact_max_items.value):
        i, j, _ = cross_pairs(a, b, threshold)
        method: Method = ExactMethod(int(policy.exact_max_items.value))
    else:
        bands, rows = lsh_params(
            threshold, int(policy.num_perm.value), min_recall=float(policy.lsh_min_recall.value)
        )
        sigs = _signatures(both, policy)
        ci, cj = cross_candidates(sigs[:split], sigs[split:], bands, rows)
        i, j, _ = verify(both, ci, cj + split, threshold)
        j = j - split
        method = LshMethod(bands, rows, float(policy.lsh_min_recall.value), len(ci))
    found = {(int(x), int(y)) for x, y in zip(i, j, strict=True)}
    if keys_a is not None and keys_b is not None:
        index_b: dict[str, list[int]] = {}
        for y, key in enumerate(keys_b):
            index_b.setdefault(key, []).append(y)
        found |= {(x, y) for x, key in enumerate(keys_a) for y in index_b.get(key, [])}
    return [_exact_pair(tokens_a[x], tokens_b[y], x, y) for x, y in sorted(found)], method


def _report(progress: Stages, stage: str, done: int, total: int) -> None:
    if progress is not None:
        progress(stage, done, total)


def _counter(progress: Stages, stage: str, total: int) -> Callable[[int], None] | None:
    """An increment callback for `stage` (started at 0 of `total`), None without progress."""
    if progress is None:
        return None
    done = 0
    progress(stage, 0, total)

    def advance(n: int) -> None:
        nonlocal done
        done += n
        progress(stage, done, total)

    return advance


def _verified(
    matrix: TokenMatrix, ci: np.ndarray, cj: np.ndarray, threshold: float, progress: Stages
) -> tuple[np.ndarray, np.ndarray]:
    """The candidates at or above the threshold (in their order), `VERIFY_CHUNK` at a time."""
    from qbank.overlap.exact import verify

    advance = _counter(progress, "verify", len(ci))
    found_i, found_j = [], []
    for start in range(0, len(ci), VERIFY_CHUNK):
        i, j, _ = verify(
            matrix, ci[start : start + VERIFY_CHUNK], cj[start : start + VERIFY_CHUNK], threshold
        )
        found_i.append(i)
        found_j.append(j)
        if advance is not None:
            advance(min(VERIFY_CHUNK, len(ci) - start))
    if not found_i:
        return ci[:0], cj[:0]
    return np.concatenate(found_i), np.concatenate(found_j)


def _signatures(matrix: TokenMatrix, policy: Policy) -> np.ndarray:
    from qbank.overlap.minhash import signatures

    return signatures(matrix, num_perm=int(policy.num_perm.value), seed=int(policy.seed.value))
