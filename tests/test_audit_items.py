"""An import's item changes: rows under one chained event per batch, read as per-item history.

Each batch of an import appends one `import_items` event committing (count and digest) to
its rows in `audit_event_items`. Held here: an item's history reads as the per-item events
did (create, new_version, revert with the version, its number and the file); `qbank db
verify` passes a clean trail and finds, in a database whose refusal triggers were dropped, a
row edited, removed or added and rows hung under another event; the digest is the one a
regulator recomputes from the rows.
"""

from __future__ import annotations

import pytest
from hostile import unprotect
from sqlalchemy import func, select, text
from test_bulk_import import OCC, records, store

from qbank import audit, integrity
from qbank.bank import find_bank
from qbank.canonical import canonical_bytes, sha256_hex
from qbank.db import Database
from qbank.model import AuditEvent, AuditItem, Item
from qbank.records import ItemRecord


@pytest.fixture
def three_imports(db: Database) -> tuple[Database, int]:
    """A bank of 30 items imported, one of them changed, then changed back (a revert)."""
    first = records(30)
    store(db, first)
    changed = [*first]
    changed[5] = ItemRecord(
        changed[5].type, changed[5].stem, False, changed[5].location, options=changed[5].options
    )
    store(db, changed)
    store(db, first)
    with db.transaction() as session:
        item_id = session.scalars(select(Item.id).order_by(Item.id)).all()[5]
    return db, item_id


def test_history_reads_as_per_item_events(three_imports: tuple[Database, int]) -> None:
    db, item_id = three_imports
    with db.transaction() as session:
        entries = audit.history(session, "item", item_id)
        assert [e.action for e in entries] == ["create", "new_version", "revert"]
        assert [e.actor for e in entries] == ["tester"] * 3
        create, new, revert = (e.detail for e in entries)
        assert create["seq"] == 1 and new["seq"] == 2 and "seq" not in revert
        assert create["file"] == new["file"] == revert["file"] == "bank.xlsx"
        assert revert["version"] == create["version"] != new["version"]
        assert audit.history(session, "item", "not a number") == []


def test_each_event_commits_to_its_rows(three_imports: tuple[Database, int]) -> None:
    db, _ = three_imports
    with db.transaction() as session:
        events = session.execute(
            select(AuditEvent.id, AuditEvent.detail).where(AuditEvent.action == audit.ITEMS_ACTION)
        ).all()
        assert len(events) == 3
        for event_id, detail in events:
            rows = session.execute(
                select(AuditItem.item_id, AuditItem.action, AuditItem.version, AuditItem.seq)
                .where(AuditItem.event_id == event_id)
                .order_by(AuditItem.position)
            ).all()
            # what a regulator recomputes: the canonical JSON list of the rows, hashed
            assert detail["items"] == len(rows)
            assert detail["items_sha256"] == sha256_hex(canonical_bytes([list(r) for r in rows]))
        assert integrity.verify_database(session).ok


def _codes(db: Database, tamper: str, params: dict[str, object]) -> list[tuple[str, str]]:
    with db.transaction() as session:
        unprotect(session, "audit_event_items")
        session.execute(text(tamper), params)
        report = integrity.verify_database(session)
        session.rollback()
    return [(f.code, f.table) for f in report.failures]


@pytest.mark.parametrize(
    "tamper",
    [
        # a row edited
        "UPDATE audit_event_items SET seq = 7 WHERE item_id = :i AND action = 'new_version'",
        # a row removed
        "DELETE FROM audit_event_items WHERE item_id = :i AND action = 'revert'",
        # every row of an event removed (the third import's one change)
        "DELETE FROM audit_event_items WHERE event_id = "
        "(SELECT event_id FROM audit_event_items WHERE item_id = :i AND action = 'revert')",
        # a row added
        "INSERT INTO audit_event_items (event_id, position, item_id, action, version, seq) "
        "SELECT event_id, position + 1, item_id, 'new_version', version, 9 "
        "FROM audit_event_items WHERE item_id = :i AND action = 'revert'",
    ],
    ids=["edited", "removed", "all-removed", "added"],
)
def test_verify_finds_the_rows_changed(three_imports: tuple[Database, int], tamper: str) -> None:
    db, item_id = three_imports
    assert _codes(db, tamper, {"i": item_id}) == [("AUDIT_ITEMS_MISMATCH", "audit_events")]


def test_verify_finds_rows_under_another_event(three_imports: tuple[Database, int]) -> None:
    db, item_id = three_imports
    with db.transaction() as session:
        other = session.scalar(
            select(func.min(AuditEvent.id)).where(AuditEvent.action != audit.ITEMS_ACTION)
        )
    tamper = (
        "INSERT INTO audit_event_items (event_id, position, item_id, action, version, seq) "
        "VALUES (:e, 0, :i, 'create', :v, 1)"
    )
    found = _codes(db, tamper, {"e": other, "i": item_id, "v": "0" * 64})
    assert found == [("AUDIT_ITEMS_ORPHAN", "audit_event_items")]


def test_one_event_per_batch(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """An import of several batches appends one event for each, in the chain's order."""
    monkeypatch.setattr("qbank.items._BATCH", 8)
    store(db, records(20))
    with db.transaction() as session:
        bank = find_bank(session, OCC, 4)
        counts = session.scalars(
            select(AuditEvent.detail)
            .where(AuditEvent.action == audit.ITEMS_ACTION, AuditEvent.bank_id == bank.id)
            .order_by(AuditEvent.id)
        ).all()
        assert [d["items"] for d in counts] == [8, 8, 4]
        assert audit.verify_chain(session) == []
        assert integrity.verify_database(session).ok


def test_history_reads_an_event_detail_that_is_not_an_object(
    three_imports: tuple[Database, int],
) -> None:
    """A hostile database's detail (a JSON list) reads as empty: the history is still shown
    (`qbank db verify` reports the edited event)."""
    db, item_id = three_imports
    with db.transaction() as session:
        unprotect(session, "audit_events")
        session.execute(
            text("UPDATE audit_events SET detail = '[1, 2]' WHERE action = :a"),
            {"a": audit.ITEMS_ACTION},
        )
        entries = audit.history(session, "item", item_id)
        assert [e.action for e in entries] == ["create", "new_version", "revert"]
        assert {e.detail["file"] for e in entries} == {None}
        session.rollback()
