"""Overlap engine: token matrices and MinHash signatures (pure functions over arrays)."""

import qbank.overlap._numba_cache  # noqa: F401  (first: a writable numba cache, before numba loads)
from qbank.overlap.exact import all_pairs, cross_pairs, verify
from qbank.overlap.lsh import candidates, cross_candidates, lsh_params
from qbank.overlap.matrix import TokenMatrix, to_matrix
from qbank.overlap.minhash import (
    DEFAULT_SCHEME,
    SCHEMES,
    from_bytes,
    permutations,
    signatures,
    to_bytes,
    token_hashes,
)

# `clusters` stays reachable as the submodule `qbank.overlap.clusters` (not re-exported: the
# function of the same name would shadow it).
__all__ = [
    "DEFAULT_SCHEME",
    "SCHEMES",
    "TokenMatrix",
    "all_pairs",
    "candidates",
    "cross_candidates",
    "cross_pairs",
    "from_bytes",
    "lsh_params",
    "permutations",
    "signatures",
    "to_bytes",
    "to_matrix",
    "token_hashes",
    "verify",
]
