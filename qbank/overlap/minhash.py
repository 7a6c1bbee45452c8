"""MinHash signatures of a whole TokenMatrix at once, bit-identical to datasketch 2.0.0.

A row's signature equals `datasketch.MinHash(num_perm=P, seed=S)` after
`update(t.encode("utf-8"))` for each of the row's tokens: the same hash values and the same
dtype. datasketch 2.0.0 has three permutation schemes; its default, and ours, is **affine32**:

- token hash: `sha1_hash32`, the first 4 bytes of SHA-1 of the UTF-8 token, little-endian;
- pre-mix: the 32-bit MurmurHash3 finalizer applied once to each token hash (uint32 wrap);
- permutations from `np.random.RandomState(seed)`: `a = randint(0, 2**31, P, uint32) * 2 + 1`
  (odd, so each map is a bijection), then `b = randint(0, 2**32, P, uint32)`;
- value `a * h + b` modulo 2**32 (numpy's uint32 wrap-around), stored as uint32;
- an empty set gives 2**32 - 1 in every position.

`scheme="affine64"` (sha1_hash64, 64-bit finalizer, modulo 2**64, uint64, empty 2**64 - 1) and
`scheme="legacy"` (the pre-2.0 scheme: per permutation `a = randint(1, p)`, `b = randint(0, p)`
drawn in turn with p = 2**61 - 1; value `((a * h + b) mod 2**64) mod p` masked to 32 bits,
stored as uint64, empty 2**32 - 1) are reproduced as well, for signatures made by older
datasketch versions.

The default signatures are uint32, as datasketch 2.0 stores them (half the memory of
uint64); widen with `astype(np.uint64)` where 64-bit values are wanted, the values are equal.

Each distinct token is hashed once (hashlib, in Python); the numba kernel then takes, per row
and permutation, the minimum over the row's token ids, rows spread over the cores. All kernel
arithmetic is on explicitly unsigned 64-bit integers (never int64 or float), wrapping as
numpy's does, and truncated to 32 bits where the scheme is 32-bit.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Sequence
from typing import Any, Literal, cast

import numpy as np
from numba import njit, prange, types
from numba.core import cgutils
from numba.core.base import BaseContext
from numba.core.typing.templates import Signature
from numba.extending import intrinsic
from numba.np.numpy_support import carray

from qbank.overlap.matrix import TokenMatrix

Scheme = Literal["affine32", "affine64", "legacy"]
SCHEMES: tuple[Scheme, ...] = ("affine32", "affine64", "legacy")
DEFAULT_SCHEME: Scheme = "affine32"

MERSENNE_PRIME = np.uint64((1 << 61) - 1)
MAX_HASH32 = np.uint64((1 << 32) - 1)
SIGNATURE_DTYPES: dict[str, type[np.unsignedinteger]] = {
    "affine32": np.uint32,
    "affine64": np.uint64,
    "legacy": np.uint64,
}
EMPTY_VALUES: dict[str, int] = {
    "affine32": (1 << 32) - 1,
    "affine64": (1 << 64) - 1,
    "legacy": (1 << 32) - 1,
}


def _check_scheme(scheme: str) -> None:
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {', '.join(SCHEMES)}, got {scheme!r}")


def token_hashes(vocab: Sequence[str], *, scheme: Scheme = DEFAULT_SCHEME) -> np.ndarray:
    """datasketch's default hash of each `token.encode("utf-8")`, as uint64.

    `sha1_hash32` (first 4 bytes of SHA-1, little-endian) for affine32 and legacy,
    `sha1_hash64` (first 8 bytes) for affine64.
    """
    _check_scheme(scheme)
    width = 8 if scheme == "affine64" else 4
    data = b"".join(hashlib.sha1(t.encode("utf-8")).digest()[:width] for t in vocab)
    return np.frombuffer(data, dtype="<u8" if width == 8 else "<u4").astype(np.uint64)


def _fmix32(h: np.ndarray) -> np.ndarray:
    h = h.astype(np.uint32)
    h ^= h >> np.uint32(16)
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    h *= np.uint32(0xC2B2AE35)
    h ^= h >> np.uint32(16)
    return h


def _fmix64(h: np.ndarray) -> np.ndarray:
    h = h.astype(np.uint64)
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xFF51AFD7ED558CCD)
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xC4CEB9FE1A85EC53)
    h ^= h >> np.uint64(33)
    return h


@functools.lru_cache(maxsize=16)
def permutations(
    num_perm: int, seed: int, scheme: Scheme = DEFAULT_SCHEME
) -> tuple[np.ndarray, np.ndarray]:
    """The (a, b) arrays datasketch draws for `num_perm` and `seed` (read-only, cached).

    dtype uint32 for affine32, uint64 otherwise, as datasketch stores them.
    """
    _check_scheme(scheme)
    if num_perm < 1:
        raise ValueError("num_perm must be positive")
    gen = np.random.RandomState(seed)
    if scheme == "legacy":
        pairs = np.array(
            [
                (
                    gen.randint(1, MERSENNE_PRIME, dtype=np.uint64),
                    gen.randint(0, MERSENNE_PRIME, dtype=np.uint64),
                )
                for _ in range(num_perm)
            ],
            dtype=np.uint64,
        )
        a, b = np.ascontiguousarray(pairs[:, 0]), np.ascontiguousarray(pairs[:, 1])
    else:
        width = 32 if scheme == "affine32" else 64
        dtype = SIGNATURE_DTYPES[scheme]
        a = gen.randint(0, 1 << (width - 1), num_perm, dtype=dtype) * dtype(2) + dtype(1)
        b = gen.randint(0, 1 << width, num_perm, dtype=dtype)
    a.flags.writeable = False
    b.flags.writeable = False
    return a, b


_BLOCK = 32


def _stack_uint32_typer(
    typingctx: object, size: types.Type
) -> tuple[Signature, Callable[[BaseContext, Any, Signature, Sequence[Any]], Any]] | None:
    """A pointer to `size` uint32 on the stack; `size` must be a compile-time constant.

    LLVM knows a stack buffer aliases no array, so a small one stays in vector registers for
    the whole token loop; an `np.empty` buffer or a row of `out` would be reloaded and stored
    again for every token (measured 3x slower). The IR builder and values are llvmlite's,
    which has no types.
    """
    if not isinstance(size, types.IntegerLiteral):
        return None
    count = size.literal_value

    def codegen(
        context: BaseContext, builder: Any, signature: Signature, args: Sequence[Any]
    ) -> Any:
        uint32 = context.get_value_type(types.uint32)  # type: ignore[no-untyped-call]
        return cgutils.alloca_once(builder, uint32, size=count)  # type: ignore[no-untyped-call]

    return types.CPointer(types.uint32)(size), codegen  # type: ignore[no-untyped-call]


# Jitted code calls it with `size` only (numba passes the typing context), which numba's
# stubs for `intrinsic` do not express.
_stack_uint32 = cast("Callable[[int], Any]", intrinsic(_stack_uint32_typer))


@njit(parallel=True, cache=True, fastmath=False)
def _affine32_kernel(
    indptr: np.ndarray,
    indices: np.ndarray,
    hv: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    empty: np.uint32,
    out: np.ndarray,
) -> None:
    """out[i, k] = min over tokens t of row i of (a[k] * hv[t] + b[k]) mod 2**32.

    Computed in uint64 (no overflow: both factors are below 2**32) and truncated to uint32,
    which is numpy's wrapped uint32 result; LLVM narrows it to 32-bit vector multiplies.
    Permutations go in blocks of `_BLOCK` whose minima live in registers; the rest (num_perm
    not a multiple of the block) in a plain loop. Rows start at `empty`, written here so the
    threads touch the new pages in parallel.
    """
    n = indptr.shape[0] - 1
    num_perm = a.shape[0]
    full = num_perm - num_perm % _BLOCK
    for i in prange(n):
        row = out[i]
        start, end = indptr[i], indptr[i + 1]
        acc = carray(_stack_uint32(_BLOCK), (_BLOCK,))
        for k0 in range(0, full, _BLOCK):
            ab = a[k0 : k0 + _BLOCK]
            bb = b[k0 : k0 + _BLOCK]
            for k in range(_BLOCK):
                acc[k] = empty
            for j in range(start, end):
                h = np.uint64(hv[indices[j]])
                for k in range(_BLOCK):
                    acc[k] = min(acc[k], np.uint32(np.uint64(ab[k]) * h + np.uint64(bb[k])))
            row[k0 : k0 + _BLOCK] = acc
        if full < num_perm:
            at = a[full:]
            bt = b[full:]
            rest = row[full:]
            rest[:] = empty
            for j in range(start, end):
                h = np.uint64(hv[indices[j]])
                for k in range(at.shape[0]):
                    rest[k] = min(rest[k], np.uint32(np.uint64(at[k]) * h + np.uint64(bt[k])))


@njit(parallel=True, cache=True, fastmath=False)
def _affine64_kernel(
    indptr: np.ndarray,
    indices: np.ndarray,
    hv: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    empty: np.unsignedinteger,
    out: np.ndarray,
) -> None:
    """out[i, k] = min over tokens t of row i of (a[k] * hv[t] + b[k]) mod 2**64 (uint64 wrap)."""
    n = indptr.shape[0] - 1
    num_perm = a.shape[0]
    for i in prange(n):
        row = out[i]
        row[:] = empty
        for j in range(indptr[i], indptr[i + 1]):
            h = np.uint64(hv[indices[j]])
            for k in range(num_perm):
                row[k] = min(row[k], np.uint64(a[k]) * h + np.uint64(b[k]))


@njit(parallel=True, cache=True, fastmath=False)
def _legacy_kernel(
    indptr: np.ndarray,
    indices: np.ndarray,
    hv: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    empty: np.uint64,
    out: np.ndarray,
) -> None:
    """out[i, k] = min over tokens of ((a[k] * h + b[k]) mod 2**64 mod p) & (2**32 - 1).

    x mod p for p = 2**61 - 1 is folded as (x & p) + (x >> 61), less p if that reaches p:
    exact for every 64-bit x, and vectorisable where a division is not.
    """
    n = indptr.shape[0] - 1
    num_perm = a.shape[0]
    for i in prange(n):
        row = out[i]
        row[:] = empty
        for j in range(indptr[i], indptr[i + 1]):
            h = np.uint64(hv[indices[j]])
            for k in range(num_perm):
                x = np.uint64(a[k]) * h + np.uint64(b[k])
                r = (x & MERSENNE_PRIME) + (x >> np.uint64(61))
                if r >= MERSENNE_PRIME:
                    r -= MERSENNE_PRIME
                row[k] = min(row[k], r & MAX_HASH32)


def signatures(
    matrix: TokenMatrix,
    *,
    num_perm: int,
    seed: int,
    scheme: Scheme = DEFAULT_SCHEME,
    hashes: np.ndarray | None = None,
) -> np.ndarray:
    """(n, num_perm) MinHash signatures of the matrix rows, equal to datasketch's hashvalues.

    dtype is datasketch's for the scheme: uint32 for the default affine32, uint64 otherwise.
    `hashes` may pass `token_hashes(matrix.vocab, scheme=scheme)` computed earlier.
    """
    a, b = permutations(num_perm, seed, scheme)
    hv = token_hashes(matrix.vocab, scheme=scheme) if hashes is None else hashes
    if hv.shape != (len(matrix.vocab),):
        raise ValueError("hashes must hold one value per vocabulary token")
    dtype = SIGNATURE_DTYPES[scheme]
    empty = dtype(EMPTY_VALUES[scheme])
    out = np.empty((matrix.n, num_perm), dtype=dtype)
    indptr = np.ascontiguousarray(matrix.indptr, dtype=np.int64)
    indices = np.ascontiguousarray(matrix.indices, dtype=np.int32)
    if scheme == "legacy":
        _legacy_kernel(indptr, indices, hv.astype(np.uint64), a, b, empty, out)
    elif scheme == "affine32":
        _affine32_kernel(indptr, indices, _fmix32(hv), a, b, empty, out)
    else:
        _affine64_kernel(indptr, indices, _fmix64(hv), a, b, empty, out)
    return out


def to_bytes(sig: np.ndarray) -> bytes:
    """One signature (uint32 or uint64 vector) as little-endian bytes."""
    if sig.ndim != 1 or sig.dtype.kind != "u" or sig.dtype.itemsize not in (4, 8):
        raise ValueError("a signature is a 1-D uint32 or uint64 array")
    return sig.astype(sig.dtype.newbyteorder("<"), copy=False).tobytes()


def from_bytes(data: bytes, num_perm: int) -> np.ndarray:
    """Read a signature written by `to_bytes`; 4 bytes per value mean uint32, 8 uint64."""
    width, rest = divmod(len(data), num_perm) if num_perm > 0 else (0, 1)
    if rest or width not in (4, 8):
        raise ValueError(f"{len(data)} bytes are not a signature of {num_perm} values")
    dtype = np.uint32 if width == 4 else np.uint64
    return np.frombuffer(data, dtype=np.dtype(dtype).newbyteorder("<")).astype(dtype)
