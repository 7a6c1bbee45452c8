"""Retention: logical deletes only, refused inside the retention period; the DB refuses DELETE."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError

from qbank import audit
from qbank.bank import ensure_bank
from qbank.db import Database
from qbank.items import import_items, list_items
from qbank.model import AuditEvent, Filing, FilingEntry, Item, ItemVersion
from qbank.policy import load_policy
from qbank.records import ItemRecord, ItemType, Location
from qbank.retention import RetentionHold, delete_item

OCC = "6-31-01-03"
POLICY = load_policy()


def stored(db: Database) -> list[int]:
    records = [
        ItemRecord(
            ItemType.JUDGEMENT, "电气设备的金属外壳必须可靠接地。", True, Location("f", row=2)
        ),
        ItemRecord(
            ItemType.JUDGEMENT, "熔断器主要用作电动机的过载保护。", False, Location("f", row=3)
        ),
    ]
    with db.transaction() as session:
        bank = ensure_bank(session, OCC, 4, actor="tester")
        import_items(session, bank, records, source="f.xlsx", actor="tester")
        return [v.id for v in list_items(session, bank)]


def test_logical_delete_is_audited_and_keeps_the_data(db: Database) -> None:
    first, second = stored(db)
    with db.transaction() as session:
        delete_item(session, first, reason="与第 2 题重复", actor="王老师", policy=POLICY)
    with db.transaction() as session:
        bank = ensure_bank(session, OCC, 4, actor="tester")
        assert [v.id for v in list_items(session, bank)] == [second]
        assert session.scalar(select(func.count()).where(ItemVersion.item_id == first)) == 1
        [event] = [e for e in audit.history(session, "item", first) if e.action == "delete"]
        assert (event.actor, event.detail["reason"]) == ("王老师", "与第 2 题重复")


def test_filed_item_held_for_the_retention_period(db: Database) -> None:
    first, _ = stored(db)
    with db.transaction() as session:
        bank = ensure_bank(session, OCC, 4, actor="tester")
        filing = Filing(
            bank_id=bank.id,
            merkle_root="0" * 64,
            manifest="{}",
            manifest_sha256="1" * 64,
            signatures={},
            created_by="tester",
        )
        session.add(filing)
        session.flush()
        version = session.scalar(select(ItemVersion).where(ItemVersion.item_id == first))
        session.add(FilingEntry(filing_id=filing.id, item_version_id=version.id))
        filed_at = filing.created_at
    with db.transaction() as session, pytest.raises(RetentionHold) as err:
        delete_item(
            session,
            first,
            reason="过时",
            actor="t",
            policy=POLICY,
            now=filed_at + timedelta(days=365 * 5 - 2),
        )
    assert "须保存不少于 5 年" in str(err.value)
    with db.transaction() as session:
        delete_item(
            session,
            first,
            reason="过时",
            actor="t",
            policy=POLICY,
            now=filed_at + timedelta(days=365 * 5 + 2),
        )
        assert session.get(Item, first).deleted_at is not None


@pytest.mark.parametrize("table", [AuditEvent, ItemVersion])
def test_database_refuses_physical_delete(db: Database, table: type) -> None:
    stored(db)
    with pytest.raises(DBAPIError, match="refused"), db.transaction() as session:
        session.execute(delete(table))


def test_database_refuses_rewriting_the_audit_trail(db: Database) -> None:
    stored(db)
    with pytest.raises(DBAPIError, match="refused"), db.transaction() as session:
        session.execute(update(AuditEvent).values(actor="someone else"))
    with db.transaction() as session:
        assert (
            session.scalar(text("SELECT count(*) FROM audit_events WHERE actor = 'someone else'"))
            == 0
        )
