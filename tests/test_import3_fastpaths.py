"""The import's fast paths give what the plain computations give (#12, import3).

Text ids written without a JSON encoder per call equal canonical JSON's; the remembered
normalisations (types, difficulties, numbers, 鉴定点 codes, short cells) equal the computed
ones every time, errors included; rjieba's remembered dictionary entries are the parsed ones
and a damaged cache file is parsed again; an import on SQLite writes with the larger page
cache and leaves the connection's own setting as it found it; the bulk writer takes
single-parameter statements.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from sqlalchemy import bindparam, delete, select, text

from qbank import items as items_module
from qbank.bank import ensure_bank
from qbank.bulk import execute_many
from qbank.canonical import canonical_bytes, content_id
from qbank.db import open_database
from qbank.items import content_key, import_items
from qbank.model import Base, Item
from qbank.overlap.fingerprints import TextUnit
from qbank.records import ItemRecord, ItemType, Location
from qbank.text import normalize, scripts, tokens
from qbank.text.keys import texts_id, texts_json

CHARS = [
    *'电动机接地（ ）()"\\/\n\t\r\x00\x1f\x7f\u2028\u2029\ufeffＡ１ＢaZ09 ,.;:{}_^',
    "\U00020000",
    "é",
    "e\u0301",
]


def _text(rng: random.Random, most: int) -> str:
    return "".join(rng.choice(CHARS) for _ in range(rng.randint(0, most)))


def test_text_ids_are_canonical_json_ids() -> None:
    rng = random.Random(5)
    for _ in range(3000):
        options = [_text(rng, 6) for _ in range(rng.randint(0, 5))]
        parts = [_text(rng, 12), options if rng.random() < 0.5 else tuple(options)]
        if rng.random() < 0.3:
            parts.insert(0, rng.choice(["single", "judgement", "类型"]))
        assert texts_json(parts).encode("utf-8") == canonical_bytes(list(parts)), parts
        assert texts_id(parts) == content_id(list(parts))
    for odd in (["a", [None]], ["a", ("b", 1)], [None], ["a", {"k": "v"}], [1.5, ["x"]], []):
        assert texts_json(odd).encode("utf-8") == canonical_bytes(odd), odd


def test_text_keys_are_the_canonical_ids_of_their_texts() -> None:
    unit = TextUnit('电动机（ ）"引号"', ("A\\B", "\x01"))
    assert unit.key == content_id([unit.stem, list(unit.options)])
    folded = [normalize.fold_text(unit.stem), [normalize.fold_text(o) for o in unit.options]]
    assert unit.folded_key == content_id(folded)
    stem, options = "Ｕ_{2}的（ ）", {"B": "欧姆", "A": "伏特"}
    expected = content_id(
        [
            "single",
            normalize.fold_text(stem),
            [normalize.fold_text(v) for _, v in sorted(options.items())],
        ]
    )
    assert content_key("single", stem, options) == expected


CELLS = [
    "单选题", "判断", "（多选题）", "1、单项选择题", "不知道", "0.5", "50%", "3", "1.0", "6", "易",
    "较难", "abc", "", "  ", "２分", "20%", "B-A-C-012", "bac12", "B.A.C", "B-1-C", "X", "ｙ",
    None, 3.0, 2, 0.25,
]  # fmt: skip


def _outcome(function: object, value: object) -> object:
    try:
        return ("value", function(value))  # type: ignore[operator]
    except ValueError as error:
        return ("error", str(error))


@pytest.mark.parametrize(
    ("remembered", "computed"),
    [
        (
            normalize.parse_item_type,
            lambda v: normalize._item_type.__wrapped__(normalize.fold_text(v)),
        ),
        (
            normalize.parse_difficulty,
            lambda v: normalize._difficulty.__wrapped__(normalize.fold_text(v)),
        ),
        (normalize.parse_number, lambda v: normalize._number.__wrapped__(normalize.fold_text(v))),
        (
            normalize.canonical_knowledge_code,
            lambda v: normalize._knowledge_code.__wrapped__(normalize.fold_text(v)),
        ),
        (normalize.clean_text, normalize._clean),
    ],
)
def test_remembered_normalisations_equal_the_computed_ones(
    remembered: object, computed: object
) -> None:
    for _ in range(2):  # the second round from the caches
        for value in CELLS:
            assert _outcome(remembered, value) == _outcome(computed, value), repr(value)


def test_remembered_answers_are_as_before() -> None:
    assert normalize.parse_difficulty("较难") == 0.7
    assert normalize.parse_difficulty("3") == 0.5
    assert normalize.parse_item_type("多选题（必选）") is ItemType.MULTIPLE
    assert normalize.canonical_knowledge_code("bac12") == "B-A-C-012"
    for _ in range(2):
        with pytest.raises(ValueError, match="abc"):
            normalize.parse_difficulty("abc")
        with pytest.raises(ValueError):
            normalize.parse_number("两分")
    long_text = "电动机（ ）, 接地" * 10  # longer than the remembered cells
    assert normalize.clean_text(long_text) == normalize._clean(long_text)


def test_markup_check_without_braces_is_none_and_with_them_as_before() -> None:
    assert scripts.check("U2 与 I_2 无标记") is None
    assert scripts.check("U_{2") == "_{2"
    assert scripts.check("U_{2} 与 I^{3}") is None


def test_rjieba_entries_are_remembered_as_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tokens, "_cache_dir", lambda: str(tmp_path))
    dictionary = tmp_path / "dict.txt"
    dictionary.write_text("电动机 30 n\n接地 5\n电动机 10 n\n零 0\n", encoding="utf-8")
    parsed = tokens._entries(dictionary)
    # the last line of a word wins, a zero word is left out, the earlier line adds to the total
    assert parsed == (["电动机", "接地", tokens._TOTAL_FILLER], [10, 5, 30])
    assert tokens._remembered_entries(dictionary, "ab" * 32) == parsed
    [cache] = tmp_path.glob("qbank-rjieba-*.marshal")
    assert tokens._remembered_entries(dictionary, "ab" * 32) == parsed  # read back
    cache.write_bytes(b"\x00 not marshal")
    assert tokens._remembered_entries(dictionary, "ab" * 32) == parsed  # parsed again
    cache.write_bytes(__import__("marshal").dumps((["a"], ["b"])))
    assert tokens._remembered_entries(dictionary, "ab" * 32) == parsed  # wrong types refused
    cache.write_bytes(__import__("marshal").dumps((["接地"], [1])))
    cache.chmod(0o666)  # a file others may write is never read back
    assert tokens._remembered_entries(dictionary, "ab" * 32) == parsed
    cache.chmod(0o644)
    tmp_path.chmod(0o1777)  # nor anything in a shared folder (the temp fallback)
    assert tokens._remembered_entries(dictionary, "ab" * 32) == parsed
    tmp_path.chmod(0o755)
    other = tmp_path / "other.txt"
    other.write_text("接地 7\n", encoding="utf-8")
    assert tokens._remembered_entries(other, "cd" * 32) == (["接地"], [7])  # keyed by hash


def test_tokens_with_a_remembered_dictionary_are_the_reference_cuts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("rjieba")
    monkeypatch.setattr(tokens, "_cache_dir", lambda: str(tmp_path))
    texts = ["三相异步电动机的额定电压为380V（ ）", "接地电阻应不大于4Ω", "Ｕ_{2}与变压器变比"]
    reference = tokens.Tokenizer(engine="jieba")
    for _ in range(2):  # the dictionary parsed, then read back from the cache
        fast = tokens.Tokenizer(engine="rjieba")
        assert [fast.tokens(t) for t in texts] == [reference.tokens(t) for t in texts]
    assert list(tmp_path.glob("qbank-rjieba-*.marshal"))


def _records(n: int) -> list[ItemRecord]:
    return [
        ItemRecord(
            ItemType.SINGLE,
            f"第{i}题：电动机的接地电阻应为（ ）。",
            "A",
            Location("bank.csv", row=i + 2),
            options={"A": f"{i}Ω", "B": f"{i + 1}Ω"},
        )
        for i in range(n)
    ]


def test_sqlite_import_writes_with_a_larger_cache_and_restores_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'q.db'}")
    seen: list[int] = []
    store = items_module._store_all

    def watched(session, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(session.connection().exec_driver_sql("PRAGMA cache_size").scalar())
        return store(session, *args, **kwargs)

    monkeypatch.setattr(items_module, "_store_all", watched)
    try:
        with db.transaction() as session:
            session.connection().exec_driver_sql("PRAGMA cache_size=-3000")
            bank = ensure_bank(session, "6-31-01-03", 4, actor="t", occupation_name="电工")
            summary = import_items(session, bank, _records(40), source="bank.csv", actor="t")
            after = session.connection().exec_driver_sql("PRAGMA cache_size").scalar()
            assert summary.new_items == 40
            assert session.scalar(select(text("count(*)")).select_from(Item)) == 40
        assert seen == [-items_module._WRITE_CACHE_KIB]
        assert after == -3000
    finally:
        db.dispose()


def test_bulk_statement_with_one_parameter(tmp_path: Path) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'q.db'}")
    keys = Base.metadata.tables["item_content_keys"]
    try:
        with db.transaction() as session:
            bank = ensure_bank(session, "6-31-01-03", 4, actor="t", occupation_name="电工")
            import_items(session, bank, _records(5), source="bank.csv", actor="t")
            ids = session.scalars(select(keys.c.item_id).order_by(keys.c.item_id)).all()
            execute_many(
                session,
                delete(keys).where(keys.c.item_id == bindparam("item")),
                [{"item": ids[0]}, {"item": ids[2]}],
            )
            left = session.scalars(select(keys.c.item_id).order_by(keys.c.item_id)).all()
            session.rollback()
        assert left == [ids[1], ids[3], ids[4]]
    finally:
        db.dispose()


def test_an_import_cache_grows_with_the_database_it_writes() -> None:
    """At least 32 MiB; about 30% of the database once the import is in; at most 1 GiB and
    an eighth of the machine's memory."""
    size = items_module.write_cache_kib
    gib = 1024**3
    assert size(0, 40, 16 * gib) == 32 * 1024
    assert size(0, 55_000, 16 * gib) == int(0.3 * 55_000 * 3200) // 1024  # about 50 MiB
    assert size(0, 1_000_000, 16 * gib) == int(0.3 * 1_000_000 * 3200) // 1024  # 0.9 GiB
    assert size(0, 2_000_000, 16 * gib) == 1024 * 1024
    assert size(2 * gib, 1_000, 16 * gib) > size(0, 1_000, 16 * gib)  # writes into a large file
    assert size(0, 1_000_000, 2 * gib) == 256 * 1024
    assert size(0, 2_000_000, None) == 1024 * 1024
    assert size(0, 1_000_000, 64 * 1024**2) == 32 * 1024
