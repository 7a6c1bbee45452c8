"""qbank.queries: the shared statements, the deletion filter in one place, and no copies.

Each statement runs on SQLite and PostgreSQL (`db`); the flows that read current items are
checked through the public API and the CLI with a logically deleted item in the bank.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from cli.main import cli
from importers.practical import read_practical_data
from importers.table_items import read_items_table
from qbank.assembly.filed import filed_sets
from qbank.bank import ensure_bank, summarize
from qbank.db import Database
from qbank.errors import NotFound
from qbank.filing import file_bank, filed_item_versions
from qbank.items import get_item, import_items, list_items
from qbank.model import (
    Bank,
    Filing,
    FilingEntry,
    Item,
    ItemVersion,
    PracticalSet,
    PracticalSetVersion,
    utcnow,
)
from qbank.people import add_person, get_person, set_public_key
from qbank.policy import load_policy
from qbank.practical import import_practical, list_sets
from qbank.queries import (
    bank_filings,
    current_items,
    current_sets,
    filing_items,
    filing_sets,
    item_versions_with_guid,
    latest_filing,
    live_people,
    set_versions_with_code,
)
from qbank.records import ItemRecord, ItemType, Location
from qbank.retention import delete_item
from qbank.review import APPROVED, Decision, ReviewRejected, all_pending, review, status
from qbank.tree import import_tree

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "electrician-4"
OCC = "6-31-01-03"
STEMS = (
    "电气设备的金属外壳必须可靠接地。",
    "熔断器主要用作电动机的过载保护。",
    "万用表可以测量电阻。",
)


def _items(session: Session, bank: Bank, stems: tuple[str, ...] = STEMS) -> list[int]:
    records = [
        ItemRecord(ItemType.JUDGEMENT, stem, True, Location("f", row=n))
        for n, stem in enumerate(stems, start=2)
    ]
    import_items(session, bank, records, source="f.xlsx", actor="tester")
    return [v.id for v in list_items(session, bank)]


def _sets(session: Session, bank: Bank, count: int = 2) -> list[str]:
    for path in sorted((SAMPLES / "practical").glob("*.yaml"))[:count]:
        records = read_practical_data(path).records
        import_practical(session, bank, records, source=path.name, actor="tester")
    return list(session.scalars(select(PracticalSet.code).where(PracticalSet.bank_id == bank.id)))


def _delete(session: Session, item_id: int) -> None:
    delete_item(session, item_id, reason="重复", actor="tester", policy=load_policy())


# --- the statements -----------------------------------------------------------------------


def test_current_items_leave_out_deleted_items_unless_asked(db: Database) -> None:
    with db.transaction() as session:
        bank = ensure_bank(session, OCC, 4, actor="tester")
        other = ensure_bank(session, OCC, 3, actor="tester")
        first, second, third = _items(session, bank)
        _items(session, other, STEMS[:1])
        _delete(session, second)
    with db.transaction() as session:
        bank = ensure_bank(session, OCC, 4, actor="tester")
        live = session.execute(current_items(bank.id).order_by(Item.id)).all()
        assert [item.id for item, _ in live] == [first, third]
        assert all(version.id == item.current_version_id for item, version in live)
        everything = session.execute(current_items(bank.id, include_deleted=True)).all()
        assert sorted(item.id for item, _ in everything) == [first, second, third]
        picked = session.execute(current_items(item_ids=[second, third])).all()
        assert [item.id for item, _ in picked] == [third]
        assert session.execute(current_items(item_ids=[second])).first() is None
        assert len(session.execute(current_items()).all()) == 3  # both banks, live only


def test_current_sets_leave_out_deleted_sets_unless_asked(db: Database) -> None:
    with db.transaction() as session:
        bank = ensure_bank(session, OCC, 4, actor="tester")
        first, second = _sets(session, bank)
        gone = session.scalars(select(PracticalSet).where(PracticalSet.code == second)).one()
        gone.deleted_at = utcnow()
    with db.transaction() as session:
        bank = ensure_bank(session, OCC, 4, actor="tester")
        live = session.execute(current_sets(bank.id)).all()
        assert [s.code for s, _ in live] == [first]
        everything = session.execute(current_sets(bank.id, include_deleted=True)).all()
        assert sorted(s.code for s, _ in everything) == [first, second]
        ids = [s.id for s, _ in everything]
        assert [s.code for s, _ in session.execute(current_sets(set_ids=ids)).all()] == [first]
        assert [v.set_id for v in list_sets(session, bank)] == [live[0][0].id]


def test_versions_with_their_identity(db: Database) -> None:
    with db.transaction() as session:
        bank = ensure_bank(session, OCC, 4, actor="tester")
        first, *_ = _items(session, bank)
        _delete(session, first)  # a version stays readable by its id
        [code] = _sets(session, bank, 1)
    with db.transaction() as session:
        item = session.get(Item, first)
        assert item is not None
        version, guid = session.execute(
            item_versions_with_guid().where(ItemVersion.id == item.current_version_id)
        ).one()
        assert (version.item_id, guid) == (first, item.guid)
        set_version, set_code = session.execute(set_versions_with_code()).one()
        assert set_code == code
        assert set_version.tasks and set_version.prep_rows  # loaded: no lazy access refused
        assert set_version.tasks[0].rubric


def _filing(session: Session, bank: Bank, item_ids: list[int], set_codes: list[str]) -> int:
    filing = Filing(
        bank_id=bank.id,
        merkle_root="0" * 64,
        manifest="{}",
        manifest_sha256=uuid.uuid4().hex * 2,
        signatures={},
        created_by="tester",
    )
    session.add(filing)
    session.flush()
    for _, version in session.execute(current_items(item_ids=item_ids)):
        session.add(FilingEntry(filing_id=filing.id, item_version_id=version.id))
    for practical_set, version in session.execute(current_sets(bank.id)):
        if practical_set.code in set_codes:
            session.add(FilingEntry(filing_id=filing.id, set_version_id=version.id))
    session.flush()
    return filing.id


def test_filed_versions_are_the_latest_filings(db: Database) -> None:
    with db.transaction() as session:
        bank = ensure_bank(session, OCC, 4, actor="tester")
        other = ensure_bank(session, OCC, 3, actor="tester")
        assert session.execute(latest_filing(bank.id)).first() is None
        first, second, third = _items(session, bank)
        codes = _sets(session, bank)
        older = _filing(session, bank, [first], codes)
        newer = _filing(session, bank, [second, third], codes[:1])
        _filing(session, other, _items(session, other, STEMS[:1]), [])
    with db.transaction() as session:
        bank = ensure_bank(session, OCC, 4, actor="tester")
        assert [f.id for f in session.execute(bank_filings(bank.id))] == [newer, older]
        latest = session.execute(latest_filing(bank.id)).one()
        assert latest.id == newer and latest.manifest == "{}"
        filed = session.execute(filing_items(latest.id)).all()
        guids = {i: g for i, g in session.execute(select(Item.id, Item.guid))}
        assert [(v.item_id, guid) for v, guid in filed] == [(i, guids[i]) for i in (second, third)]
        sets = session.execute(filing_sets(latest.id)).all()
        assert [code for _, code in sets] == codes[:1]
        assert [code for _, code in session.execute(filing_sets(older))] == sorted(codes)


def test_live_people_leave_out_deleted_people(db: Database) -> None:
    with db.transaction() as session:
        add_person(session, "甲", ["reviewer"], actor="tester")
        gone = add_person(session, "乙", ["reviewer"], actor="tester")
        gone.deleted_at = utcnow()
    with db.transaction() as session:
        assert [p.name for p in session.scalars(live_people())] == ["甲"]
        with pytest.raises(NotFound):
            get_person(session, "乙")


# --- flows with a logically deleted item ---------------------------------------------------


def test_a_deleted_item_is_not_reviewed_counted_or_filed(db: Database) -> None:
    """Review, counts and filing all read current items; a deleted item is in none of them,
    and `get_item` finds it only when asked to (with its deletion time)."""
    from filing_world import REVIEWER, SIGNERS
    from test_review_filing import small_policy, tree_for

    records = read_items_table(SAMPLES / "items.xlsx").records[:31]
    with db.transaction() as session:
        bank = ensure_bank(session, OCC, 4, actor="t", occupation_name="电工")
        import_items(session, bank, records, source="t.xlsx", actor="张老师")
        _sets(session, bank)
        import_tree(session, bank, tree_for(records[:30]), source="tree", actor="t")
        for name, role in ((REVIEWER, "reviewer"), ("某技师学院", "institution")):
            person = add_person(session, name, [role], actor="t")
            set_public_key(session, person, SIGNERS[name].public_key_raw, actor="t")
        deleted = max(v.id for v in list_items(session, bank))
        _delete(session, deleted)
    with db.transaction() as session:
        bank = ensure_bank(session, OCC, 4, actor="t")
        reviewer = get_person(session, REVIEWER)
        with pytest.raises(NotFound):
            get_item(session, deleted)
        shown = get_item(session, deleted, include_deleted=True)
        assert shown.id == deleted and shown.deleted_at is not None
        assert get_item(session, deleted - 1).deleted_at is None
        pending = all_pending(session, bank, reviewer)
        assert deleted not in {d.item_id for d in pending} and len(pending) == 30
        with pytest.raises(ReviewRejected):
            review(
                session,
                bank,
                reviewer,
                SIGNERS[REVIEWER],
                [Decision(APPROVED, item_id=deleted)],
                actor="t",
            )
        assert sum(status(session, bank).items.values()) == 30
        assert summarize(session, bank).items == 30
    with db.transaction() as session:
        bank = ensure_bank(session, OCC, 4, actor="t")
        reviewer = get_person(session, REVIEWER)
        decisions = all_pending(session, bank, reviewer)
        codes = session.scalars(select(PracticalSet.code).where(PracticalSet.bank_id == bank.id))
        decisions += [Decision(APPROVED, set_code=code) for code in codes]
        review(session, bank, reviewer, SIGNERS[REVIEWER], decisions, actor="t")
        assert status(session, bank).items == {"draft": 0, "approved": 30, "rejected": 0}
    with db.transaction() as session:
        bank = ensure_bank(session, OCC, 4, actor="t")
        result = file_bank(
            session,
            bank,
            small_policy(min_theory_items=30, min_practical_sets=2),
            institution=get_person(session, "某技师学院"),
            institution_signer=SIGNERS["某技师学院"],
            reviewers=[(get_person(session, REVIEWER), SIGNERS[REVIEWER])],
            actor="t",
        )
        assert deleted not in {item.id for item, _ in result.items}
    with db.transaction() as session:
        bank = ensure_bank(session, OCC, 4, actor="t")
        filed = filed_item_versions(session, bank)
        assert len(filed) == 30 and deleted not in {v.item_id for v in filed}
        latest = session.execute(latest_filing(bank.id)).one()
        assert latest.id == result.filing_id
        entries = session.scalars(
            select(FilingEntry.item_version_id).where(FilingEntry.filing_id == latest.id)
        )
        assert {v.id for v in filed} == {e for e in entries if e is not None}
        assert [code for code, _ in filed_sets(session, bank)] == sorted(
            session.scalars(select(PracticalSet.code).where(PracticalSet.bank_id == bank.id))
        )
        assert all(isinstance(v, PracticalSetVersion) for _, v in filed_sets(session, bank))


def test_cli_shows_a_deleted_item_as_deleted_and_will_not_review_it(sqlite_url: str) -> None:
    def run(*args: str, code: int = 0) -> str:
        result = CliRunner().invoke(cli, [*args, "--db", sqlite_url])
        assert result.exit_code == code, result.output
        return result.output

    occ = ["--occupation", OCC, "--level", "4"]
    run(
        "import",
        "items",
        str(SAMPLES / "items-app.csv"),
        *occ,
        "--create",
        "--occupation-name",
        "电工",
    )
    first, second = (v["id"] for v in json.loads(run("item", "list", *occ, "--json"))[:2])
    run("item", "delete", str(first), "--reason", "重复")
    assert first not in {v["id"] for v in json.loads(run("item", "list", *occ, "--json"))}
    shown = json.loads(run("item", "show", str(first), "--json"))
    assert shown["id"] == first and shown["deleted_at"]
    assert f"已于 {shown['deleted_at']} 逻辑删除" in run("item", "show", str(first))
    assert "逻辑删除" not in run("item", "show", str(second))
    history = json.loads(run("item", "history", str(first), "--json"))
    assert history[-1]["action"] == "delete"
    refused = run("review", "approve", "--item", str(first), "--reviewer", "李工", code=1)
    assert refused == f"错误：没有编号为 {first} 的试题\n"
    counted = json.loads(run("bank", "show", *occ, "--json"))
    assert counted["items"] == len(json.loads(run("item", "list", *occ, "--json")))


# --- one place -----------------------------------------------------------------------------

PACKAGES = ("qbank", "cli", "workflows", "exporters", "importers", "formats", "web")
# Where the raw rows are the point: the database verifier checks the pointers themselves.
RAW = {"qbank/integrity.py"}
HAND_WRITTEN = re.compile(
    r"current_version_id\s*==|==\s*[\w.]*current_version_id|deleted_at\.is_\("
)


def _hand_written() -> set[str]:
    found = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            name = path.relative_to(ROOT).as_posix()
            if name == "qbank/queries.py" or "/migrations/" in name:
                continue
            if HAND_WRITTEN.search(path.read_text("utf-8")):
                found.add(name)
    return found


def test_current_version_joins_and_deletion_filters_live_only_in_queries() -> None:
    assert _hand_written() - RAW == set()


def test_the_allowlists_name_only_modules_that_still_need_them() -> None:
    assert _hand_written() >= RAW
