"""Overlap engine: token matrices and MinHash signatures (pure functions over arrays).

The kernels' names below are loaded on first use (PEP 562), so importing a light submodule
(`qbank.overlap.document` for a report's shape) costs no numba or scipy import.
"""

from __future__ import annotations

import importlib
from typing import Any

import qbank.overlap._numba_cache  # noqa: F401  (first: a writable numba cache, before numba loads)

_EXPORTS = {
    "all_pairs": "qbank.overlap.exact",
    "cross_pairs": "qbank.overlap.exact",
    "verify": "qbank.overlap.exact",
    "candidates": "qbank.overlap.lsh",
    "cross_candidates": "qbank.overlap.lsh",
    "lsh_params": "qbank.overlap.lsh_params",
    "TokenMatrix": "qbank.overlap.matrix",
    "to_matrix": "qbank.overlap.matrix",
    "DEFAULT_SCHEME": "qbank.overlap.minhash",
    "SCHEMES": "qbank.overlap.minhash",
    "from_bytes": "qbank.overlap.minhash",
    "permutations": "qbank.overlap.minhash",
    "signatures": "qbank.overlap.minhash",
    "to_bytes": "qbank.overlap.minhash",
    "token_hashes": "qbank.overlap.minhash",
}

# `clusters` stays reachable as the submodule `qbank.overlap.clusters` (not re-exported: the
# function of the same name would shadow it).
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
