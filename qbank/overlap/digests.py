"""Text keys as numpy holds them: SHA-256 digests (`DIGESTS`), sorted, searched and matched
against the keys a table stores, without a string per key.

The overlap check's scope keeps a million text keys; as 64-character strings they held
120 MB through its candidate stage, as digests 32 MB. `qbank.overlap.stored` reads token sets
and signatures by them, and `qbank.overlap.fingerprints` finds them in a scan of its table.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import overload

import numpy as np

DIGESTS = np.dtype("V32")
"""A SHA-256 digest as numpy holds it: raw bytes, compared and sorted as bytes (an `S32`
would drop trailing zero bytes when read back). numpy sorts and searches such values a byte
at a time; `unique_digests` and `find_digests` sort and search on the first 8 bytes as an
integer instead (a million searches: 1.44 s as V32, 0.33 s so, 2026-12-04)."""

_DIGEST = DIGESTS.itemsize


def _heads(digests: np.ndarray) -> np.ndarray:
    """The first 8 bytes of each digest as an unsigned integer (big-endian: integers in the
    order of the bytes)."""
    return digests.view(">u8")[:: _DIGEST // 8].astype(np.uint64)


def unique_digests(digests: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`np.unique(digests, return_inverse=True)` of DIGESTS values: the distinct digests in
    byte order, and where each of `digests` is among them."""
    heads = _heads(digests)
    order = np.argsort(heads, kind="stable")
    ordered = digests[order]
    tied = heads[order][1:] == heads[order][:-1]
    same = ordered[1:] == ordered[:-1] if tied.any() else tied
    if (tied & ~same).any():  # distinct digests sharing 8 bytes: numpy's own byte order
        unique, inverse = np.unique(digests, return_inverse=True)
        return unique, inverse.reshape(-1)
    first = np.concatenate(([True], ~same))[: len(digests)]  # none for no digests
    inverse = np.empty(len(digests), dtype=np.int64)
    inverse[order] = np.cumsum(first) - 1
    return ordered[first], inverse


def find_digests(table: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Where each of `queries` is in `table` (DIGESTS values, distinct, in byte order as
    `unique_digests` gives them), -1 where it is not."""
    found = np.full(len(queries), -1, dtype=np.int64)
    if not len(table) or not len(queries):
        return found
    heads, asked = _heads(table), _heads(queries)
    places = np.minimum(np.searchsorted(heads, asked), len(table) - 1)
    near = np.flatnonzero(heads[places] == asked)
    whole = table[places[near]] == queries[near]
    found[near[whole]] = places[near[whole]]
    for k in near[~whole].tolist():  # the first with its 8 bytes is another digest
        place = int(places[k]) + 1
        while place < len(table) and heads[place] == asked[k]:
            if table[place] == queries[k]:
                found[k] = place
                break
            place += 1
    return found


def digests_of(keys: Sequence[str]) -> np.ndarray:
    """The DIGESTS of text keys (a `TextKeys`' own buffer, without writing them out in hex)."""
    if isinstance(keys, TextKeys):
        return np.frombuffer(keys.packed, dtype=DIGESTS)
    return np.frombuffer(b"".join(map(_digest_bytes, keys)), dtype=DIGESTS)


def found_keys(wanted: np.ndarray, names: Sequence[object]) -> tuple[list[int], np.ndarray]:
    """Which of `names` (keys as a table stores them) are keys of `wanted` (DIGESTS, sorted,
    distinct), written exactly as qbank writes them (lowercase hex: an upper-case key, a
    blob or a key with spaces is no key's), and where each one is in `wanted`."""
    try:
        packed = bytes.fromhex("".join(names))  # type: ignore[arg-type]
        if len(packed) != _DIGEST * len(names):
            raise ValueError("a key is not 64 hex digits")
    except (TypeError, ValueError):  # a damaged row's key: each key on its own
        packed = b"".join(map(_digest_bytes, names))
    places = find_digests(wanted, np.frombuffer(packed, dtype=DIGESTS))
    kept = [
        k
        for k in np.flatnonzero(places >= 0).tolist()
        if names[k] == packed[k * _DIGEST : (k + 1) * _DIGEST].hex()
    ]
    return kept, places[kept]


def _digest_bytes(key: object) -> bytes:
    """The 32 bytes a text key's hex writes; zeros for anything else (a damaged row's key,
    which then matches no key: `found_keys` also compares the text)."""
    if type(key) is str and len(key) == 2 * _DIGEST:
        try:
            digest = bytes.fromhex(key)
        except ValueError:
            pass
        else:
            if len(digest) == _DIGEST:
                return digest
    return bytes(_DIGEST)


class TextKeys(Sequence[str]):
    """Text keys (SHA-256 hex), in order, kept as their 32-byte digests in one buffer and
    written out in hex when asked for (a slice: a chunk at a time): a million keys as hex
    strings held 120 MB through the check's candidate stage, as digests 32 MB."""

    def __init__(self, digests: bytes) -> None:
        self._digests = digests

    def __len__(self) -> int:
        return len(self._digests) // _DIGEST

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self[k] for k in range(len(self))[index]]
        k = range(len(self))[index]  # negative indices; IndexError past the end
        return self._digests[k * _DIGEST : (k + 1) * _DIGEST].hex()

    @property
    def packed(self) -> bytes:
        """Every key's digest, in order, concatenated (the buffer itself, not a copy)."""
        return self._digests

    def digests(self, rows: np.ndarray) -> bytes:
        """The digests of `rows`, concatenated (no string per key)."""
        taken: bytes = np.frombuffer(self._digests, dtype=DIGESTS)[rows].tobytes()
        return taken

    def __iter__(self) -> Iterator[str]:
        digests = self._digests
        return (digests[k : k + _DIGEST].hex() for k in range(0, len(digests), _DIGEST))
