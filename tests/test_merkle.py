"""Merkle proofs against the transparency-dev/merkle test vectors, the draft-ietf-plants subtree
vectors, an RFC-literal reference tree, and round trips of every proof over small trees.

The vector files are read from `QBANK_VECTORS`, else `<repo>/../shared/vectors/merkle`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qbank.merkle import (
    EMPTY_ROOT,
    HashLengthError,
    IndexOutOfRangeError,
    MerkleError,
    ProofSizeError,
    RootMismatchError,
    TreeSizeError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    root_from_hashes,
    subtree_consistency_proof,
    subtree_inclusion_proof,
    subtree_root,
    verify_consistency,
    verify_inclusion,
    verify_subtree_consistency,
    verify_subtree_inclusion,
)

REPO = Path(__file__).resolve().parent.parent
VECTORS = Path(os.environ.get("QBANK_VECTORS") or REPO.parent / "shared" / "vectors" / "merkle")
KINDS = ("inclusion", "consistency", "subtreeinclusion", "subtreeconsistency")

needs_vectors = pytest.mark.skipif(
    not VECTORS.is_dir(),
    reason=f"Merkle test vectors not found at {VECTORS} (set QBANK_VECTORS to the folder holding "
    "transparency-dev/merkle's testdata: inclusion/, consistency/, subtree*/)",
)
# Without the vectors the parametrised vector tests collect nothing (pytest reports them as
# skipped); the generation, round-trip and bit-flip tests below need no vectors and still run.
VECTOR_FILES = sorted(VECTORS.rglob("*.json")) if VECTORS.is_dir() else []

# The leaf inputs behind every happy-path vector (testonly.LeafInputs in transparency-dev/merkle).
VECTOR_LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]

MAX_SIZE = 70
ENTRIES = [f"custody entry {i}".encode() for i in range(MAX_SIZE)]
HASHES = [leaf_hash(e) for e in ENTRIES]
ROOTS = [root_from_hashes(HASHES[:n]) for n in range(MAX_SIZE + 1)]


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value or "", validate=True)


def _name(path: Path) -> str:
    return path.relative_to(VECTORS).as_posix()


def _load(path: Path) -> tuple[str, dict[str, Any], list[bytes]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return path.relative_to(VECTORS).parts[0], data, [_b64(p) for p in data["proof"] or []]


def _verify_vector(kind: str, d: dict[str, Any], proof: list[bytes]) -> None:
    """The call transparency-dev/merkle's proof/verify_test.go makes for each kind of file."""
    if kind == "inclusion":
        verify_inclusion(_b64(d["leafHash"]), d["leafIdx"], d["treeSize"], proof, _b64(d["root"]))
    elif kind == "subtreeinclusion":
        verify_subtree_inclusion(
            _b64(d["leafHash"]), d["leafIdx"], d["start"], d["end"], proof, _b64(d["root"])
        )
    elif kind == "consistency":
        verify_consistency(d["size1"], d["size2"], _b64(d["root1"]), _b64(d["root2"]), proof)
    elif kind == "subtreeconsistency":
        verify_subtree_consistency(
            d["start"], d["end"], d["size"], proof, _b64(d["root1"]), _b64(d["root2"])
        )
    else:
        raise AssertionError(f"unknown vector kind {kind}")


@needs_vectors
def test_every_kind_of_vector_is_present() -> None:
    """A wrong or half-copied folder must fail here, not pass with nothing checked."""
    seen: dict[str, set[bool]] = {kind: set() for kind in KINDS}
    for path in VECTOR_FILES:
        kind, data, _ = _load(path)
        seen[kind].add(data["wantErr"])
    assert seen == {kind: {True, False} for kind in KINDS}


@pytest.mark.parametrize("path", VECTOR_FILES, ids=_name)
def test_vector(path: Path) -> None:
    kind, data, proof = _load(path)
    if data["wantErr"]:
        with pytest.raises(MerkleError):
            _verify_vector(kind, data, proof)
    else:
        _verify_vector(kind, data, proof)


HAPPY_FILES = [p for p in VECTOR_FILES if p.name in ("happy-path.json", "happy-path-subtree.json")]


@pytest.mark.parametrize("path", HAPPY_FILES, ids=_name)
def test_generation_reproduces_happy_path_vectors(path: Path) -> None:
    """Our proofs and roots over the vectors' own leaves equal the published ones, byte for byte."""
    kind, d, proof = _load(path)
    hashes = [leaf_hash(leaf) for leaf in VECTOR_LEAVES]
    if kind == "inclusion":
        size, index = d["treeSize"], d["leafIdx"]
        assert _b64(d["leafHash"]) == hashes[index]
        assert root(VECTOR_LEAVES[:size]) == _b64(d["root"])
        assert inclusion_proof(hashes[:size], index) == proof
    elif kind == "subtreeinclusion":
        # The "-subtree" files move the same leaves to an aligned offset in a bigger tree.
        start, end, index = d["start"], d["end"], d["leafIdx"]
        tree = [leaf_hash(b"filler")] * start + hashes[: end - start]
        assert subtree_root(tree, start, end) == _b64(d["root"])
        assert subtree_inclusion_proof(tree, index, start, end) == proof
    elif kind == "consistency":
        size1, size2 = d["size1"], d["size2"]
        assert (root(VECTOR_LEAVES[:size1]), root(VECTOR_LEAVES[:size2])) == (
            _b64(d["root1"]),
            _b64(d["root2"]),
        )
        assert consistency_proof(hashes[:size2], size1) == proof
    else:
        start, end, size = d["start"], d["end"], d["size"]
        assert subtree_root(hashes[:size], start, end) == _b64(d["root1"])
        assert subtree_consistency_proof(hashes[:size], start, end) == proof


# --- Known answers and the RFC-literal reference ------------------------------------------------


def test_known_hashes() -> None:
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert root([]) == root_from_hashes([]) == EMPTY_ROOT
    assert leaf_hash(b"").hex() == (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    )
    assert node_hash(b"L", b"R") == hashlib.sha256(b"\x01LR").digest()
    assert root([b"only"]) == leaf_hash(b"only")
    # RFC 6962 §2.1 splits 3 leaves as 2 + 1, never 1 + 2.
    a, b, c = (leaf_hash(x) for x in (b"a", b"b", b"c"))
    assert root([b"a", b"b", b"c"]) == node_hash(node_hash(a, b), c)


def _reference_root(entries: Sequence[bytes]) -> bytes:
    """MTH exactly as written in RFC 6962 §2.1, slicing and all."""
    n = len(entries)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + entries[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(
        b"\x01" + _reference_root(entries[:k]) + _reference_root(entries[k:])
    ).digest()


def test_root_matches_rfc_reference_for_every_size() -> None:
    for n in range(MAX_SIZE + 1):
        assert root(ENTRIES[:n]) == ROOTS[n] == _reference_root(ENTRIES[:n]), n


# --- Round trips --------------------------------------------------------------------------------


@pytest.mark.parametrize("size", range(MAX_SIZE + 1))
def test_every_inclusion_proof_verifies(size: int) -> None:
    hashes = HASHES[:size]
    for index in range(size):
        proof = inclusion_proof(hashes, index)
        verify_inclusion(hashes[index], index, size, proof, ROOTS[size])
        if size > 1:
            other = (index + 1) % size
            with pytest.raises(RootMismatchError):
                verify_inclusion(hashes[other], index, size, proof, ROOTS[size])
    with pytest.raises(IndexOutOfRangeError):
        inclusion_proof(hashes, size)


@pytest.mark.parametrize("new_size", range(MAX_SIZE + 1))
def test_every_consistency_proof_verifies(new_size: int) -> None:
    hashes = HASHES[:new_size]
    for old_size in range(1, new_size + 1):
        proof = consistency_proof(hashes, old_size)
        verify_consistency(old_size, new_size, ROOTS[old_size], ROOTS[new_size], proof)
    # From the empty tree there is nothing to prove; both directions refuse, as the Go code does.
    with pytest.raises(TreeSizeError):
        consistency_proof(hashes, 0)
    with pytest.raises(TreeSizeError):
        verify_consistency(0, new_size, EMPTY_ROOT, ROOTS[new_size], [])


def _valid_subtrees(limit: int) -> list[tuple[int, int]]:
    """Every non-empty aligned [start, end) with end <= limit."""
    out = []
    for end in range(1, limit + 1):
        for start in range(end):
            width = 1 << (end - start - 1).bit_length()
            if start % width == 0:
                out.append((start, end))
    return out


def test_every_subtree_proof_verifies() -> None:
    for start, end in _valid_subtrees(MAX_SIZE):
        sub = subtree_root(HASHES, start, end)
        assert sub == root_from_hashes(HASHES[start:end])
        for index in range(start, end):
            proof = subtree_inclusion_proof(HASHES, index, start, end)
            verify_subtree_inclusion(HASHES[index], index, start, end, proof, sub)
        for size in range(end, MAX_SIZE + 1):
            proof = subtree_consistency_proof(HASHES[:size], start, end)
            verify_subtree_consistency(start, end, size, proof, sub, ROOTS[size])
    # The empty subtree is part of every tree at least that long.
    verify_subtree_consistency(
        3, 3, 5, subtree_consistency_proof(HASHES[:5], 3, 3), EMPTY_ROOT, b""
    )


def test_unaligned_subtrees_are_refused() -> None:
    for start, end in ((1, 3), (2, 5), (2, 6), (1, 15), (3, 2), (-1, 1)):
        with pytest.raises(TreeSizeError):
            subtree_root(HASHES, start, end)
        with pytest.raises(TreeSizeError):
            subtree_consistency_proof(HASHES, start, end)
        with pytest.raises(TreeSizeError):
            verify_subtree_inclusion(HASHES[0], max(start, 0), start, end, [], EMPTY_ROOT)


# --- Accumulated vectors of draft-ietf-plants-merkle-tree-certs ("Subtree Test Vectors") ----------
# Tree D has 130 leaves d[i] = bytes([i]); each algorithm's output over every valid input is
# folded into one SHA-256. Expected values as in transparency-dev/merkle testonly/vectors_test.go.

DRAFT_MAX = 130
DRAFT_HASHES = [leaf_hash(bytes([i])) for i in range(DRAFT_MAX)]


def _draft_ranges(limit: int) -> list[tuple[int, int]]:
    """Every valid [start, end) with end <= limit, empty ones included, in the draft's order."""
    return [
        (start, end)
        for end in range(limit + 1)
        for start in range(end + 1)
        if start == end or start % (1 << (end - start - 1).bit_length()) == 0
    ]


def _fold(lines: Callable[[], Any]) -> str:
    h = hashlib.sha256()
    for line in lines():
        h.update(line.encode())
    return h.hexdigest()


def _proof_line(prefix: str, proof: list[bytes]) -> str:
    return prefix + "".join(" " + p.hex() for p in proof) + "\n"


def test_draft_subtree_hash_vector() -> None:
    def lines() -> Any:
        for start, end in _draft_ranges(DRAFT_MAX):
            yield f"[{start}, {end}) {subtree_root(DRAFT_HASHES, start, end).hex()}\n"

    assert _fold(lines) == "b82806ad4265bb151c1119c0f4db437bb4d1a1f887b3a7fba1cd4ebf552e3e81"


def test_draft_subtree_inclusion_proof_vector() -> None:
    def lines() -> Any:
        for start, end in _draft_ranges(DRAFT_MAX):
            for i in range(start, end):
                proof = subtree_inclusion_proof(DRAFT_HASHES, i, start, end)
                yield _proof_line(f"{i} [{start}, {end})", proof)

    assert _fold(lines) == "ac2a8f989e44d99e399db448050ff5f19757df53cfb716aa81015d3955d8163f"


def test_draft_subtree_consistency_proof_vector() -> None:
    ranges = _draft_ranges(DRAFT_MAX)

    def lines() -> Any:
        for n in range(DRAFT_MAX + 1):
            tree = DRAFT_HASHES[:n]
            for start, end in ranges:
                if end <= n:
                    proof = subtree_consistency_proof(tree, start, end)
                    yield _proof_line(f"[{start}, {end}) {n}", proof)

    # The draft's order is end-major within each n; ranges is end-major too.
    assert _fold(lines) == "10fa99b37bf9bf9ffa26b412fbd98bd75363256d0b75d61bc4538b9c9c5a0a74"


# --- Typed failures -----------------------------------------------------------------------------


def test_failures_are_typed() -> None:
    proof = inclusion_proof(HASHES[:5], 2)
    assert all(issubclass(e, MerkleError) for e in (IndexOutOfRangeError, ProofSizeError))
    assert issubclass(MerkleError, ValueError)
    with pytest.raises(IndexOutOfRangeError):
        verify_inclusion(HASHES[2], 5, 5, proof, ROOTS[5])
    with pytest.raises(IndexOutOfRangeError):
        verify_inclusion(HASHES[2], -1, 5, proof, ROOTS[5])
    with pytest.raises(ProofSizeError):
        verify_inclusion(HASHES[2], 2, 5, [*proof, proof[0]], ROOTS[5])
    with pytest.raises(HashLengthError):
        verify_inclusion(HASHES[2][:31], 2, 5, proof, ROOTS[5])
    with pytest.raises(HashLengthError):
        verify_inclusion(HASHES[2], 2, 5, [proof[0] + b"\x00", *proof[1:]], ROOTS[5])
    with pytest.raises(RootMismatchError) as mismatch:
        verify_inclusion(HASHES[2], 2, 5, proof, ROOTS[4])
    assert mismatch.value.expected == ROOTS[4]
    assert mismatch.value.calculated == ROOTS[5]

    with pytest.raises(TreeSizeError):
        verify_consistency(5, 4, ROOTS[5], ROOTS[4], [])
    with pytest.raises(TreeSizeError):
        verify_consistency(-1, 4, ROOTS[0], ROOTS[4], [])
    with pytest.raises(ProofSizeError):
        verify_consistency(4, 4, ROOTS[4], ROOTS[4], [HASHES[0]])
    with pytest.raises(ProofSizeError):
        verify_consistency(3, 4, ROOTS[3], ROOTS[4], [])
    with pytest.raises(RootMismatchError):
        verify_consistency(4, 4, ROOTS[4], ROOTS[3], [])
    with pytest.raises(TreeSizeError):
        consistency_proof(HASHES[:4], 5)
    with pytest.raises(HashLengthError):
        root_from_hashes([HASHES[0], b"short"])
    with pytest.raises(IndexOutOfRangeError):
        verify_subtree_inclusion(HASHES[0], 0, 4, 8, [], ROOTS[4])
    with pytest.raises(TreeSizeError):
        verify_subtree_consistency(4, 8, 6, [], ROOTS[4], ROOTS[6])


# --- Tampering ----------------------------------------------------------------------------------


def _flip(blobs: list[bytes], bit: int) -> list[bytes]:
    """Flip one bit somewhere in the concatenation of `blobs`, keeping every length."""
    bit %= 8 * sum(len(b) for b in blobs)
    out = list(blobs)
    for i, blob in enumerate(out):
        if bit < 8 * len(blob):
            changed = bytearray(blob)
            changed[bit // 8] ^= 1 << (bit % 8)
            out[i] = bytes(changed)
            return out
        bit -= 8 * len(blob)
    raise AssertionError("unreachable")


@settings(max_examples=50, deadline=None)
@given(
    size=st.integers(1, MAX_SIZE),
    index_seed=st.integers(0, MAX_SIZE),
    bit=st.integers(0, 1 << 16),
)
def test_flipped_bit_in_inclusion_proof_or_root_is_rejected(
    size: int, index_seed: int, bit: int
) -> None:
    index = index_seed % size
    proof = inclusion_proof(HASHES[:size], index)
    *bad_proof, bad_root = _flip([*proof, ROOTS[size]], bit)
    with pytest.raises(MerkleError):
        verify_inclusion(HASHES[index], index, size, bad_proof, bad_root)


@settings(max_examples=50, deadline=None)
@given(
    new_size=st.integers(1, MAX_SIZE),
    old_seed=st.integers(0, MAX_SIZE),
    bit=st.integers(0, 1 << 16),
)
def test_flipped_bit_in_consistency_proof_or_roots_is_rejected(
    new_size: int, old_seed: int, bit: int
) -> None:
    old_size = 1 + old_seed % new_size
    proof = consistency_proof(HASHES[:new_size], old_size)
    *bad_proof, old_root, new_root = _flip([*proof, ROOTS[old_size], ROOTS[new_size]], bit)
    with pytest.raises(MerkleError):
        verify_consistency(old_size, new_size, old_root, new_root, bad_proof)


SUBTREES = _valid_subtrees(MAX_SIZE)


@settings(max_examples=50, deadline=None)
@given(
    which=st.sampled_from(SUBTREES),
    extra=st.integers(0, MAX_SIZE),
    index_seed=st.integers(0, MAX_SIZE),
    bit=st.integers(0, 1 << 16),
)
def test_flipped_bit_in_subtree_proofs_is_rejected(
    which: tuple[int, int], extra: int, index_seed: int, bit: int
) -> None:
    start, end = which
    size = end + extra % (MAX_SIZE - end + 1)
    index = start + index_seed % (end - start)
    sub = subtree_root(HASHES, start, end)

    proof = subtree_inclusion_proof(HASHES, index, start, end)
    *bad_proof, bad_root = _flip([*proof, sub], bit)
    with pytest.raises(MerkleError):
        verify_subtree_inclusion(HASHES[index], index, start, end, bad_proof, bad_root)

    proof = subtree_consistency_proof(HASHES[:size], start, end)
    *bad_proof, bad_sub, bad_root = _flip([*proof, sub, ROOTS[size]], bit)
    with pytest.raises(MerkleError):
        verify_subtree_consistency(start, end, size, bad_proof, bad_sub, bad_root)
