"""Token matrices and MinHash signatures: bit-identical to datasketch 2.0 on real item text."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from datasketch import MinHash
from datasketch.hashfunc import sha1_hash32, sha1_hash64
from hypothesis import given, settings
from hypothesis import strategies as st

from qbank.overlap import (
    DEFAULT_SCHEME,
    TokenMatrix,
    from_bytes,
    permutations,
    signatures,
    to_bytes,
    to_matrix,
    token_hashes,
)
from qbank.text.tokens import default_tokenizer

ITEMS_DIR = Path(__file__).resolve().parent.parent / "samples" / "source" / "items"
ODD_TOKENS = ["😀", "👩\u200d🔧", "\U00020000", "\ue000", "é", "e\u0301", "\u200b", "a" * 300, "0"]


def datasketch_signature(
    tokens: list[str], num_perm: int, seed: int, scheme: str | None = None
) -> np.ndarray:
    m = MinHash(num_perm=num_perm, seed=seed, scheme=scheme)
    for t in tokens:
        m.update(t.encode("utf-8"))
    return m.hashvalues


@pytest.fixture(scope="module")
def item_tokens() -> list[list[str]]:
    tok = default_tokenizer()
    result = []
    for path in sorted(ITEMS_DIR.glob("*.yaml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8"))["items"]:
            result.append(tok.item_tokens(item["stem"], (item.get("options") or {}).values()))
    assert len(result) > 100 and all(result)
    return result


# --- TokenMatrix ---------------------------------------------------------------------------


def test_to_matrix_sorts_and_deduplicates_rows_over_a_sorted_vocab() -> None:
    m = to_matrix([["电压", "电流", "电压"], [], ["b", "a"], ["a"]])
    assert m.vocab == ["a", "b", "电压", "电流"]
    assert m.indptr.dtype == np.int64 and m.indices.dtype == np.int32
    assert m.indptr.tolist() == [0, 2, 2, 4, 5]
    assert m.indices.tolist() == [2, 3, 0, 1, 0]
    assert m.n == 4 and m.sizes().tolist() == [2, 0, 2, 1]
    assert m.tokens(0) == ["电压", "电流"] and m.tokens(1) == []


def test_to_matrix_ids_do_not_depend_on_set_order() -> None:
    sets = [["x", "y"], ["z", "y"], ["w"]]
    a, b = to_matrix(sets), to_matrix(sets[::-1])
    assert a.vocab == b.vocab
    assert [a.tokens(i) for i in range(3)] == [b.tokens(i) for i in range(3)][::-1]


def test_to_matrix_of_nothing_and_of_empty_sets() -> None:
    empty = to_matrix([])
    assert empty.n == 0 and empty.indptr.tolist() == [0] and empty.vocab == []
    blanks = to_matrix([[], []])
    assert blanks.n == 2 and blanks.indices.size == 0


def test_to_matrix_rejects_a_bare_string() -> None:
    with pytest.raises(TypeError):
        to_matrix(["电压", ["电流"]])  # type: ignore[list-item]


def test_take_keeps_the_vocabulary() -> None:
    m = to_matrix([["a", "b"], ["c"], [], ["b", "d"]])
    sub = m.take([3, 0, 2])
    assert sub.vocab is m.vocab
    assert [sub.tokens(i) for i in range(sub.n)] == [["b", "d"], ["a", "b"], []]
    assert isinstance(sub, TokenMatrix) and sub.take([]).n == 0


# --- hashing and permutations --------------------------------------------------------------


def test_token_hashes_are_datasketch_sha1_hashes() -> None:
    vocab = ["电压", "plc", *ODD_TOKENS]
    h32 = token_hashes(vocab)
    assert h32.dtype == np.uint64
    assert h32.tolist() == [sha1_hash32(t.encode("utf-8")) for t in vocab]
    assert token_hashes(vocab, scheme="legacy").tolist() == h32.tolist()
    assert token_hashes(vocab, scheme="affine64").tolist() == [
        sha1_hash64(t.encode("utf-8")) for t in vocab
    ]
    assert token_hashes([]).shape == (0,)


@pytest.mark.parametrize("scheme", ["affine32", "affine64", "legacy"])
@pytest.mark.parametrize(("num_perm", "seed"), [(128, 1), (7, 0), (64, 2**32 - 1)])
def test_permutations_are_datasketchs(scheme: str, num_perm: int, seed: int) -> None:
    a, b = permutations(num_perm, seed, scheme)
    expected = MinHash(num_perm=num_perm, seed=seed, scheme=scheme).permutations
    assert a.dtype == expected[0].dtype and b.dtype == expected[1].dtype
    assert np.array_equal(a, expected[0]) and np.array_equal(b, expected[1])
    assert permutations(num_perm, seed, scheme)[0] is a
    assert not a.flags.writeable


def test_default_scheme_is_datasketchs_default() -> None:
    assert DEFAULT_SCHEME == MinHash().scheme == "affine32"


def test_bad_arguments_are_refused() -> None:
    m = to_matrix([["a"]])
    with pytest.raises(ValueError):
        signatures(m, num_perm=0, seed=1)
    with pytest.raises(ValueError):
        signatures(m, num_perm=8, seed=1, scheme="affine16")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        signatures(m, num_perm=8, seed=1, hashes=np.zeros(2, dtype=np.uint64))


# --- signatures against datasketch ---------------------------------------------------------


@pytest.mark.parametrize(("num_perm", "seed"), [(128, 1), (64, 42), (256, 2**32 - 1), (9, 0)])
def test_signatures_equal_datasketch_on_real_items(
    item_tokens: list[list[str]], num_perm: int, seed: int
) -> None:
    sigs = signatures(to_matrix(item_tokens), num_perm=num_perm, seed=seed)
    assert sigs.shape == (len(item_tokens), num_perm)
    expected = np.array([datasketch_signature(t, num_perm, seed) for t in item_tokens])
    assert sigs.dtype == expected.dtype == np.uint32
    assert np.array_equal(sigs, expected)


def test_signatures_equal_datasketch_bulk_path(item_tokens: list[list[str]]) -> None:
    sigs = signatures(to_matrix(item_tokens), num_perm=128, seed=7)
    bulk = MinHash.bulk(
        [[t.encode("utf-8") for t in ts] for ts in item_tokens], num_perm=128, seed=7
    )
    assert np.array_equal(sigs, np.array([m.hashvalues for m in bulk]))


@pytest.mark.parametrize("scheme", ["affine64", "legacy"])
def test_other_schemes_equal_datasketch_on_real_items(
    item_tokens: list[list[str]], scheme: str
) -> None:
    sample = item_tokens[::5]
    sigs = signatures(to_matrix(sample), num_perm=32, seed=3, scheme=scheme)
    expected = np.array([datasketch_signature(t, 32, 3, scheme) for t in sample])
    assert sigs.dtype == expected.dtype == np.uint64
    assert np.array_equal(sigs, expected)


@pytest.mark.parametrize("scheme", ["affine32", "affine64", "legacy"])
def test_edge_cases_equal_datasketch(scheme: str) -> None:
    sets = [[], ["电"], ODD_TOKENS, ["电压", "电压", "电流", "电压"], [ODD_TOKENS[0]] * 3]
    sigs = signatures(to_matrix(sets), num_perm=33, seed=5, scheme=scheme)
    for row, tokens in zip(sigs, sets, strict=True):
        assert np.array_equal(row, datasketch_signature(tokens, 33, 5, scheme))
    empty = MinHash(num_perm=33, seed=5, scheme=scheme)
    assert np.array_equal(sigs[0], empty.hashvalues)
    assert np.array_equal(sigs[4], datasketch_signature([ODD_TOKENS[0]], 33, 5, scheme))


def test_a_rows_signature_does_not_depend_on_other_rows(item_tokens: list[list[str]]) -> None:
    full = to_matrix(item_tokens)
    sigs = signatures(full, num_perm=64, seed=1)
    rows = [5, 0, 17]
    assert np.array_equal(signatures(full.take(rows), num_perm=64, seed=1), sigs[rows])
    alone = signatures(to_matrix([item_tokens[17]]), num_perm=64, seed=1)
    assert np.array_equal(alone[0], sigs[17])
    hashes = token_hashes(full.vocab)
    assert np.array_equal(signatures(full, num_perm=64, seed=1, hashes=hashes), sigs)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.lists(st.text(min_size=1, max_size=6), max_size=12), min_size=1, max_size=6),
    st.integers(min_value=1, max_value=40),
    st.integers(min_value=0, max_value=2**32 - 1),
    st.sampled_from(["affine32", "affine64", "legacy"]),
)
def test_any_token_sets_equal_datasketch(
    sets: list[list[str]], num_perm: int, seed: int, scheme: str
) -> None:
    sigs = signatures(to_matrix(sets), num_perm=num_perm, seed=seed, scheme=scheme)  # type: ignore[arg-type]
    for row, tokens in zip(sigs, sets, strict=True):
        assert np.array_equal(row, datasketch_signature(tokens, num_perm, seed, scheme))


@pytest.mark.parametrize("scheme", ["affine32", "affine64", "legacy"])
def test_kernel_arithmetic_equals_datasketch_over_the_whole_hash_range(scheme: str) -> None:
    """Raw hash values (datasketch with an identity hashfunc), edges included, so the uint32
    truncation, the uint64 wrap-around and the folded modulo of the legacy scheme see products
    across the whole 64-bit range."""
    top = 2**64 if scheme == "affine64" else 2**32
    rng = np.random.default_rng(99)
    values = [
        0,
        1,
        top - 1,
        top // 2,
        top // 2 - 1,
        2**31,
        *rng.integers(0, top, 3000, dtype=np.uint64),
    ]
    values = [int(v) for v in values]
    matrix = to_matrix([[f"t{i:05d}"] for i in range(len(values))])
    sigs = signatures(
        matrix,
        num_perm=70,
        seed=11,
        scheme=scheme,  # type: ignore[arg-type]
        hashes=np.array(values, dtype=np.uint64),
    )
    expected = MinHash.bulk(
        [[v] for v in values], num_perm=70, seed=11, scheme=scheme, hashfunc=int
    )
    assert np.array_equal(sigs, np.array([m.hashvalues for m in expected]))


def test_legacy_modulo_at_the_prime_boundaries() -> None:
    """Hash values crafted so a * h + b (mod 2**64) lands exactly on the values where the folded
    modulo could be off by one: p - 1, p, p + 1, 2**62 - 2, 2**64 - 1."""
    p = 2**61 - 1
    a, b = permutations(8, 1, "legacy")
    k = next(k for k in range(8) if int(a[k]) % 2)
    inverse = pow(int(a[k]), -1, 2**64)
    targets = [p - 1, p, p + 1, 2**62 - 2, 2**64 - 1, 0]
    values = [((t - int(b[k])) * inverse) % 2**64 for t in targets]
    sigs = signatures(
        to_matrix([[f"t{i}"] for i in range(len(values))]),
        num_perm=8,
        seed=1,
        scheme="legacy",
        hashes=np.array(values, dtype=np.uint64),
    )
    assert [int(v) for v in sigs[:, k]] == [(t % p) & (2**32 - 1) for t in targets]
    expected = MinHash.bulk(
        [[v] for v in values], num_perm=8, seed=1, scheme="legacy", hashfunc=int
    )
    assert np.array_equal(sigs, np.array([m.hashvalues for m in expected]))


# --- storage ---------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["affine32", "affine64", "legacy"])
def test_bytes_round_trip(item_tokens: list[list[str]], scheme: str) -> None:
    sigs = signatures(to_matrix(item_tokens[:20]), num_perm=16, seed=1, scheme=scheme)
    for row in sigs:
        data = to_bytes(row)
        assert len(data) == 16 * row.dtype.itemsize
        back = from_bytes(data, 16)
        assert back.dtype == row.dtype and np.array_equal(back, row)
        assert back.flags.writeable


def test_bytes_are_little_endian_and_checked() -> None:
    row = np.array([1, 2**32 - 1], dtype=np.uint32)
    assert to_bytes(row) == b"\x01\x00\x00\x00\xff\xff\xff\xff"
    assert to_bytes(row.astype(">u4")) == to_bytes(row)
    with pytest.raises(ValueError):
        from_bytes(b"\x00" * 12, 2)
    with pytest.raises(ValueError):
        from_bytes(b"", 0)
    with pytest.raises(ValueError):
        to_bytes(np.zeros((2, 2), dtype=np.uint32))
    with pytest.raises(ValueError):
        to_bytes(np.zeros(2, dtype=np.int64))
