"""Stored token sets and signatures found by one scan of the table read as looking each key
up reads them.

`qbank.overlap.fingerprints.stored_token_lists` looks keys up a chunk at a time, or scans
the table when it holds fewer than SCAN_FACTOR rows per key asked. Both ways are held to
each other here, through every reader of token sets (`read_tokens`, `read_token_rows`), and
the scan to the lookups' exactness on a hostile table: a row whose key is another way of
writing a wanted key (upper case, spaces, a blob) is not that key's row. A large scan of a
SQLite file is read in two parts, the table's last rows by a worker process
(`qbank.overlap.scan_parts`): held to the one-process scan the same ways, and to it when the
worker fails.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from fresh import modules_after
from hostile import unprotect
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select
from test_bulk_import import OCC, records, store
from worker_answers import watch

from qbank.bank import find_bank
from qbank.db import Database
from qbank.model import Signature, TokenSet
from qbank.overlap import fingerprints, stored
from qbank.overlap.digests import DIGESTS, TextKeys, find_digests, unique_digests
from qbank.overlap.fingerprints import TextUnit, stored_token_lists, tokenizer_info
from qbank.overlap.stored import read_signatures, read_token_rows, read_tokens, text_keys
from qbank.overlap.units import current_item_rows
from qbank.policy import load_policy


@pytest.fixture
def stored_keys(db: Database) -> list[str]:
    """The text keys of a stored bank of 120 items (12 of them near copies)."""
    store(db, records(120))
    with db.transaction() as session:
        rows = current_item_rows(session, find_bank(session, OCC, 4))
    return text_keys([TextUnit(r.stem, tuple(r.options.values())) for r in rows])


def _both_ways(monkeypatch: pytest.MonkeyPatch, read):  # type: ignore[no-untyped-def]
    """`read()` with lookups by key, then with a scan of the table."""
    monkeypatch.setattr(fingerprints, "SCAN_FACTOR", 0)
    looked_up = read()
    monkeypatch.setattr(fingerprints, "SCAN_FACTOR", 10**9)
    return looked_up, read()


def _in_parts(monkeypatch: pytest.MonkeyPatch, read, db_url: str):  # type: ignore[no-untyped-def]
    """`read()` with a scan of the table in two parts (on SQLite: a worker reads the last
    half of its rows, and really answers), and the worker's answers."""
    with monkeypatch.context() as patched:
        patched.setattr(fingerprints, "SCAN_FACTOR", 10**9)
        patched.setattr(stored, "PARALLEL_SCAN", 0)
        answered = watch(patched)
        found = read()
    assert len(answered) == (1 if db_url.startswith("sqlite") else 0)
    return found, answered


def _same_rows(a, b) -> bool:  # type: ignore[no-untyped-def]
    return (
        a.vocab == b.vocab
        and np.array_equal(a.indptr, b.indptr)
        and np.array_equal(a.indices, b.indices)
    )


def _token_rows(db: Database, keys: list[str]):  # type: ignore[no-untyped-def]
    tkey = tokenizer_info(None).key
    with db.transaction() as session:
        return read_token_rows(session, tkey, b"".join(bytes.fromhex(k) for k in keys))


def test_a_scan_reads_what_lookups_read(
    db: Database, stored_keys: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    tkey = tokenizer_info(None).key
    some = stored_keys[::3] + stored_keys[:2]  # repeated keys, in no sorted order

    def tokens():  # type: ignore[no-untyped-def]
        with db.transaction() as session:
            return read_tokens(session, tkey, some)

    by_key, scanned_by_key = _both_ways(monkeypatch, tokens)
    assert scanned_by_key == by_key and set(by_key) == set(some)
    looked_up, scanned = _both_ways(monkeypatch, lambda: _token_rows(db, some))
    assert scanned is not None and looked_up is not None
    assert scanned.vocab == looked_up.vocab
    assert np.array_equal(scanned.indptr, looked_up.indptr)
    assert np.array_equal(scanned.indices, looked_up.indices)
    for k, key in enumerate(some):  # each row is its key's stored set, in the order asked
        row = scanned.indices[scanned.indptr[k] : scanned.indptr[k + 1]]
        assert [scanned.vocab[i] for i in row] == sorted(set(by_key[key]))


def test_a_scan_in_two_parts_reads_what_one_scan_reads(
    db: Database, db_url: str, stored_keys: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker scans the table's last rows and sends their tokens as ids of its own
    vocabulary; renumbered here, the rows are the one-process scan's, in the order asked."""
    some = stored_keys[::2] + stored_keys[1:4]  # rows in both halves of the table, repeats
    looked_up, scanned = _both_ways(monkeypatch, lambda: _token_rows(db, some))
    in_parts, answered = _in_parts(monkeypatch, lambda: _token_rows(db, some), db_url)
    assert in_parts is not None and _same_rows(in_parts, scanned)
    assert _same_rows(scanned, looked_up)
    if answered:  # the worker found rows of its half, in its own numbering
        places, lengths, ids, vocab = answered[0]  # type: ignore[misc]
        assert 0 < len(places) < len(set(some)) and len(ids) == lengths.sum()
        assert ids.max() < len(vocab)


def test_a_failed_token_worker_leaves_its_rows_to_the_check(
    db: Database, db_url: str, stored_keys: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker that cannot run the scan (here: told a file that is not there) fails its
    request; this process then reads the worker's rows itself, and the rows are the same."""
    _, scanned = _both_ways(monkeypatch, lambda: _token_rows(db, stored_keys))
    monkeypatch.setattr("qbank.db.sqlite_path", lambda connection: "/nonexistent/q.db")
    with monkeypatch.context() as patched:
        patched.setattr(fingerprints, "SCAN_FACTOR", 10**9)
        patched.setattr(stored, "PARALLEL_SCAN", 0)
        failed = _token_rows(db, stored_keys)
        patched.setattr("qbank.worker.start_worker", lambda warm=None: None)
        alone = _token_rows(db, stored_keys)
    assert failed is not None and _same_rows(failed, scanned)
    assert alone is not None and _same_rows(alone, scanned)


def test_the_token_worker_loads_no_orm_and_no_overlap_engine() -> None:
    loaded = modules_after("import qbank.overlap.scan_parts")
    assert "numpy" in loaded
    for heavy in ("sqlalchemy.orm", "numba", "scipy", "qbank.model", "qbank.overlap.stored"):
        assert heavy not in loaded, heavy


def test_a_scan_accounts_for_every_key_asked(
    db: Database, stored_keys: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Progress: the batches together account for each key once, found or not."""
    tkey = tokenizer_info(None).key
    asked = sorted([*stored_keys[:50], "0" * 64])
    for factor in (0, 10**9):
        monkeypatch.setattr(fingerprints, "SCAN_FACTOR", factor)
        with db.transaction() as session:
            batches = list(stored_token_lists(session, tkey, asked, 7))
        assert sum(covered for covered, _ in batches) == len(asked)
        assert sorted(key for _, rows in batches for key, _ in rows) == asked[1:]
    monkeypatch.setattr(fingerprints, "SCAN_FACTOR", 10**9)
    with db.transaction() as session:  # the keys as a check holds them: digests
        batches = list(stored_token_lists(session, tkey, TextKeys(bytes.fromhex("".join(asked)))))
    assert sorted(key for _, rows in batches for key, _ in rows) == asked[1:]


def test_a_scan_takes_no_other_spelling_of_a_key(
    db: Database, db_url: str, stored_keys: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows a hostile database added under other spellings of wanted keys (upper case, a
    space between bytes, the digest as a blob, keys a digit short and a digit long)
    are no key's rows: the scan reads what the lookups read, and a key whose only row is
    such a spelling is missing (the check then computes its tokens from the text)."""
    tkey = tokenizer_info(None).key
    wanted, gone = stored_keys[0], stored_keys[1]
    with db.transaction() as session:
        tokens = session.scalar(select(TokenSet.tokens).where(TokenSet.text_sha256 == gone))
    spellings = [
        wanted.upper(),
        gone.upper(),
        f"{gone[:62]} {gone[62:]}"[:64],  # the digest less a byte, as fromhex reads it
        stored_keys[2][:63],
    ]
    with db.engine.begin() as conn:
        unprotect(conn, "token_sets")
        conn.execute(TokenSet.__table__.delete().where(TokenSet.text_sha256 == gone))
        rows = [{"text_sha256": s, "tokenizer": tkey, "tokens": ["伪造"]} for s in spellings]
        conn.execute(insert(TokenSet), rows)
        if db_url.startswith("sqlite"):  # SQLite keeps any type and length in the column
            odd = [bytes.fromhex(wanted), f"{wanted[:2]} {wanted[2:]}", stored_keys[3] + "0"]
            conn.exec_driver_sql(
                "INSERT INTO token_sets (text_sha256, tokenizer, tokens) VALUES (?, ?, ?)",
                [(key, tkey, '["伪造"]') for key in odd],
            )
    asked = [wanted, stored_keys[2], stored_keys[3]]
    looked_up, scanned = _both_ways(monkeypatch, lambda: _token_rows(db, asked))
    assert scanned is not None and looked_up is not None
    assert "伪造" not in scanned.vocab
    assert scanned.vocab == looked_up.vocab
    assert np.array_equal(scanned.indices, looked_up.indices)
    # the hostile rows were added last: in the worker's half of the table
    in_parts, _ = _in_parts(monkeypatch, lambda: _token_rows(db, asked), db_url)
    assert in_parts is not None and _same_rows(in_parts, scanned)
    missing = _both_ways(monkeypatch, lambda: _token_rows(db, [wanted, gone]))
    assert missing == (None, None)
    assert _in_parts(monkeypatch, lambda: _token_rows(db, [wanted, gone]), db_url)[0] is None
    assert tokens is not None


def _digests(parts: list[bytes]) -> np.ndarray:
    return np.frombuffer(b"".join(parts), dtype=DIGESTS)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 5), max_size=40),
    st.lists(st.integers(0, 7), max_size=40),
    st.randoms(use_true_random=False),
)
def test_digests_sort_and_search_as_numpy_does(
    picks: list[int], asked: list[int], rng: random.Random
) -> None:
    """`unique_digests` is `np.unique`, `find_digests` a search of the sorted digests, also
    where distinct digests share their first 8 bytes (or all 32 but the last)."""
    heads = [bytes(8), b"\xff" * 8, rng.randbytes(8)]
    pool = [h + rng.randbytes(24) for h in heads] + [heads[0] + bytes(23) + b"\x01"]
    pool += [pool[0][:31] + b"\x02", rng.randbytes(32), bytes(32), b"\xff" * 32]
    values = _digests([pool[k] for k in picks])
    unique, inverse = unique_digests(values)
    expected, expected_inverse = np.unique(values, return_inverse=True)
    assert unique.tobytes() == expected.tobytes()
    assert np.array_equal(inverse, expected_inverse.reshape(-1))
    queries = _digests([pool[k] for k in asked]) if asked else values[:0]
    found = find_digests(unique, queries)
    table = [u.tobytes() for u in unique]
    assert found.tolist() == [table.index(q) if q in table else -1 for q in map(bytes, queries)]


def test_signatures_are_read_by_digest_in_the_keys_order(
    db: Database, db_url: str, stored_keys: list[str]
) -> None:
    """`read_signatures` finds rows among the keys' digests: repeated keys each get their
    row, in the order asked, whether the table is scanned (most keys asked) or looked up (a
    few); rows under other spellings of a key (upper case; on SQLite a blob) are no key's."""
    policy = load_policy()
    num_perm, seed = int(policy.num_perm.value), int(policy.seed.value)
    tkey = tokenizer_info(None).key
    with db.transaction() as session:
        stored = {
            key: bytes(data)
            for key, data in session.execute(
                select(Signature.text_sha256, Signature.data).where(Signature.tokenizer == tkey)
            )
        }
    spelled = [stored_keys[0].upper(), stored_keys[1].upper()]
    with db.engine.begin() as conn:
        rows = [
            {"text_sha256": k, "tokenizer": tkey, "num_perm": num_perm, "seed": seed}
            | {"data": b"\xff" * (4 * num_perm)}
            for k in spelled
        ]
        conn.execute(insert(Signature), rows)
        if db_url.startswith("sqlite"):
            conn.exec_driver_sql(
                "INSERT INTO minhash_signatures VALUES (?, ?, ?, ?, ?)",
                (bytes.fromhex(stored_keys[2]), tkey, num_perm, seed, b"\xff" * (4 * num_perm)),
            )
    everything = [*reversed(stored_keys), stored_keys[0], stored_keys[3]]  # scanned
    few = [stored_keys[3], stored_keys[0], stored_keys[3], "0" * 64]  # looked up
    for asked in (everything, few):
        with db.transaction() as session:
            read = read_signatures(session, tkey, asked, num_perm=num_perm, seed=seed)
        assert read.missing == [k for k, key in enumerate(asked) if key not in stored]
        for k, key in enumerate(asked):
            expected = stored.get(key, bytes(4 * num_perm))
            assert read.rows[k].astype("<u4").tobytes() == expected
    with db.transaction() as session:  # the keys as a check holds them: digests
        packed = TextKeys(bytes.fromhex("".join(everything)))
        read = read_signatures(session, tkey, packed, num_perm=num_perm, seed=seed, columns=5)
    assert read.missing == []
    assert [r.astype("<u4").tobytes() for r in read.rows] == [stored[k][:20] for k in everything]


def test_signatures_scanned_in_two_parts_are_those_read_alone(
    db: Database, db_url: str, stored_keys: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker reads the signature table's last rows and sends their places and values;
    with them the signatures are the one-process scan's, also where a hostile database made
    rows of either half no signature of their key: data of another length (a uint64 row
    among uint32 ones), data stored as text, a key written in upper case."""
    policy = load_policy()
    num_perm, seed = int(policy.num_perm.value), int(policy.seed.value)
    tkey = tokenizer_info(None).key
    first, last = stored_keys[0], stored_keys[-1]  # in the first and the last half of rows
    with db.engine.begin() as conn:
        unprotect(conn, "minhash_signatures")
        table = Signature.__table__
        conn.execute(
            table.update().where(table.c.text_sha256 == last).values(data=bytes(8 * num_perm))
        )
        conn.execute(
            table.update()
            .where(table.c.text_sha256 == stored_keys[-2])
            .values(text_sha256=stored_keys[-2].upper())
        )
        if db_url.startswith("sqlite"):  # SQLite keeps any type in the column
            conn.exec_driver_sql(
                "UPDATE minhash_signatures SET data = ? WHERE text_sha256 = ?",
                ("x" * (4 * num_perm), first),
            )

    def read(columns: int | None):  # type: ignore[no-untyped-def]
        with db.transaction() as session:
            return read_signatures(
                session, tkey, stored_keys, num_perm=num_perm, seed=seed, columns=columns
            )

    for columns in (None, 7):
        alone = read(columns)
        in_parts, answered = _in_parts(monkeypatch, lambda c=columns: read(c), db_url)
        assert in_parts.missing == alone.missing
        assert in_parts.rows.dtype == alone.rows.dtype == np.uint32
        assert np.array_equal(in_parts.rows, alone.rows)
        gone = {last, stored_keys[-2]} | ({first} if db_url.startswith("sqlite") else set())
        assert {stored_keys[k] for k in alone.missing} == gone
        if answered:  # the worker's half: places and values of each length it met
            found, sized = answered[0]  # type: ignore[misc]
            assert found == 4 * num_perm and 8 * num_perm in sized
            places, values = sized[4 * num_perm]
            assert 0 < len(places) < len(stored_keys) and values.shape[1] == (columns or num_perm)


def test_no_keys_read_no_rows(db: Database, stored_keys: list[str]) -> None:
    """A large scope whose LSH finds no candidate pair asks for no token sets."""
    tkey = tokenizer_info(None).key
    policy = load_policy()
    num_perm, seed = int(policy.num_perm.value), int(policy.seed.value)
    with db.transaction() as session:
        rows = read_token_rows(session, tkey, b"")
        signatures = read_signatures(session, tkey, [], num_perm=num_perm, seed=seed)
    assert rows is not None and rows.vocab == [] and rows.indptr.tolist() == [0]
    assert signatures.missing == [] and len(signatures.rows) == 0
