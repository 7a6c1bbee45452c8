"""The item store: versions, identity across files, all-or-nothing imports, audit trail.

Each test runs on a SQLite file and on the PostgreSQL server (when configured).
"""

from __future__ import annotations

import dataclasses
import hashlib

import pytest
from sqlalchemy import func, select

from qbank import audit
from qbank.bank import ensure_bank, find_bank, summarize
from qbank.canonical import canonical_bytes
from qbank.db import Database
from qbank.errors import ImportRejected, InvalidInput, NotFound
from qbank.items import ItemsRejected, import_items, item_versions, list_items
from qbank.model import Base
from qbank.practical import import_practical, list_sets
from qbank.records import (
    Importance,
    ItemRecord,
    ItemType,
    Location,
    PracticalSetRecord,
    PracticalTask,
    Problem,
    RubricRow,
    TreeNode,
)
from qbank.tree import import_tree

OCC = "6-31-01-03"


def loc(row: int) -> Location:
    return Location("bank.xlsx", sheet="Sheet1", row=row)


def single(row: int, stem: str, answer: str = "B", **kw: object) -> ItemRecord:
    options = {"A": "短路", "B": "过载", "C": "失压", "D": "欠压"}
    return ItemRecord(ItemType.SINGLE, stem, answer, loc(row), options=options, **kw)  # type: ignore[arg-type]


def judgement(row: int, stem: str, answer: bool, **kw: object) -> ItemRecord:
    return ItemRecord(ItemType.JUDGEMENT, stem, answer, loc(row), **kw)  # type: ignore[arg-type]


RECORDS = [
    judgement(2, "电气设备的金属外壳必须可靠接地或接零。", True),
    single(3, "热继电器在电动机控制电路中主要用作（ ）保护。", "B", knowledge_code="B-A-A-001"),
    ItemRecord(
        ItemType.MULTIPLE,
        "下列属于主令电器的有（ ）。",
        "ACD",
        loc(4),
        options={"A": "按钮", "B": "接触器", "C": "行程开关", "D": "万能转换开关"},
        difficulty=0.5,
    ),
]


def row_counts(db: Database) -> dict[str, int]:
    with db.transaction() as session:
        return {
            t.name: session.scalar(select(func.count()).select_from(t)) or 0
            for t in Base.metadata.sorted_tables
        }


def store(db: Database, records: list[ItemRecord], **kw: object):  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        bank = ensure_bank(session, OCC, 4, actor="tester", occupation_name="电工")
        return import_items(session, bank, records, source="bank.xlsx", actor="tester", **kw)  # type: ignore[arg-type]


def items(db: Database):  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        return list_items(session, find_bank(session, OCC, 4))


def test_import_counts_and_lists_in_order(db: Database) -> None:
    summary = store(db, RECORDS)
    assert (summary.imported, summary.unchanged, summary.rejected) == (3, 0, 0)
    assert summary.by_type == {"judgement": 1, "single": 1, "multiple": 1}
    views = items(db)
    assert [v.type for v in views] == ["judgement", "single", "multiple"]
    assert [v.answer for v in views] == [True, "B", "ACD"]
    assert views[1].knowledge_point == "B-A-A-001"
    assert all(v.status == "draft" for v in views)


def test_version_id_is_sha256_of_canonical_content(db: Database) -> None:
    store(db, RECORDS[:1])
    view = items(db)[0]
    with db.transaction() as session:
        version = item_versions(session, view.id)[0]
    assert version.sha256 == hashlib.sha256(version.canonical.encode("utf-8")).hexdigest()
    assert version.canonical.encode() == canonical_bytes(
        {
            "type": "judgement",
            "stem": RECORDS[0].stem,
            "options": {},
            "answer": True,
            "knowledge_code": None,
            "knowledge_path": [],
            "importance": None,
            "difficulty": None,
            "discrimination": None,
            "score": None,
            "explanation": None,
            "source": None,
            "author": None,
        }
    )


def test_identical_reimport_makes_no_version(db: Database) -> None:
    store(db, RECORDS)
    before = row_counts(db)
    summary = store(db, RECORDS)
    assert (summary.imported, summary.unchanged) == (0, 3)
    after = row_counts(db)
    assert after["item_versions"] == before["item_versions"]
    assert after["items"] == before["items"]


def test_changed_content_makes_new_version_and_keeps_old(db: Database) -> None:
    store(db, RECORDS)
    edited = dataclasses.replace(RECORDS[1], answer="A", explanation="改了答案")
    summary = store(db, [edited])
    assert (summary.imported, summary.new_versions, summary.new_items) == (1, 1, 0)
    view = next(v for v in items(db) if v.type == "single")
    assert view.answer == "A" and view.seq == 2
    with db.transaction() as session:
        versions = item_versions(session, view.id)
    assert [v.answer for v in versions] == ["B", "A"]
    assert versions[0].sha256 != versions[1].sha256


def test_guid_identifies_item_across_stem_edits(db: Database) -> None:
    store(db, [dataclasses.replace(RECORDS[0], guid="G-1")])
    store(db, [dataclasses.replace(RECORDS[0], guid="G-1", stem="电气设备外壳应可靠接地。")])
    views = items(db)
    assert len(views) == 1
    assert views[0].guid == "G-1" and views[0].seq == 2


def test_same_item_twice_in_one_file_rejects_file(db: Database) -> None:
    dup = dataclasses.replace(RECORDS[1], location=loc(9))
    with pytest.raises(ItemsRejected) as err:
        store(db, [*RECORDS, dup])
    [problem] = err.value.summary.problems
    assert problem.location.row == 9 and problem.field == "stem"
    assert "第 3 行" in problem.message


def test_failed_import_leaves_database_unchanged(db: Database) -> None:
    store(db, RECORDS)
    before = row_counts(db)
    bad = Problem(loc(7), "answer", "problem.missing")
    changed = dataclasses.replace(RECORDS[0], answer=False)
    with pytest.raises(ItemsRejected) as err:
        store(db, [changed], parse_problems=[bad])
    assert err.value.summary.rejected == 1
    assert row_counts(db) == before


def test_dry_run_writes_nothing(db: Database) -> None:
    store(db, [])
    before = row_counts(db)
    summary = store(db, RECORDS, dry_run=True)
    assert summary.imported == 3 and summary.dry_run
    assert row_counts(db) == before


TREE = [
    TreeNode("A", "基本要求", loc(2), weight=25),
    TreeNode("B", "相关知识", loc(3), weight=75),
    TreeNode("B-A", "继电控制电路装调维修", loc(4), parent="B", weight=75),
    TreeNode("B-A-A", "常用低压电器", loc(5), parent="B-A", weight=75),
    TreeNode("B-A-A-001", "热继电器", loc(6), parent="B-A-A", importance=Importance.X),
]


def test_knowledge_point_outside_tree_rejected(db: Database) -> None:
    with db.transaction() as session:
        bank = ensure_bank(session, OCC, 4, actor="tester")
        import_tree(session, bank, TREE, source="tree.xlsx", actor="tester")
    stray = single(5, "交流接触器的短路环用于（ ）。", "A", knowledge_code="B-A-A-002")
    with pytest.raises(ItemsRejected) as err:
        store(db, [RECORDS[1], stray])
    [problem] = err.value.summary.problems
    assert (problem.location.row, problem.field) == (5, "knowledge_point")
    assert "B-A-A-002" in problem.message


def test_tree_reimport_identical_is_unchanged(db: Database) -> None:
    with db.transaction() as session:
        bank = ensure_bank(session, OCC, 4, actor="tester")
        first = import_tree(session, bank, TREE, source="tree.xlsx", actor="tester")
        again = import_tree(session, bank, TREE, source="tree.xlsx", actor="tester")
        assert (first.points, first.ranges, first.unchanged, again.unchanged) == (1, 4, False, True)
        assert summarize(session, bank).knowledge_points == 1


def practical_set(code: str, score: float = 100) -> PracticalSetRecord:
    task = PracticalTask(
        "1",
        "电动机正反转控制电路安装",
        "按图接线并通电试车。",
        score,
        120,
        "B-A",
        rubric=(
            RubricRow("元件安装", score, "每处错误扣2分"),
            RubricRow("安全文明生产", 0, "发生短路该题记0分", veto=True),
        ),
    )
    return PracticalSetRecord(code, f"电工四级操作技能试卷 {code}", loc(1), tasks=(task,))


def test_practical_sets_version_like_items(db: Database) -> None:
    with db.transaction() as session:
        bank = ensure_bank(session, OCC, 4, actor="tester")
        s1 = import_practical(
            session,
            bank,
            [practical_set("S1"), practical_set("S2")],
            source="sets.yaml",
            actor="tester",
        )
        s2 = import_practical(
            session, bank, [practical_set("S1")], source="sets.yaml", actor="tester"
        )
        edited = dataclasses.replace(practical_set("S1"), title="改过的标题")
        s3 = import_practical(session, bank, [edited], source="sets.yaml", actor="tester")
        assert (s1.imported, s2.unchanged, s3.imported) == (2, 1, 1)
        sets = list_sets(session, bank)
        assert [(v.title, v.seq) for v in sets] == [
            ("改过的标题", 2),
            ("电工四级操作技能试卷 S2", 1),
        ]
        assert sets[0].tasks[0].rubric[1].veto is True


def test_practical_with_problems_rejected(db: Database) -> None:
    before = row_counts(db)
    with pytest.raises(ImportRejected), db.transaction() as session:
        bank = ensure_bank(session, OCC, 4, actor="tester")
        import_practical(
            session,
            bank,
            [practical_set("S1")],
            source="x.yaml",
            actor="tester",
            parse_problems=[Problem(loc(3), "score", "problem.missing")],
        )
    assert row_counts(db) == before


def test_audit_answers_who_did_what_to_an_item(db: Database) -> None:
    store(db, RECORDS)
    store(db, [dataclasses.replace(RECORDS[1], answer="C")])
    item_id = next(v.id for v in items(db) if v.type == "single")
    with db.transaction() as session:
        events = audit.history(session, "item", item_id)
    assert [(e.actor, e.action) for e in events] == [
        ("tester", "create"),
        ("tester", "new_version"),
    ]
    assert events[0].detail["file"] == "bank.xlsx"


@pytest.mark.parametrize("code", ["6-31-01", "63101-03", "6-31-01-03-2", "电工"])
def test_bad_occupation_code(db: Database, code: str) -> None:
    with db.transaction() as session, pytest.raises(InvalidInput):
        ensure_bank(session, code, 4, actor="tester")


def test_bad_level_and_missing_bank(db: Database) -> None:
    with db.transaction() as session:
        with pytest.raises(InvalidInput):
            ensure_bank(session, OCC, 6, actor="tester")
        with pytest.raises(NotFound) as err:
            find_bank(session, OCC, 3)
    assert "6-31-01-03" in str(err.value)
