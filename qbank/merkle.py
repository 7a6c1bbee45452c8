"""RFC 6962 / RFC 9162 Merkle trees for filing manifests and the custody log.

A log that only ever appends can prove two things to someone holding just a root hash: that an
entry is in it (inclusion) and that a later version still contains everything an earlier one did
(consistency). Hashing follows RFC 6962 §2.1; proof verification follows RFC 9162 §2.1.3.2 and
§2.1.4.2 and reproduces, case for case, the `proof` package of github.com/transparency-dev/merkle
(including its edge cases), so proofs made by other RFC 6962 logs verify here and vice versa.

The subtree variants implement the "Subtrees" section of draft-ietf-plants-merkle-tree-certs as
the same Go package does: they prove a leaf is inside an aligned range of leaves [start, end), or
that such a range's hash is a part of a larger tree, without the verifier knowing the whole tree.

Everything is a pure function on bytes. Generation takes *leaf hashes* (see `leaf_hash`), never
raw entries, apart from `root`: a 32-byte raw entry is indistinguishable from a hash, so guessing
would silently prove the wrong thing. Every failure is a `MerkleError`; callers decide what a
failed verification means.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "CompactRange",
    "HashLengthError",
    "IndexOutOfRangeError",
    "MerkleError",
    "ProofSizeError",
    "RootMismatchError",
    "TreeSizeError",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root",
    "root_from_hashes",
    "subtree_consistency_proof",
    "subtree_inclusion_proof",
    "subtree_root",
    "verify_consistency",
    "verify_inclusion",
    "verify_subtree_consistency",
    "verify_subtree_inclusion",
]

HASH_SIZE = 32
"""Bytes in a SHA-256 digest: every leaf hash and proof element has exactly this length."""

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""Root of the tree with no leaves (RFC 6962 §2.1: MTH({}) = SHA-256())."""

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


class MerkleError(ValueError):
    """A proof that does not verify, or arguments for which no proof can exist."""


class IndexOutOfRangeError(MerkleError):
    """The leaf index is not inside the tree (or subtree) it is claimed to be in."""


class ProofSizeError(MerkleError):
    """The proof has a different number of hashes than the tree shape dictates."""


class RootMismatchError(MerkleError):
    """The proof is well formed but leads to a different root: the claim is false."""

    def __init__(self, expected: bytes, calculated: bytes) -> None:
        self.expected = expected
        self.calculated = calculated
        super().__init__(
            f"calculated root {calculated.hex()} does not match expected root {expected.hex()}"
        )


class TreeSizeError(MerkleError):
    """Sizes or subtree bounds for which the requested proof is undefined or meaningless."""


class HashLengthError(MerkleError):
    """A leaf hash or proof element is not a SHA-256 digest."""


def leaf_hash(data: bytes) -> bytes:
    """Hash a raw entry; the 0x00 prefix keeps a leaf from ever passing for an inner node."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash two children; the 0x01 prefix separates inner nodes from leaves (second preimages)."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def root(leaves: Sequence[bytes]) -> bytes:
    """Merkle Tree Hash of raw entries, in order (RFC 6962 §2.1)."""
    return root_from_hashes([leaf_hash(data) for data in leaves])


def root_from_hashes(hashes: Sequence[bytes]) -> bytes:
    """Merkle Tree Hash from precomputed leaf hashes, so stored logs need not rehash entries."""
    _check_hashes(hashes, "leaf hash")
    return _mth(hashes, 0, len(hashes))


class CompactRange:
    """RFC 6962 roots of a log as its entries are appended, O(log n) hashes per entry
    (the "compact range" of transparency-dev/merkle).

    Keeps the roots of the perfect subtrees the log splits into, largest first (the binary
    digits of its size); MTH splits at the largest power of two below the size, so the root
    of the whole log folds them from the right.
    """

    def __init__(self) -> None:
        self.size = 0
        self.peaks: list[bytes] = []

    def append(self, leaf: bytes) -> bytes:
        """Add the next entry's leaf hash; returns the root of the log so far."""
        node, size = leaf, self.size
        while size & 1:  # equal perfect subtrees merge, like a binary carry
            node = node_hash(self.peaks.pop(), node)
            size >>= 1
        self.peaks.append(node)
        self.size += 1
        root = node
        for peak in reversed(self.peaks[:-1]):
            root = node_hash(peak, root)
        return root


def subtree_root(hashes: Sequence[bytes], start: int, end: int) -> bytes:
    """Hash of the aligned subtree [start, end) of the tree whose leaf hashes are `hashes`."""
    _check_subtree(start, end)
    if end > len(hashes):
        raise TreeSizeError(f"subtree end {end} is beyond tree size {len(hashes)}")
    _check_hashes(hashes, "leaf hash")
    return _mth(hashes, start, end)


def inclusion_proof(hashes: Sequence[bytes], index: int) -> list[bytes]:
    """Audit path for leaf `index` in the tree of these leaf hashes (RFC 9162 §2.1.3.1).

    Ordered from the leaf's sibling up to the root's child, as `verify_inclusion` expects.
    """
    _check_index(index, 0, len(hashes))
    _check_hashes(hashes, "leaf hash")
    return _path(hashes, index, 0, len(hashes))


def subtree_inclusion_proof(
    hashes: Sequence[bytes], index: int, start: int, end: int
) -> list[bytes]:
    """Audit path for leaf `index` up to the root of the aligned subtree [start, end)."""
    _check_subtree(start, end)
    _check_index(index, start, end)
    if end > len(hashes):
        raise TreeSizeError(f"subtree end {end} is beyond tree size {len(hashes)}")
    _check_hashes(hashes, "leaf hash")
    return _path(hashes, index, start, end)


def consistency_proof(hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """Proof that the first `old_size` leaves are a prefix of these (RFC 9162 §2.1.4.1).

    `old_size` must be in 1..len(hashes): a proof from the empty tree is meaningless (every tree
    extends it), so, as in the reference implementation, it is refused rather than made empty.
    """
    new_size = len(hashes)
    if old_size < 0 or old_size > new_size:
        raise TreeSizeError(f"old size {old_size} is outside 0..{new_size}")
    if old_size == 0:
        raise TreeSizeError("consistency proof from the empty tree is meaningless")
    return subtree_consistency_proof(hashes, 0, old_size)


def subtree_consistency_proof(hashes: Sequence[bytes], start: int, end: int) -> list[bytes]:
    """Proof that the aligned subtree [start, end) is part of the tree of these leaf hashes.

    With start = 0 this is the RFC 9162 consistency proof from tree size `end`.
    """
    _check_subtree(start, end)
    if end > len(hashes):
        raise TreeSizeError(f"subtree end {end} is beyond tree size {len(hashes)}")
    _check_hashes(hashes, "leaf hash")
    if start == end:
        return []
    # Walk down from the root towards [start, end), collecting the sibling hash at each level;
    # `known` is False once the subtree's own root is no longer a node of the walked tree.
    out: list[bytes] = []
    lo, hi, known = 0, len(hashes), True
    while not (start == lo and end == hi):
        k = _split(hi - lo)
        mid = lo + k
        if end <= mid:
            out.append(_mth(hashes, mid, hi))
            hi = mid
        else:
            out.append(_mth(hashes, lo, mid))
            known = known and mid <= start
            lo = mid
            start = max(start, mid)
    if not known:
        out.append(_mth(hashes, lo, hi))
    out.reverse()
    return out


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that `leaf_hash` is leaf `index` of the tree of `size` leaves with this root.

    Returns None on success and raises a `MerkleError` subclass otherwise (RFC 9162 §2.1.3.2).
    """
    _verify_match(_root_from_inclusion_proof(index, size, leaf_hash, proof), root)


def verify_subtree_inclusion(
    leaf_hash: bytes, index: int, start: int, end: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that `leaf_hash` is leaf `index` of the aligned subtree [start, end) with `root`."""
    _check_subtree(start, end)
    _check_index(index, start, end)
    _verify_match(_root_from_inclusion_proof(index - start, end - start, leaf_hash, proof), root)


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree of `new_size` with `new_root` extends the one of `old_size`/`old_root`.

    As in RFC 9162 §2.1.4.2 and the reference: old_size must be in 1..new_size; equal sizes need
    an empty proof and equal roots. A caller that trusts nothing yet (old_size 0) needs no proof
    and must not call this.
    """
    if old_size < 0 or new_size < 0:
        raise TreeSizeError(f"negative tree size ({old_size}, {new_size})")
    if new_size < old_size:
        raise TreeSizeError(f"new size {new_size} < old size {old_size}")
    if old_size == 0:
        raise TreeSizeError("consistency proof from the empty tree is meaningless")
    if old_size == new_size:
        if proof:
            raise ProofSizeError("old size equals new size, but the proof is not empty")
        _verify_match(old_root, new_root)
        return
    if not proof:
        raise ProofSizeError("empty consistency proof between different sizes")
    _verify_match(_root_from_subtree_consistency(0, old_size, new_size, proof, old_root), new_root)


def verify_subtree_consistency(
    start: int,
    end: int,
    size: int,
    proof: Sequence[bytes],
    subtree_root: bytes,
    root: bytes,
) -> None:
    """Check that the aligned subtree [start, end) with `subtree_root` is part of a tree.

    The tree has `size` leaves and `root`. An empty subtree (start == end) is part of every tree
    of at least `end` leaves, so then only an empty proof and the empty root are checked.
    """
    if start == end:
        if start < 0 or size < 0:
            raise TreeSizeError(f"negative bound ({start}, {size})")
        if end > size:
            raise TreeSizeError(f"tree size {size} < subtree end {end}")
        if proof:
            raise ProofSizeError("empty subtree, but the proof is not empty")
        _verify_match(subtree_root, EMPTY_ROOT)
        return
    _check_subtree(start, end)
    if size < end:
        raise TreeSizeError(f"tree size {size} < subtree end {end}")
    if start == 0 and end == size:
        if proof:
            raise ProofSizeError("subtree is the whole tree, but the proof is not empty")
        _verify_match(subtree_root, root)
        return
    if not proof:
        raise ProofSizeError("empty subtree consistency proof")
    _verify_match(_root_from_subtree_consistency(start, end, size, proof, subtree_root), root)


def _mth(hashes: Sequence[bytes], lo: int, hi: int) -> bytes:
    """MTH(D[lo:hi]) by the RFC's recursive definition (depth is only log2 of the size)."""
    if hi == lo:
        return EMPTY_ROOT
    if hi - lo == 1:
        return hashes[lo]
    mid = lo + _split(hi - lo)
    return node_hash(_mth(hashes, lo, mid), _mth(hashes, mid, hi))


def _path(hashes: Sequence[bytes], index: int, lo: int, hi: int) -> list[bytes]:
    """PATH(index, D[lo:hi]), collected top-down and returned leaf-first."""
    out: list[bytes] = []
    while hi - lo > 1:
        mid = lo + _split(hi - lo)
        if index < mid:
            out.append(_mth(hashes, mid, hi))
            hi = mid
        else:
            out.append(_mth(hashes, lo, mid))
            lo = mid
    out.reverse()
    return out


def _split(n: int) -> int:
    """Largest power of two strictly smaller than n (n >= 2): where RFC 6962 splits a tree."""
    return 1 << ((n - 1).bit_length() - 1)


def _trailing_zeros(n: int) -> int:
    return (n & -n).bit_length() - 1


def _check_hashes(hashes: Sequence[bytes], what: str) -> None:
    for position, h in enumerate(hashes):
        if len(h) != HASH_SIZE:
            raise HashLengthError(f"{what} {position} has {len(h)} bytes, want {HASH_SIZE}")


def _check_index(index: int, start: int, end: int) -> None:
    if not start <= index < end:
        raise IndexOutOfRangeError(f"index {index} is outside [{start}, {end})")


def _check_subtree(start: int, end: int) -> None:
    """Reject ranges that are not a node of any tree: start must be aligned to bit_ceil(len)."""
    if start < 0 or end < start:
        raise TreeSizeError(f"[{start}, {end}) is not a range")
    length = end - start
    if start and length and start % (1 << (length - 1).bit_length()):
        raise TreeSizeError(f"[{start}, {end}): start is not a multiple of bit_ceil(end - start)")


def _verify_match(calculated: bytes, expected: bytes) -> None:
    if calculated != expected:
        raise RootMismatchError(expected=expected, calculated=calculated)


def _root_from_inclusion_proof(
    index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes]
) -> bytes:
    """The root that `proof` implies for `leaf_hash` at `index`, or a shape error."""
    _check_index(index, 0, size)
    if len(leaf_hash) != HASH_SIZE:
        raise HashLengthError(f"leaf hash has {len(leaf_hash)} bytes, want {HASH_SIZE}")
    inner, border = _decomp_incl_proof(index, size)
    if len(proof) != inner + border:
        raise ProofSizeError(f"proof has {len(proof)} hashes, want {inner + border}")
    _check_hashes(proof, "proof hash")
    seed = _chain_inner(leaf_hash, proof[:inner], index)
    return _chain_border_right(seed, proof[inner:])


def _root_from_subtree_consistency(
    start: int, end: int, size: int, proof: Sequence[bytes], subtree_root: bytes
) -> bytes:
    """The tree root that `proof` implies; requires a valid, non-empty [start, end) < size."""
    if end == size:
        # The subtree's root is a node on the right border: climb it with left siblings only.
        level = ((end - 1) ^ start).bit_length()
        want = (start >> level).bit_count()
        if len(proof) != want:
            raise ProofSizeError(f"proof has {len(proof)} hashes, want {want}")
        _check_hashes(proof, "proof hash")
        return _chain_border_right(subtree_root, proof)

    fork_level, border = _decomp_incl_proof(end - 1, size)
    # The proof starts at the root of the rightmost perfect subtree inside [start, end); when
    # the subtree itself is perfect that node is `subtree_root` and is left out of the proof.
    shift = _trailing_zeros(end - start)
    inner = fork_level - shift
    perfect = end - start == 1 << shift
    skip = 0 if perfect else 1
    if len(proof) != skip + inner + border:
        raise ProofSizeError(f"proof has {len(proof)} hashes, want {skip + inner + border}")
    _check_hashes(proof, "proof hash")
    seed = subtree_root if perfect else proof[0]
    rest = proof[skip:]
    mask = (end - 1) >> shift
    if not perfect:
        # The proof carries nodes inside the subtree: they must rebuild the claimed subtree root.
        sub_inner, sub_border = _decomp_subtree_proof(start, end, size, border, rest)
        old = _chain_border_right(_chain_inner_right(seed, sub_inner, mask), sub_border)
        _verify_match(old, subtree_root)
    new = _chain_inner(seed, rest[:inner], mask)
    return _chain_border_right(new, rest[inner:])


def _decomp_incl_proof(index: int, size: int) -> tuple[int, int]:
    """Split an inclusion proof where the paths to `index` and `size - 1` meet."""
    inner = (index ^ (size - 1)).bit_length()
    return inner, (index >> inner).bit_count()


def _decomp_subtree_proof(
    start: int, end: int, size: int, border: int, proof: Sequence[bytes]
) -> tuple[Sequence[bytes], Sequence[bytes]]:
    """The inner and border parts of `proof` that lie under the subtree's root."""
    height = ((end - 1) ^ start).bit_length()
    fork_level = ((end - 1) ^ (size - 1)).bit_length()
    shift = _trailing_zeros(end - start)
    sub_inner = min(height, fork_level) - shift
    inner = fork_level - shift
    sub_border = max(0, border - ((end - 1) >> height).bit_count())
    return proof[:sub_inner], proof[inner : inner + sub_border]


def _chain_inner(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    """Climb from a node at `index` on its level, the proof's siblings on either side."""
    for level, h in enumerate(proof):
        seed = node_hash(h, seed) if (index >> level) & 1 else node_hash(seed, h)
    return seed


def _chain_inner_right(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    """Like `_chain_inner`, keeping only left siblings: the hash of the older, smaller tree."""
    for level, h in enumerate(proof):
        if (index >> level) & 1:
            seed = node_hash(h, seed)
    return seed


def _chain_border_right(seed: bytes, proof: Sequence[bytes]) -> bytes:
    """Climb the right border, where every sibling is on the left."""
    for h in proof:
        seed = node_hash(h, seed)
    return seed
