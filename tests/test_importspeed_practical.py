"""Practical-set imports write with bulk statements: the same versions, rows, pointers and
audit chain as one-by-one storing gave, in a number of statements that does not grow with the
number of sets. On SQLite and PostgreSQL (when configured)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from qbank import audit
from qbank.bank import ensure_bank
from qbank.db import Database
from qbank.model import AuditEvent, PracticalSet
from qbank.practical import import_practical, list_sets, set_content, set_views
from qbank.records import (
    Location,
    PracticalSetRecord,
    PracticalTask,
    PrepRow,
    RubricRow,
)

OCC = "6-31-01-03"


def practical_set(code: str, tasks: int = 2) -> PracticalSetRecord:
    return PracticalSetRecord(
        code,
        f"电工四级操作技能试卷 {code}",
        Location("sets.yaml", row=1),
        total_minutes=120,
        venue_prep=(PrepRow("万用表", category="仪表", quantity="1"), PrepRow("绝缘手套")),
        candidate_prep=(PrepRow("电工刀"),),
        tasks=tuple(
            PracticalTask(
                f"{k + 1}",
                f"{code} 第{k + 1}题 三相异步电动机正反转控制线路安装",
                f"按图安装 {code}-{k}，通电试车一次成功",
                100 / tasks,
                60,
                "B-A",
                rubric=(
                    RubricRow("元件安装", 100 / tasks, "每处错误扣2分"),
                    RubricRow("安全文明生产", 0, "发生短路该题记0分", veto=True),
                ),
            )
            for k in range(tasks)
        ),
    )


@contextmanager
def counted(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def store(db: Database, records: list[PracticalSetRecord], source: str = "sets.yaml") -> object:
    with db.transaction() as session:
        bank = ensure_bank(session, OCC, 4, actor="tester", occupation_name="电工")
        return import_practical(session, bank, records, source=source, actor="tester")


def test_stored_sets_read_back_as_imported(db: Database) -> None:
    records = [practical_set(f"S{k}", tasks=1 + k % 3) for k in range(6)]
    store(db, records)
    with db.transaction() as session:
        bank = ensure_bank(session, OCC, 4, actor="tester")
        views = {v.code: v for v in set_views(session, bank)}
        versions = {v.title: v for v in list_sets(session, bank)}
    for record in records:
        # the rows (prep lists, tasks, rubric, in order) re-derive the version id
        assert views[record.code].content == set_content(record)
        assert views[record.code].seq == 1
        version = versions[record.title]
        assert [t.number for t in version.tasks] == [t.number for t in record.tasks]
        assert [r.veto for r in version.tasks[0].rubric] == [False, True]


def test_new_versions_reverts_and_a_code_given_twice(db: Database) -> None:
    first = practical_set("S1")
    edited = dataclasses.replace(first, title="改过的标题")
    store(db, [first, practical_set("S2")])
    summary = store(db, [edited, practical_set("S2")])
    assert (summary.imported, summary.unchanged) == (1, 1)  # type: ignore[attr-defined]
    # back to the first content (a revert), then edited again, in one call: stored in order
    summary = store(db, [first, edited])
    assert (summary.imported, summary.unchanged) == (2, 0)  # type: ignore[attr-defined]
    with db.transaction() as session:
        bank = ensure_bank(session, OCC, 4, actor="tester")
        view = next(v for v in set_views(session, bank) if v.code == "S1")
        assert (view.content["title"], view.seq) == ("改过的标题", 2)
        actions = [
            (e.action, e.detail.get("code"))
            for e in session.scalars(
                select(AuditEvent)
                .where(AuditEvent.entity == "practical_set")
                .order_by(AuditEvent.id)
            )
        ]
        assert actions == [
            ("create", "S1"),
            ("create", "S2"),
            ("new_version", "S1"),
            ("revert", None),
            ("revert", None),
        ]
        assert audit.verify_chain(session) == []


def test_statements_do_not_grow_with_the_sets(db: Database) -> None:
    store(db, [practical_set("S0")], source="warm.yaml")  # the tokenizer row, the bank
    with counted(db.engine) as few:
        store(db, [practical_set(f"A{k}") for k in range(2)])
    with counted(db.engine) as many:
        store(db, [practical_set(f"B{k}") for k in range(40)])
    assert len(many) == len(few)


def test_loaded_sets_see_their_new_pointer(db: Database) -> None:
    store(db, [practical_set("S1")])
    with db.transaction() as session:
        bank = ensure_bank(session, OCC, 4, actor="tester")
        loaded = session.scalars(select(PracticalSet)).one()
        before = loaded.current_version_id
        edited = dataclasses.replace(practical_set("S1"), title="改过的标题")
        import_practical(session, bank, [edited], source="e.yaml", actor="tester")
        assert loaded.current_version_id != before
