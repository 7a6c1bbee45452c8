"""The stored-scope theory check (`qbank.overlap.stored_scope`): signatures first, tokens only
for candidate rows, numpy banding and verification (`qbank.overlap.bands`).

Each shortcut is held to what it replaces: the numpy candidates to the numba kernel's on
signatures built to fill buckets (identical rows, a tiny value alphabet, both dtypes), the numpy
Jaccard to the kernel's, and the whole report to the one made from every unit's tokens, on a
bank with identical-token texts, texts without tokens, adjudication-free pairs and a fallback
when a signature is missing.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hostile import unprotect
from sqlalchemy import delete, func, insert, select
from test_bulk_import import OCC, records, store
from test_overlap2_stored import lsh_policy

from qbank.bank import find_bank
from qbank.db import Database
from qbank.items import import_items
from qbank.model import Signature, TokenSet
from qbank.overlap import bands
from qbank.overlap.checks import check_theory
from qbank.overlap.exact import _pair_jaccard
from qbank.overlap.lsh import candidates
from qbank.overlap.matrix import to_matrix
from qbank.overlap.report import report_bytes, theory_report
from qbank.overlap.units import bank_scope, context, current_item_rows, item_scope
from qbank.policy import Policy
from qbank.records import ItemRecord, ItemType, Location


@pytest.mark.parametrize("dtype", [np.uint32, np.uint64])
@pytest.mark.parametrize("n", [0, 1, 2, 7, 400, 3000])
def test_numpy_candidates_are_the_kernels(dtype: type, n: int) -> None:
    rng = np.random.default_rng(n)
    sigs = rng.integers(0, 5, (n, 64)).astype(dtype)  # few values: full buckets
    sigs[n // 2 :] = sigs[: n - n // 2]  # and groups of identical rows
    if n > 10:
        sigs[3:9] = rng.integers(0, 2**32, 64).astype(dtype)
    expected = candidates(sigs, 16, 4)
    got = bands.candidates(sigs, 16, 4)
    assert got is not None
    assert np.array_equal(got[0], expected[0]) and np.array_equal(got[1], expected[1])
    assert got[0].dtype == np.int64


def test_numpy_candidates_step_aside_for_full_buckets(monkeypatch: pytest.MonkeyPatch) -> None:
    sigs = np.zeros((100, 8), np.uint32)  # one bucket of 100 rows: 4950 pairs a band
    monkeypatch.setattr(bands, "MAX_BAND_PAIRS", 4950)
    assert bands.candidates(sigs, 2, 4) is None
    monkeypatch.setattr(bands, "MAX_BAND_PAIRS", 9900)
    found = bands.candidates(sigs, 2, 4)
    assert found is not None and len(found[0]) == 4950


def test_numpy_jaccard_is_the_kernels() -> None:
    rng = np.random.default_rng(5)
    vocab = [f"词{k}" for k in range(40)]
    sets = [list(rng.choice(vocab, rng.integers(0, 9))) for _ in range(300)]
    sets[1], sets[2] = [], []  # empty sets: 0.0, as the kernel says
    sets[4] = ["词3", "词1", "词3"]  # unsorted with a repeat
    i, j = rng.integers(0, 300, 4000), rng.integers(0, 300, 4000)
    i[:3], j[:3] = [1, 1, 4], [2, 4, 4]
    matrix = to_matrix(sets)
    expected = _pair_jaccard(
        matrix.indptr, matrix.indices, matrix.indptr, matrix.indices, i, j, len(matrix.vocab)
    )
    indptr, indices = bands.token_matrix(sets)
    assert np.array_equal(indptr, matrix.indptr)
    got = bands.jaccard(indptr, indices, i, j)
    assert got is not None and np.array_equal(got, expected)


def _odd_records() -> list[ItemRecord]:
    """Texts whose tokens are equal though their texts differ, and texts without tokens."""
    out = []
    for k, stem in enumerate(
        ["？", "！", "。", "的", "电动机的额定功率。", "电动机 的 额定功率。"]
    ):
        out.append(ItemRecord(ItemType.JUDGEMENT, stem, True, Location("odd.xlsx", row=k + 2)))
    return out


def _unit_report(db: Database, policy: Policy) -> dict[str, object]:
    """The report `theory_report` makes of every unit's tokens, as JSON."""
    with db.transaction() as session:
        bank = find_bank(session, OCC, 4)
        scoped = item_scope(session, current_item_rows(session, bank), policy, None)
        ctx = context(policy, None, "t")
        report = theory_report(scoped.units, ctx, bank_scope(bank), sigs=scoped.signatures)
    return _figures(report_bytes(report))


def _checked(db: Database, policy: Policy) -> dict[str, object]:
    with db.transaction() as session:
        report = check_theory(session, find_bank(session, OCC, 4), policy, actor="t")
    return _figures(report_bytes(report))


def _figures(body: bytes) -> dict[str, object]:
    """A report's JSON without who made it and when (what `finish` stamps)."""
    data: dict[str, object] = json.loads(body)
    data.pop("generated_at", None)
    data.pop("generated_by", None)
    return data


def test_stored_scope_report_is_the_units_report(db: Database, tmp_path: Path) -> None:
    store(db, records(300))
    with db.transaction() as session:
        import_items(
            session, find_bank(session, OCC, 4), _odd_records(), source="odd.xlsx", actor="t"
        )
    policy = lsh_policy(tmp_path)
    expected = _unit_report(db, policy)
    got = _checked(db, policy)
    assert got["method"]["name"] == "minhash-lsh"  # type: ignore[index]
    assert got == expected
    pairs = got["pairs"]
    assert isinstance(pairs, list) and len(pairs) >= 5
    assert any(p["similarity"] == 1.0 for p in pairs)  # the two texts of equal tokens
    # A missing signature: the path that computes and stores it, and the same report.
    with db.engine.begin() as conn:
        unprotect(conn, "minhash_signatures")
        first = conn.scalar(select(Signature.text_sha256).limit(1))
        conn.execute(delete(Signature).where(Signature.text_sha256 == first))
    assert _checked(db, policy) == expected


def test_text_json_is_canonical_text() -> None:
    """The written-out key text equals the encoder's on strings that need escapes."""
    import random

    from qbank.canonical import canonical_text
    from qbank.overlap.scope_rows import text_json

    rng = random.Random(7)
    alphabet = ["a", '"', "\\", "\n", "\x00", "\x1f", "\x7f", "中", "𠀀", "\u2028", "\ud800", "/"]
    for _ in range(3000):
        stem = "".join(rng.choices(alphabet, k=rng.randint(0, 8)))
        options = [
            "".join(rng.choices(alphabet, k=rng.randint(0, 5))) for _ in range(rng.randint(0, 4))
        ]
        assert text_json(stem, options) == canonical_text([stem, options])


def test_reports_name_the_scheme_the_kernels_use() -> None:
    """`pairs` names the MinHash scheme without importing the kernels: the same one."""
    from qbank.overlap import minhash, pairs

    assert pairs.DEFAULT_SCHEME == minhash.DEFAULT_SCHEME


def test_report_bytes_of_many_items_are_the_canonical_json(db: Database, tmp_path: Path) -> None:
    """The item list written out equals `canonical_bytes(report.to_json())`: int and str ids,
    guids absent or needing escapes, and a report whose other sections hold an `items` key."""
    from dataclasses import replace

    from qbank.canonical import canonical_bytes
    from qbank.overlap.document import ListedItem

    store(db, records(60))
    with db.transaction() as session:
        report = check_theory(session, find_bank(session, OCC, 4), lsh_policy(tmp_path), actor="t")
    odd = ['a"b\\c', "中文\n", None, "\u2028", "x/y"]
    items = tuple(
        ListedItem(k if k % 3 else f"file.xlsx:{k}", odd[k % len(odd)], f"{k:064x}")
        for k in range(2500)
    )
    many = replace(report, items=items)
    assert report_bytes(many) == canonical_bytes(many.to_json())
    nested = replace(many, unverified={"extra": {"items": []}})
    assert report_bytes(nested) == canonical_bytes(nested.to_json())
    assert report_bytes(report) == canonical_bytes(report.to_json())


def test_token_sets_a_database_damaged_are_recomputed_not_trusted(
    db: Database, tmp_path: Path
) -> None:
    """Token-set rows that are not lists of strings (a damaged or hostile database): the
    check computes those sets from their texts and makes the same report, without writing
    the rows again; `ensure_tokens` gives the texts' own tokens."""
    from sqlalchemy import text

    from qbank.overlap.fingerprints import TextUnit, ensure_tokens
    from qbank.overlap.stored import read_token_rows, read_tokens, text_keys
    from qbank.text.tokens import default_tokenizer, tokenize_many

    store(db, records(120, seed=5))
    policy = lsh_policy(tmp_path)
    expected = _checked(db, policy)
    pairs = expected["pairs"]
    assert isinstance(pairs, list) and pairs
    with db.transaction() as session:
        rows = current_item_rows(session, find_bank(session, OCC, 4))
        texts = [TextUnit(r.stem, tuple(r.options.values())) for r in rows]
    keys = text_keys(texts)
    crafted = ['{"a": 1}', '["a", 1]', '"电动机"', "[]]", "[[[[[[[[[[1]]]]]]]]]]"]
    if db.engine.dialect.name != "postgresql":  # PostgreSQL refuses text that is not JSON
        crafted += ['["a"', "not json"]
    else:
        crafted = [c for c in crafted if c != "[]]"]
    cast = "CAST(:v AS JSON)" if db.engine.dialect.name == "postgresql" else ":v"
    damaged = keys[: len(crafted)]
    with db.engine.begin() as conn:
        unprotect(conn, "token_sets")
        for key, value in zip(damaged, crafted, strict=True):
            conn.execute(
                text(f"UPDATE token_sets SET tokens = {cast} WHERE text_sha256 = :k"),
                {"v": value, "k": key},
            )
    assert _checked(db, policy) == expected
    own = tokenize_many([(t.stem, t.options) for t in texts], tokenizer=default_tokenizer())
    with db.transaction() as session:
        tkey = default_tokenizer().identity.key
        assert not set(read_tokens(session, tkey, damaged))  # none of them is read as tokens
        for key in damaged:  # nor as a candidate's token row
            assert read_token_rows(session, tkey, bytes.fromhex(keys[-1] + key)) is None
        assert read_token_rows(session, tkey, bytes.fromhex(keys[-1])) is not None
        assert ensure_tokens(session, texts, keys=keys) == own
    with db.engine.connect() as conn:  # the damaged rows are left as they were, not added to
        count = conn.scalar(
            select(func.count()).select_from(TokenSet).where(TokenSet.text_sha256.in_(damaged))
        )
    assert count == len(damaged)


def test_stored_token_rows_are_the_token_matrix(db: Database) -> None:
    """`read_token_rows` (keys as digests) numbers the stored tokens as `to_matrix` numbers
    the token lists `read_tokens` gives: keys repeated and in any order, a stored list unsorted with repeats,
    an empty one; a key without stored tokens gives None. Shared counts are `_exact_pair`'s."""
    from qbank.model import TokenSet
    from qbank.overlap.pairs import _exact_pair
    from qbank.overlap.stored import read_token_rows, read_tokens

    store(db, records(80))
    with db.transaction() as session:
        tkey, *_ = session.execute(select(TokenSet.tokenizer).limit(1)).one()
        session.execute(
            insert(TokenSet).values(
                [
                    {"text_sha256": "f" * 64, "tokenizer": tkey, "tokens": ["额定", "电", "额定"]},
                    {"text_sha256": "e" * 64, "tokenizer": tkey, "tokens": []},
                ]
            )
        )
    with db.transaction() as session:
        stored = list(session.scalars(select(TokenSet.text_sha256)))
        rng = np.random.default_rng(3)
        keys = [stored[k] for k in rng.integers(0, len(stored), 200)] + ["f" * 64, "e" * 64]
        keys += keys[:5]
        digests = b"".join(map(bytes.fromhex, keys))
        rows = read_token_rows(session, tkey, digests)
        sets = read_tokens(session, tkey, keys)
        assert read_token_rows(session, tkey, digests + bytes(32)) is None
    assert rows is not None
    expected = to_matrix([sets[k] for k in keys])
    assert np.array_equal(rows.indptr, expected.indptr)
    assert np.array_equal(rows.indices, expected.indices) and rows.indices.dtype == np.int32
    assert rows.vocab == expected.vocab
    i, j = rng.integers(0, len(keys), 500), rng.integers(0, len(keys), 500)
    shared = bands.shared_tokens(rows.indptr, rows.indices, i, j)
    assert shared.tolist() == [
        _exact_pair(sets[keys[a]], sets[keys[b]], 0, 0).shared for a, b in zip(i, j, strict=True)
    ]


def test_stored_scope_report_through_the_kernel(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Candidates above `bands.MAX_VERIFY_PAIRS` are verified by the numba kernel on the
    stored token rows: the same report as the units'."""
    store(db, records(300))
    policy = lsh_policy(tmp_path)
    expected = _unit_report(db, policy)
    monkeypatch.setattr(bands, "MAX_VERIFY_PAIRS", 0)
    assert _checked(db, policy) == expected


def test_sorted_rows_and_take_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows already sorted (empty rows first, last and between; a row starting below the end
    of the one before) are kept as given; unsorted rows with repeats are sorted and made
    unique; rows taken several chunks at a time are those rows, in the order asked."""
    lengths = np.array([0, 3, 0, 2, 1, 0], dtype=np.int64)
    ids = np.array([1, 5, 9, 2, 3, 0], dtype=np.int32)
    indptr, kept = bands.sorted_rows(lengths, ids)
    assert indptr.tolist() == [0, 0, 3, 3, 5, 6, 6] and kept is ids
    indptr, fixed = bands.sorted_rows(np.array([3, 2]), np.array([4, 1, 4, 7, 7]))
    assert indptr.tolist() == [0, 2, 3] and fixed.tolist() == [1, 4, 7]
    rng = np.random.default_rng(11)
    sets = [sorted(set(rng.integers(0, 50, rng.integers(0, 6)).tolist())) for _ in range(500)]
    indptr, indices = bands.sorted_rows(np.array(list(map(len, sets))), np.concatenate(sets))
    monkeypatch.setattr(bands, "_CHUNK", 7)
    rows = rng.integers(0, 500, 300)
    taken_ptr, taken = bands.take_rows(indptr, indices, rows)
    assert [taken[taken_ptr[k] : taken_ptr[k + 1]].tolist() for k in range(300)] == [
        sets[r] for r in rows
    ]


def test_text_keys_are_the_hex_keys() -> None:
    from hashlib import sha256

    from qbank.overlap.digests import TextKeys

    digests = [sha256(str(k).encode()).digest() for k in range(5)]
    keys = TextKeys(b"".join(digests))
    hexes = [d.hex() for d in digests]
    assert keys.digests(np.array([4, 0, 4])) == digests[4] + digests[0] + digests[4]
    assert len(keys) == 5 and list(keys) == hexes and keys[-1] == hexes[-1]
    assert keys[1:4] == hexes[1:4] and [keys[r] for r in (3, 0)] == [hexes[3], hexes[0]]
    with pytest.raises(IndexError):
        keys[5]


def test_banded_candidates_are_the_candidates() -> None:
    """The kernel's candidates from band keys made first (the signatures freed meanwhile)."""
    from qbank.overlap.lsh import banded, banded_candidates

    rng = np.random.default_rng(2)
    sigs = rng.integers(0, 3, (500, 64)).astype(np.uint32)
    sigs[250:] = sigs[:250]
    expected = candidates(sigs, 16, 4)
    scope = banded(sigs, 16, 4)
    del sigs
    got = banded_candidates(scope)
    assert np.array_equal(got[0], expected[0]) and np.array_equal(got[1], expected[1])
