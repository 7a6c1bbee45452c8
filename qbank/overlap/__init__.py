"""Overlap engine: token matrices and MinHash signatures (pure functions over arrays)."""

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

__all__ = [
    "DEFAULT_SCHEME",
    "SCHEMES",
    "TokenMatrix",
    "from_bytes",
    "permutations",
    "signatures",
    "to_bytes",
    "to_matrix",
    "token_hashes",
]
