"""`qbank bank list`: one set of statements for all banks, the same summaries as `bank show`,
and on a current SQLite file the same rows read through `sqlite3` without SQLAlchemy.

The summaries are compared on a bank with a deleted item, a deleted set, a superseded version
whose review no longer counts, approved, rejected and draft items and a tree, on SQLite and on
PostgreSQL (`db`).
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from filing_world import REVIEWER, SIGNERS
from sqlalchemy import select
from sqlalchemy.orm import Session
from test_queries import STEMS, _delete, _items, _sets
from test_review_filing import tree_for

from cli.main import cli
from qbank.bank import ensure_bank, list_banks, sqlite_statements, summarize
from qbank.bank_list import SQLITE_STATEMENTS, BankSummary, summaries
from qbank.db import Database, DatabaseBusy, open_database, read_current_sqlite
from qbank.items import import_items, list_items
from qbank.model import Bank, Occupation, PracticalSet, utcnow
from qbank.people import add_person, get_person, set_public_key
from qbank.records import ItemRecord, ItemType, Location
from qbank.review import APPROVED, REJECTED, Decision, review
from qbank.tree import import_tree

OCC = "6-31-01-03"


def _source(statements: dict[str, str]) -> str:
    """`SQLITE_STATEMENTS` as it is written in qbank/bank_list.py."""
    lines = ["SQLITE_STATEMENTS: dict[str, str] = {"]
    for name, sql in statements.items():
        lines.append(f"    {json.dumps(name)}: (")
        line = ""
        for part in re.split(r"(?<=\n)|(?<= )", sql):
            if line and len(line) + len(part) > 84:
                lines.append(f"        {json.dumps(line)}")
                line = ""
            line += part
        lines += [f"        {json.dumps(line)}", "    ),"]
    return "\n".join([*lines, "}"])


def test_the_stored_sqlite_text_is_the_compiled_statements() -> None:
    fresh = sqlite_statements()
    assert fresh == SQLITE_STATEMENTS, (
        "the listing's statements changed: replace SQLITE_STATEMENTS in qbank/bank_list.py "
        "with\n" + _source(fresh)
    )


def _review(session: Session, bank: Bank, decisions: list[Decision]) -> None:
    reviewer = get_person(session, REVIEWER)
    review(session, bank, reviewer, SIGNERS[REVIEWER], decisions, actor="t")


def _world(db: Database) -> None:
    """Three banks: a full one (tree, sets, reviews, deletions, a superseded version), one
    with items only, one empty; listed in the order code, then level from the highest number."""
    with db.transaction() as session:
        full = ensure_bank(session, OCC, 4, actor="t", occupation_name="电工")
        items = _items(session, full)
        codes = _sets(session, full)
        options = {"A": "甲", "B": "乙", "C": "丙", "D": "丁"}
        records = [
            ItemRecord(
                ItemType.SINGLE, f"第{n}题的正确选项是？", "A", Location("f", row=n), options
            )
            for n in range(2, 6)
        ]
        import_items(session, full, records, source="s.xlsx", actor="张老师")
        person = add_person(session, REVIEWER, ["reviewer"], actor="t")
        set_public_key(session, person, SIGNERS[REVIEWER].public_key_raw, actor="t")
        ensure_bank(session, OCC, 3, actor="t")
        ensure_bank(session, "6-31-01-02", 5, actor="t", occupation_name="钳工")
    with db.transaction() as session:
        full = ensure_bank(session, OCC, 4, actor="t")
        _review(session, full, [Decision(APPROVED, item_id=i) for i in items])
        _review(session, full, [Decision(APPROVED, set_code=codes[0])])
        singles = [v.id for v in list_items(session, full) if v.type == "single"]
        _review(session, full, [Decision(REJECTED, item_id=singles[0], comment="答案有误")])
        _review(session, full, [Decision(APPROVED, item_id=singles[1])])
    with db.transaction() as session:
        full = ensure_bank(session, OCC, 4, actor="t")
        changed = ItemRecord(ItemType.JUDGEMENT, STEMS[0], False, Location("f", row=2))
        import_items(session, full, [changed], source="g.xlsx", actor="张老师")  # a new version
        _delete(session, items[1])
        gone = session.scalars(select(PracticalSet).where(PracticalSet.code == codes[1])).one()
        gone.deleted_at = utcnow()
        other = ensure_bank(session, OCC, 3, actor="t")
        _items(session, other, STEMS[1:])
    with db.transaction() as session:
        full = ensure_bank(session, OCC, 4, actor="t")
        points = [
            ItemRecord(ItemType.JUDGEMENT, code, True, Location("t", row=n), knowledge_code=code)
            for n, code in enumerate(("A-A-A-001", "B-A-A-002", "B-A-B-003"), start=2)
        ]
        import_tree(session, full, tree_for(points), source="tree", actor="t")


def _expected(db: Database) -> list[BankSummary]:
    with db.transaction() as session:
        banks = session.scalars(
            select(Bank).join(Occupation).order_by(Occupation.code, Bank.level.desc())
        ).all()
        return [summarize(session, bank) for bank in banks]


def test_bank_list_is_bank_show_for_every_bank(db: Database) -> None:
    _world(db)
    expected = _expected(db)
    assert [(s.occupation, s.level) for s in expected] == [
        ("6-31-01-02", 5),
        (OCC, 4),
        (OCC, 3),
    ]
    full = expected[1]
    assert full.by_type == {"judgement": 2, "single": 4, "multiple": 0} and full.items == 6
    assert full.by_status == {"draft": 3, "approved": 2, "rejected": 1}
    assert list(full.by_status) == sorted(full.by_status)
    assert full.practical_sets == 1 and full.knowledge_points == 3
    assert expected[2].items == 2 and expected[2].knowledge_points == 0
    assert expected[0].items == 0 and expected[0].by_status == {}
    with db.transaction() as session:
        assert list_banks(session) == expected
    listed = CliRunner().invoke(cli, ["--db", db.url, "bank", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.output) == [s.as_dict() for s in expected]


def test_a_current_sqlite_file_is_read_without_sqlalchemy_the_same(tmp_path: Path) -> None:
    path = tmp_path / "库 一.db"
    database = open_database(str(path))
    try:
        _world(database)
        expected = _expected(database)
    finally:
        database.dispose()
    for named in (str(path), f"sqlite:///{path}"):
        rows = read_current_sqlite(named, SQLITE_STATEMENTS)
        assert rows is not None
        assert summaries(rows) == expected
    via_sqlalchemy = f"sqlite+pysqlite:///{path}"  # not a plain SQLite URL: the ordinary path
    assert read_current_sqlite(via_sqlalchemy, SQLITE_STATEMENTS) is None
    commands = [
        ["bank", "list"],
        ["bank", "list", "--json"],
        *(
            ["bank", "show", "--occupation", code, "--level", level, *more]
            for code, level in (
                (OCC, "4"),
                (f" {OCC} ", "3"),
                ("6-31-01-02", "5"),
                ("6-31-01-99", "4"),
                (OCC, "5"),
                ("631", "4"),
                (OCC, "9"),
            )
            for more in ((), ("--json",))
        ),
    ]
    fast, slow = (
        [CliRunner().invoke(cli, ["--db", named, *c]) for c in commands]
        for named in (str(path), via_sqlalchemy)
    )
    assert [(r.exit_code, r.output) for r in fast] == [(r.exit_code, r.output) for r in slow]
    assert [r.exit_code for r in fast] == [0] * 8 + [1] * 8
    assert "钳工" in fast[0].output and "4（四级）" in fast[2].output
    assert "没有职业 6-31-01-99 等级 4 的题库" in fast[8].output
    assert "格式不正确" in fast[12].output and "实际为 9" in fast[14].output


def test_anything_but_a_current_sqlite_file_takes_the_ordinary_path(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    assert read_current_sqlite(str(missing), SQLITE_STATEMENTS) is None
    assert not missing.exists()  # never created here: `bank list` creates it as before
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database" * 100)
    assert read_current_sqlite(str(junk), SQLITE_STATEMENTS) is None
    old = tmp_path / "old.db"
    open_database(str(old)).dispose()
    with sqlite3.connect(old) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'c1aa55c24fe0'")
    conn.close()
    assert read_current_sqlite(str(old), SQLITE_STATEMENTS) is None
    for url in ("postgresql+psycopg://nobody@127.0.0.1:1/none", "sqlite://", "sqlite:///:memory:"):
        assert read_current_sqlite(url, SQLITE_STATEMENTS) is None
    newer = tmp_path / "newer.db"
    open_database(str(newer)).dispose()
    with sqlite3.connect(newer) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'fffffffffff0'")
    conn.close()
    assert read_current_sqlite(str(newer), SQLITE_STATEMENTS) is None
    result = CliRunner().invoke(cli, ["--lang", "en", "--db", str(newer), "bank", "list"])
    assert result.exit_code != 0
    assert "has schema revision fffffffffff0, which this qbank does not know" in result.output


def test_a_writer_holding_the_file_past_the_timeout_is_busy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "q.db"
    open_database(str(path)).dispose()
    assert read_current_sqlite(str(path), SQLITE_STATEMENTS) == {
        "banks": [],
        "items": [],
        "sets": [],
        "points": [],
    }
    monkeypatch.setenv("QBANK_BUSY_TIMEOUT", "0.2")
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("BEGIN EXCLUSIVE")
        with pytest.raises(DatabaseBusy):
            read_current_sqlite(str(path), SQLITE_STATEMENTS)
        result = CliRunner().invoke(cli, ["--lang", "en", "--db", str(path), "bank", "list"])
        assert result.exit_code == 1 and "busy" in result.output.lower(), result.output
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_a_writer_that_has_not_committed_does_not_hold_up_the_listing(tmp_path: Path) -> None:
    """The listing reads a snapshot: an import in progress (its write lock taken, nothing
    committed) neither blocks it nor shows in it."""
    path = tmp_path / "q.db"
    database = open_database(str(path))
    try:
        with database.transaction() as session:
            ensure_bank(session, OCC, 4, actor="t", occupation_name="电工")
        with database.engine.connect() as conn:  # BEGIN IMMEDIATE: the write lock
            conn.exec_driver_sql(
                "INSERT INTO occupations (code, name, created_at) VALUES "
                "('6-31-01-02', '钳工', '2026-01-01')"
            )
            rows = read_current_sqlite(str(path), SQLITE_STATEMENTS)
            conn.rollback()
    finally:
        database.dispose()
    assert rows is not None and [r[1] for r in rows["banks"]] == [OCC]
