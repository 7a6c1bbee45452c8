"""The import's hot path made cheap without changing a result: clean_text's fast paths against
the rules as first written, the tokenizer's remembered verdicts, the audit append's stored
details, and driver-level bulk inserts storing what Core stores."""

from __future__ import annotations

import dataclasses
import random
import re
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import bindparam, insert, text, update

from qbank import audit
from qbank.bulk import execute_many, insert_many
from qbank.db import open_database
from qbank.model import Base
from qbank.records import Location
from qbank.text import normalize
from qbank.text.normalize import clean_text, fold_text
from qbank.text.scripts import plain
from qbank.text.tokens import _is_noise, default_tokenizer

_WS = re.compile(r"[\s\u3000\u00a0\u200b\ufeff]+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_TO_FULL = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！"}
_PUNCT = re.compile(r"(\d?)\s*([,;:?!])\s*(\d?)")


def reference_clean(value: object) -> str:
    """clean_text as it was written before the fast paths: every rule, always."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    s = str(value)
    if s.isascii():
        return _WS.sub(" ", s).strip()
    s = unicodedata.normalize("NFC", s).translate(normalize._WIDTH_STORED)
    s = _WS.sub(" ", s).strip()
    if not s or not _CJK.search(s):
        return s

    def full(m: re.Match[str]) -> str:
        before, mark, after = m.groups()
        return m.group(0) if before and after else f"{before}{_TO_FULL[mark]}{after}"

    s = _PUNCT.sub(full, s)
    s = s.replace("(", "（").replace(")", "）")
    s = re.sub(r"\s*（\s*", lambda m: "（" if not m.group(0).endswith(" ") else "（ ", s)
    return re.sub(r"\s*）", lambda m: "）" if not m.group(0).startswith(" ") else " ）", s)


PIECES = [
    "电动机", "接地", "（ ）", "( )", "(", ")", "（", "）", " ", "\u3000", "\u00a0", "\u200b",
    "1,000", "30:2", ",", ";", ":", "?", "!", "，", "Ａ１", "＋", "％", "Ⅱ", "℃", "U_{2}", "e\u0301",
    "abc", "\t", "\n", "㎡", "①", "～",
]  # fmt: skip


def generated_texts(n: int = 4000) -> list[object]:
    rng = random.Random(12)
    texts: list[object] = ["", None, 3.0, 2.5, 7, "  ", "全角（Ａ）"]
    for _ in range(n):
        texts.append("".join(rng.choice(PIECES) for _ in range(rng.randint(1, 9))))
    return texts


def test_clean_text_is_the_rules_as_written() -> None:
    for value in generated_texts():
        assert clean_text(value) == reference_clean(value), repr(value)


# Characters where the width and bracket rules meet: every full-width form (the ones stored
# text keeps and the ones it folds), both brackets in both widths, every kind of space.
_EDGE = "".join(chr(c) for c in range(0xFF01, 0xFF5F)) + "()（） \t\n\u3000\u00a0\u200b电a1,:"


@settings(max_examples=600, deadline=None)
@given(st.text(alphabet=_EDGE, max_size=24))
def test_clean_text_is_the_rules_as_written_at_the_edges(value: str) -> None:
    assert clean_text(value) == reference_clean(value)


@pytest.mark.parametrize(
    "where",
    [
        Location("题库.xlsx", sheet="试题"),
        Location("题库.csv"),
        Location("题库.docx", table=2, column=3),
        Location("题库.docx", paragraph=7, row=1),
    ],
)
def test_location_at_row_is_replace(where: Location) -> None:
    assert where.at_row(12) == dataclasses.replace(where, row=12)


def test_fold_text_remembered_or_not_is_the_same() -> None:
    for value in generated_texts(1500):
        expected = unicodedata.normalize("NFKC", plain(reference_clean(value))).casefold()
        assert fold_text(value) == expected, repr(value)
        assert fold_text(value) == expected  # the second time from the cache


def test_tokens_with_remembered_verdicts_are_the_plain_filter() -> None:
    tok = default_tokenizer()
    stop = tok.stopwords
    texts = [str(t) for t in generated_texts(600) if t] + ["下列说法正确的是（ ）。"] * 3
    for _ in range(2):  # the second round from the remembered verdicts
        for value in texts:
            folded = fold_text(value)
            cut = tok.cut(folded) if folded else []
            expected = sorted({w for w in cut if w not in stop and not _is_noise(w)})
            assert tok.tokens(value) == expected, value


@pytest.mark.parametrize(
    "detail",
    [
        {"version": "ab", "seq": 2, "file": "a.xlsx", "none": None, "flag": True},
        {"pair": ("a", "b"), "n": 1},
        {"score": 1.5},
        {"nested": {"x": [1, 2]}},
    ],
)
def test_audit_details_stored_as_they_read_back(detail: dict[str, object]) -> None:
    import json

    from qbank.canonical import canonical_bytes

    assert audit._as_stored(detail) == json.loads(canonical_bytes(detail))


def test_bulk_statements_store_what_core_stores(tmp_path: Path) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'q.db'}")
    tokens = Base.metadata.tables["token_sets"]
    tokenizers = Base.metadata.tables["tokenizers"]
    at = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    try:
        with db.transaction() as session:
            session.execute(insert(tokenizers), [{"key": "k", "identity": {"名": "值"}}])
            session.execute(
                insert(tokens), [{"text_sha256": "a", "tokenizer": "k", "tokens": ["电", "机"]}]
            )
            insert_many(
                session, tokens, [{"text_sha256": "b", "tokenizer": "k", "tokens": ["电", "机"]}]
            )
            session.execute(insert(tokenizers), [{"key": "c", "identity": {}, "created_at": at}])
            insert_many(session, tokenizers, [{"key": "d", "identity": {}, "created_at": at}])
            insert_many(session, tokenizers, [{"key": "e", "identity": {}}])  # default filled
            stored = session.execute(
                text("SELECT tokens FROM token_sets ORDER BY text_sha256")
            ).all()
            times = session.execute(
                text("SELECT created_at FROM tokenizers WHERE key IN ('c', 'd') ORDER BY key")
            ).all()
            filled = session.execute(
                text("SELECT created_at FROM tokenizers WHERE key = 'e'")
            ).scalar()
            items = Base.metadata.tables["items"]
            pointer = (
                update(items)
                .where(items.c.id == bindparam("item"))
                .values(current_version_id=bindparam("version"))
            )
            with pytest.raises(ValueError, match="version"):
                execute_many(session, pointer, [{"item": 1}])
        assert stored[0] == stored[1]
        assert times[0] == times[1]
        assert filled is not None
    finally:
        db.dispose()
