"""The cheaper re-hash of item versions held to the one it shortcuts.

`qbank.content._item_of` first builds the content its columns describe and accepts it when that
content's canonical JSON is the stored text (`_described`); anything else takes the path that
decodes the stored text (`_decoded_item`). Every row here, untouched or edited in the ways an
administrator could (a column, the canonical text with or without a recomputed id, key order,
whitespace, escapes, types a driver or the ORM could hand over), must get from both the same
verdict and the same content: equal values of the same types in the same key order.

And the large-scope read (`units.stream_item_rows`, JSON columns read as text on SQLite and
decoded there) gives the rows the column types' own processors give.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from hostile import unprotect
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update
from test_bulk_import import OCC, records, store

from qbank.bank import find_bank
from qbank.canonical import canonical_bytes, sha256_hex
from qbank.content import (
    ITEM_COLUMNS,
    ITEM_KEYS,
    ContentTampered,
    _decoded_item,
    _described,
    _item_of,
    verified_item_dict,
    verified_item_values,
)
from qbank.db import Database
from qbank.item_rows import ItemRow
from qbank.model import Item, ItemVersion, Signature
from qbank.overlap.fingerprints import TextUnit, tokenizer_info
from qbank.overlap.stored import read_signatures, text_keys
from qbank.overlap.units import _item_rows, current_item_rows, stream_item_rows
from qbank.policy import load_policy
from qbank.queries import current_item_contents

FIELDS = tuple(ITEM_COLUMNS)


class Text(str):
    """A str subclass (what an enum or an ORM attribute set in Python could hand over)."""


def _deep(value: Any) -> Any:
    """A value with its types and key order made visible, for exact comparison."""
    if isinstance(value, dict):
        return ("dict", type(value).__name__, [(_deep(k), _deep(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", type(value).__name__, [_deep(v) for v in value])
    return (type(value).__name__, repr(value))


def _same_outcome(columns: tuple[Any, ...], canonical: str, sha256: str) -> None:
    fast = _item_of(columns, canonical, sha256)
    slow = _decoded_item(columns, canonical, sha256)
    assert fast[1] == slow[1]
    assert _deep(fast[0]) == _deep(slow[0])


def _stored(content: dict[str, Any]) -> tuple[tuple[Any, ...], str, str]:
    """The columns, canonical text and id an import writes for `content`."""
    canonical = canonical_bytes(content).decode("utf-8")
    answer = content["answer"]
    values = {
        **content,
        "answer": ("true" if answer else "false")
        if answer in (True, False) and type(answer) is bool
        else answer,
    }
    return tuple(values[name] for name in FIELDS), canonical, sha256_hex(canonical.encode("utf-8"))


text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
number = st.one_of(
    st.none(),
    st.integers(-3, 3),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.sampled_from([0.1, 0.5, 1.0, -0.0, 1e16, 2.5e-7]),
)
contents = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["single", "multiple", "judgement"]),
        "stem": text,
        "options": st.dictionaries(st.sampled_from(list("ABCDEF")), text, max_size=5),
        "answer": st.one_of(
            st.booleans(), st.sampled_from(["A", "B", "AC", "true", "false"]), text
        ),
        "knowledge_code": st.one_of(st.none(), text),
        "knowledge_path": st.lists(text, max_size=3),
        "importance": st.one_of(st.none(), st.sampled_from(["X", "Y", "Z"])),
        "difficulty": number,
        "discrimination": number,
        "score": number,
        "explanation": st.one_of(st.none(), text),
        "source": st.one_of(st.none(), text),
        "author": st.one_of(st.none(), text),
    }
)


def _edits(
    columns: tuple[Any, ...], canonical: str, content: dict[str, Any]
) -> list[tuple[tuple[Any, ...], str, bool]]:
    """(columns, canonical, recompute the id) variants of a stored row."""
    out: list[tuple[tuple[Any, ...], str, bool]] = [(columns, canonical, False)]

    def column(name: str, value: Any) -> tuple[Any, ...]:
        values = list(columns)
        values[FIELDS.index(name)] = value
        return tuple(values)

    stem = columns[FIELDS.index("stem")]
    options = columns[FIELDS.index("options")]
    answer = columns[FIELDS.index("answer")]
    difficulty = columns[FIELDS.index("difficulty")]
    out += [
        (column("stem", stem + "（已篡改）"), canonical, False),
        (column("stem", Text(stem)), canonical, False),
        (column("type", Text(columns[0])), canonical, False),
        (column("options", dict(reversed(list(options.items())))), canonical, False),
        (column("options", {**options, "Z": "x"}), canonical, False),
        (column("options", {k: Text(v) for k, v in options.items()}), canonical, False),
        (column("options", {Text(k): v for k, v in options.items()}), canonical, False),
        (
            column("knowledge_path", tuple(columns[FIELDS.index("knowledge_path")])),
            canonical,
            False,
        ),
        (
            column("answer", answer == "true" if answer in ("true", "false") else True),
            canonical,
            False,
        ),
        (column("answer", 1), canonical, False),
        (column("difficulty", True), canonical, False),
        (
            column("difficulty", float(difficulty) if isinstance(difficulty, int) else 1),
            canonical,
            False,
        ),
        (column("difficulty", float("nan")), canonical, False),
        (column("score", [1.0]), canonical, False),
        (column("source", {"a": 1}), canonical, False),
        (columns, canonical + " ", True),
        (columns, canonical.replace(",", ", ", 1), True),
        (
            columns,
            json.dumps(content, sort_keys=True, separators=(",", ":")),
            True,
        ),  # ASCII escapes
        (
            columns,
            json.dumps(
                dict(reversed(list(content.items()))), ensure_ascii=False, separators=(",", ":")
            ),
            True,
        ),
        (columns, canonical.replace('"stem":', '"stem2":', 1), True),
        (columns, canonical[:-1] + ',"extra":1}', True),
    ]
    for wrong in (  # stored consistently, id and all, but not an item's shape
        {"answer": 1},
        {"answer": None},
        {"type": "unknown"},
        {"stem": 5},
        {"options": {"A": 1}},
        {"knowledge_path": ["a", 1]},
        {"knowledge_path": "a"},
    ):
        wrong_columns, wrong_canonical, _ = _stored({**content, **wrong})
        out.append((wrong_columns, wrong_canonical, True))
    edited = {**content, "stem": content["stem"] + "x"}
    out.append((column("stem", edited["stem"]), canonical_bytes(edited).decode("utf-8"), True))
    out.append((columns, canonical_bytes(edited).decode("utf-8"), False))
    if options:  # options unsorted in the canonical text itself, id recomputed
        unsorted = dict(reversed(list(options.items())))
        text = canonical.replace(
            json.dumps(options, ensure_ascii=False, separators=(",", ":"), sort_keys=True),
            json.dumps(unsorted, ensure_ascii=False, separators=(",", ":")),
        )
        out.append((column("options", unsorted), text, True))
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(contents)
def test_fast_and_decoding_paths_agree(content: dict[str, Any]) -> None:
    columns, canonical, sha = _stored(content)
    # an answer column of "true"/"false" is read as the bool only for a judgement item
    judgement, answer = content["type"] == "judgement", content["answer"]
    ambiguous = answer in ("true", "false") if judgement else type(answer) is bool
    assert _described(columns, canonical) is not None or ambiguous  # the fast path is tested
    for edited_columns, edited_canonical, rehash in _edits(columns, canonical, content):
        try:
            edited_sha = sha256_hex(edited_canonical.encode("utf-8")) if rehash else sha
        except UnicodeEncodeError:
            continue
        _same_outcome(edited_columns, edited_canonical, edited_sha)


def test_an_untouched_row_takes_the_fast_path_and_an_edit_is_named() -> None:
    content = {
        "type": "judgement",
        "stem": "电动机的额定功率是指轴上输出的机械功率",
        "options": {},
        "answer": True,
        "knowledge_code": "A-A-A-001",
        "knowledge_path": ["基础知识"],
        "importance": "X",
        "difficulty": 0.3,
        "discrimination": None,
        "score": 1.0,
        "explanation": None,
        "source": None,
        "author": "张三",
    }
    columns, canonical, sha = _stored(content)
    got = verified_item_values(1, "G1", sha, canonical, columns, "overlap")
    assert _deep(got) == _deep(json.loads(canonical))
    assert list(got) == sorted(ITEM_KEYS)
    edited = list(columns)
    edited[FIELDS.index("stem")] += "（已篡改）"
    with pytest.raises(ContentTampered) as raised:
        verified_item_values(1, "G1", sha, canonical, tuple(edited), "overlap")
    assert (raised.value.mismatch.code, raised.value.mismatch.detail) == ("content.field", "stem")
    assert raised.value.subject == "G1" and raised.value.version == sha


def test_the_content_is_not_the_columns_own_objects() -> None:
    """A caller changing the content it got changes nothing in the row it came from."""
    content = {
        "type": "single",
        "stem": "题干",
        "options": {"A": "甲", "B": "乙"},
        "answer": "A",
        "knowledge_code": None,
        "knowledge_path": ["一", "二"],
        "importance": None,
        "difficulty": None,
        "discrimination": None,
        "score": None,
        "explanation": None,
        "source": None,
        "author": None,
    }
    columns, canonical, sha = _stored(content)
    got = verified_item_values(1, None, sha, canonical, columns, "overlap")
    assert got["options"] is not columns[FIELDS.index("options")]
    assert got["knowledge_path"] is not columns[FIELDS.index("knowledge_path")]


def test_stream_item_rows_are_the_processed_rows(db: Database) -> None:
    """On SQLite the JSON columns are read as text and decoded by `stream_item_rows`; the rows
    equal (types included) those the column types' processors give, on both servers."""
    store(db, records(60))
    with db.transaction() as session:
        bank = find_bank(session, OCC, 4)
        streamed = list(stream_item_rows(session, bank))
        processed = list(_item_rows(session.connection().execute(current_item_contents(bank.id))))
        orm = {
            v.item_id: v
            for v in session.scalars(
                select(ItemVersion).join(Item, Item.current_version_id == ItemVersion.id)
            )
        }
    assert len(streamed) == 60
    assert [_deep(list(r)) for r in streamed] == [_deep(list(r)) for r in processed]
    assert all(isinstance(r, ItemRow) for r in streamed)
    for row in streamed:
        version = orm[row.item_id]
        assert _deep(verified_item_dict(row, guid=row.guid, consequence="overlap")) == _deep(
            verified_item_dict(version, guid=row.guid, consequence="overlap")
        )


@pytest.mark.parametrize("scan", [True, False])
def test_signatures_of_another_length_count_as_missing(db: Database, scan: bool) -> None:
    """The first row of a known length sets the scheme; a row of another length (edited, or
    of the other scheme) counts as missing; the others are read as stored. Both ways of
    reading: one scan of a table of about the scope's size, or lookups by key."""
    store(db, records(40))
    policy = load_policy()
    num_perm, seed = int(policy.num_perm.value), int(policy.seed.value)
    with db.transaction() as session:
        rows = current_item_rows(session, find_bank(session, OCC, 4))
        keys = text_keys([TextUnit(r.stem, tuple(r.options[k] for k in r.options)) for r in rows])
        tkey = tokenizer_info(None).key
        before = read_signatures(session, tkey, keys, num_perm=num_perm, seed=seed)
    assert before.missing == [] and before.rows.dtype == np.uint32
    stored = sorted(keys)
    edited = {stored[5]: b"\0" * (8 * num_perm), stored[9]: b"\1" * 7}
    with db.engine.begin() as conn:
        unprotect(conn, "minhash_signatures")
        for key, data in edited.items():
            conn.execute(update(Signature).where(Signature.text_sha256 == key).values(data=data))
    # lookups when the table holds over twice the keys asked (one unknown key among them)
    asked = keys if scan else [*edited, *keys[:8], "0" * 64]
    with db.transaction() as session:
        after = read_signatures(session, tkey, asked, num_perm=num_perm, seed=seed, columns=68)
    missing = [i for i, k in enumerate(asked) if k in edited or k not in keys]
    assert after.missing == missing
    assert {asked[i] for i in missing} == {*edited, *([] if scan else ["0" * 64])}
    for i, key in enumerate(asked):
        if i not in missing:
            assert np.array_equal(after.rows[i], before.rows[keys.index(key), :68])
    assert not after.rows[missing].any()


def test_report_bytes_of_a_usual_listing_are_the_canonical_json(db: Database) -> None:
    """A listing of int ids and str guids (what a bank's check lists) is written column by
    column; the bytes are `canonical_bytes(report.to_json())`, escapes included."""
    from dataclasses import replace

    from qbank.canonical import canonical_bytes
    from qbank.overlap.checks import check_theory
    from qbank.overlap.document import ListedItem
    from qbank.overlap.report import report_bytes

    store(db, records(30))
    with db.transaction() as session:
        report = check_theory(session, find_bank(session, OCC, 4), load_policy(), actor="t")
    odd = ['a"b\\c', "中文\n", "\u2028", "x/y", "\x00\x1f"]
    # several batches of the column-by-column writer
    items = tuple(
        ListedItem(k * 7919, f"{odd[k % len(odd)]}{k}", f"{k:064x}") for k in range(20000)
    )
    many = replace(report, items=items)
    assert report_bytes(many) == canonical_bytes(many.to_json())
    # one unusual item in a later batch: the item-by-item writer, the same bytes
    mixed = replace(report, items=(*items[:-1], ListedItem("file.xlsx:3", None, "f" * 64)))
    assert report_bytes(mixed) == canonical_bytes(mixed.to_json())
