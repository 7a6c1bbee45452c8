"""Token sets as one CSR matrix of token ids: the input of every overlap kernel.

Token ids index `vocab`, which is sorted (Python string order), so the same collection of sets
gives the same ids whatever order the sets come in, and the rows of a tokenizer's sorted token
lists are already sorted id lists. The row kernels are serial: they cost little next to the
dictionary lookups, and a serial kernel compiles in a fraction of a parallel one's time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np
from numba import njit


@dataclass(frozen=True, eq=False)
class TokenMatrix:
    """CSR layout: row i holds the token ids of set i, sorted and unique, in
    `indices[indptr[i]:indptr[i + 1]]`. Compared by identity (arrays have no single truth)."""

    indptr: np.ndarray
    indices: np.ndarray
    vocab: list[str]

    @property
    def n(self) -> int:
        return len(self.indptr) - 1

    def sizes(self) -> np.ndarray:
        """Set sizes (int64)."""
        return np.diff(self.indptr)

    def tokens(self, i: int) -> list[str]:
        """The tokens of row `i`, sorted."""
        return [self.vocab[t] for t in self.indices[self.indptr[i] : self.indptr[i + 1]]]

    def take(self, rows: Sequence[int] | np.ndarray) -> TokenMatrix:
        """The given rows, in the given order, with the same vocabulary (so ids stay comparable)."""
        rows = np.asarray(rows, dtype=np.int64)
        starts = self.indptr[rows]
        lengths = self.indptr[rows + 1] - starts
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        offsets = np.repeat(starts - indptr[:-1], lengths)
        gather = np.arange(indptr[-1], dtype=np.int64) + offsets
        return TokenMatrix(indptr, self.indices[gather], self.vocab)


@njit(cache=True)
def _sort_rows_count_unique(indptr: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Sort each row of `ids` in place; return the number of distinct ids per row."""
    n = indptr.shape[0] - 1
    counts = np.zeros(n, dtype=np.int64)
    for i in range(n):
        start, end = indptr[i], indptr[i + 1]
        if end - start > 1:
            ids[start:end].sort()
        c = 0
        for j in range(start, end):
            if j == start or ids[j] != ids[j - 1]:
                c += 1
        counts[i] = c
    return counts


@njit(cache=True)
def _compact_rows(
    indptr: np.ndarray, ids: np.ndarray, new_indptr: np.ndarray, out: np.ndarray
) -> None:
    """Copy each sorted row of `ids` into `out` without repeats."""
    n = indptr.shape[0] - 1
    for i in range(n):
        k = new_indptr[i]
        for j in range(indptr[i], indptr[i + 1]):
            if j == indptr[i] or ids[j] != ids[j - 1]:
                out[k] = ids[j]
                k += 1


def to_matrix(token_sets: Sequence[Sequence[str]]) -> TokenMatrix:
    """Build the CSR matrix of `token_sets`; rows may come unsorted or with repeats."""
    if any(isinstance(s, str) for s in token_sets):
        raise TypeError("each token set must be a sequence of tokens, not a string")
    n = len(token_sets)
    lengths = np.fromiter(map(len, token_sets), dtype=np.int64, count=n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    flat = list(chain.from_iterable(token_sets))
    vocab = sorted(set(flat))
    index = dict(zip(vocab, range(len(vocab)), strict=True))
    ids = np.array(list(map(index.__getitem__, flat)), dtype=np.int32)
    counts = _sort_rows_count_unique(indptr, ids)
    if int(counts.sum()) == len(ids):
        return TokenMatrix(indptr, ids, vocab)
    new_indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=new_indptr[1:])
    out = np.empty(int(new_indptr[-1]), dtype=np.int32)
    _compact_rows(indptr, ids, new_indptr, out)
    return TokenMatrix(new_indptr, out, vocab)
