"""Immutability enforced by the database itself, on SQLite and PostgreSQL.

Content and signed records refuse UPDATE and DELETE by triggers, whatever tool writes; a
version's status is derived from its reviews (no mutable column on the version row); a sealed
paper changes only by being opened; the audit trail is a hash chain. The migration brings a
database made by the previous schema to all of this.
"""

from __future__ import annotations

import importlib.util
import itertools
import shutil
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from conftest import copy_to_postgresql, pg_schema_url
from hostile import unprotect
from sqlalchemy import Connection, create_engine, func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from qbank import audit
from qbank.db import Database, alembic_config, open_database
from qbank.model import AuditEvent, AuditItem, Base, ItemVersion, PracticalSetVersion

IMMUTABLE = (
    "item_versions",
    "practical_set_versions",
    "practical_prep_rows",
    "practical_tasks",
    "practical_rubric_rows",
    "tree_versions",
    "knowledge_nodes",
    "reviews",
    "adjudications",
    "filings",
    "filing_entries",
    "overlap_reports",
    "sealed_bundles",
    "custody_layouts",
    "custody_entries",
    "custody_checkpoints",
    "audit_events",
    "audit_event_items",
    "tokenizers",
    "token_sets",
    "minhash_signatures",
)
NO_DELETE = (
    "items",
    "practical_sets",
    "people",
    "batches",
    "batch_staff",
    "papers",
    "bank_access",
)
PREVIOUS_HEAD = "e41c9a7d3b20"
ROOT = Path(__file__).resolve().parent.parent


# --- the whole chain, once per backend -------------------------------------------------------


@pytest.fixture(scope="module")
def chain(demo_chain: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's database (import, overlap, review, filing, papers, sealing, custody, 启封)
    plus one adjudication, so every protected table has rows."""
    workspace = tmp_path_factory.mktemp("immutability")
    shutil.copyfile(demo_chain / "qbank.db", workspace / "qbank.db")
    engine = create_engine(f"sqlite:///{workspace / 'qbank.db'}")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO adjudications (bank_id, version_a, version_b, reviewer, reason, "
                "created_at) SELECT id, :a, :b, 'r', 'distinct', :now FROM banks LIMIT 1"
            ),
            {"a": "a" * 64, "b": "b" * 64, "now": datetime.now(UTC)},
        )
    engine.dispose()
    return workspace / "qbank.db"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def engine(
    request: pytest.FixtureRequest, chain: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    if request.param == "sqlite":
        copy = tmp_path_factory.mktemp("copy") / "qbank.db"
        shutil.copyfile(chain, copy)
        url = f"sqlite:///{copy}"
        open_database(url).dispose()  # already at head: a no-op
        eng = create_engine(url)
        yield eng
        eng.dispose()
        return
    with pg_schema_url() as url:
        copy_to_postgresql(chain, url)
        eng = create_engine(url)
        yield eng
        eng.dispose()


def _attempt(engine: Engine, sql: str) -> None:
    """Run `sql` in a transaction that is rolled back whatever happens."""
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            conn.execute(text(sql))
        finally:
            transaction.rollback()


def _first_column(engine: Engine, table: str) -> str:
    columns = [c for c in Base.metadata.tables[table].columns if not c.primary_key]
    return (columns or list(Base.metadata.tables[table].columns))[0].name


@pytest.mark.parametrize("table", IMMUTABLE)
def test_records_refuse_update_and_delete(engine: Engine, table: str) -> None:
    with engine.connect() as conn:
        assert conn.scalar(text(f"SELECT count(*) FROM {table}")), f"{table} has no rows"
    column = _first_column(engine, table)
    with pytest.raises(DBAPIError, match="refused"):
        _attempt(engine, f"UPDATE {table} SET {column} = {column}")
    with pytest.raises(DBAPIError, match="refused"):
        _attempt(engine, f"DELETE FROM {table}")
    if engine.dialect.name == "postgresql":
        with pytest.raises(DBAPIError, match="refused"):
            _attempt(engine, f"TRUNCATE {table} CASCADE")


@pytest.mark.parametrize("table", NO_DELETE)
def test_mutable_rows_are_never_deleted(engine: Engine, table: str) -> None:
    with engine.connect() as conn:
        assert conn.scalar(text(f"SELECT count(*) FROM {table}")), f"{table} has no rows"
    with pytest.raises(DBAPIError, match="refused"):
        _attempt(engine, f"DELETE FROM {table}")


def test_opened_paper_is_fixed(engine: Engine) -> None:
    """The demo's papers were sealed and opened (启封): nothing of them may change now."""
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM papers WHERE opened_at IS NULL")) == 0
    for assignment in (
        "commitment = 'x'",
        "layout = layout",
        "seed = 'other'",
        "opened_at = NULL",
        "sealed_at = NULL",
    ):
        with pytest.raises(DBAPIError, match="refused"):
            _attempt(engine, f"UPDATE papers SET {assignment}")
    with pytest.raises(DBAPIError, match="refused"):
        _attempt(engine, "UPDATE paper_items SET position = position")
    with pytest.raises(DBAPIError, match="refused"):
        _attempt(engine, "DELETE FROM paper_items")


def _on_a_sealed_paper(engine: Engine, sql: str) -> None:
    """Run `sql` (`:p` = a paper id, `:t` = now) against a paper put back to sealed-not-opened,
    as a hostile admin could, with the guard of sealed papers in place; rolled back."""
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            paper_id = conn.scalar(text("SELECT min(id) FROM papers"))
            unprotect(conn, "papers")
            conn.execute(text("UPDATE papers SET opened_at = NULL WHERE id = :p"), {"p": paper_id})
            _recreate_paper_guard(conn)
            conn.execute(text(sql), {"p": paper_id, "t": datetime.now(UTC)})
        finally:
            transaction.rollback()


def _recreate_paper_guard(conn: Connection) -> None:
    """The guard of sealed papers (`qbank_no_update_papers`) as the migration makes it."""
    path = next(ROOT.glob("qbank/migrations/versions/*_integrity_d4f8b2a6c1e9.py"))
    spec = importlib.util.spec_from_file_location("integrity_migration", path)
    assert spec and spec.loader
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    if conn.dialect.name == "postgresql":
        conn.execute(
            text(
                "CREATE TRIGGER qbank_no_update_papers BEFORE UPDATE ON papers "
                "FOR EACH ROW EXECUTE FUNCTION qbank_guard_sealed_paper()"
            )
        )
    else:
        conn.execute(
            text(
                "CREATE TRIGGER qbank_no_update_papers BEFORE UPDATE ON papers "
                f"WHEN {migration.SQLITE_SEALED_PAPER_WHEN} BEGIN "
                "SELECT RAISE(ABORT, 'qbank: UPDATE of a sealed paper is refused'); END"
            )
        )


def test_sealed_paper_changes_only_by_being_opened(engine: Engine) -> None:
    for assignment in (
        "commitment = 'x'",
        "sealed_composition = NULL",
        "code = 'Z'",
        "sealed_at = NULL",
        "opened_at = :t, commitment = 'x'",  # opening may not alter the seal
        "opened_at = :t, blueprint = NULL",
    ):
        with pytest.raises(DBAPIError, match="refused"):
            _on_a_sealed_paper(engine, f"UPDATE papers SET {assignment} WHERE id = :p")
    # what the 启封 step writes: opened_at, and the layout, seed and drawn set decrypted
    _on_a_sealed_paper(
        engine,
        "UPDATE papers SET opened_at = :t, seed = 's', layout = layout, set_version_id = NULL "
        "WHERE id = :p",
    )


def test_whole_chain_audit_trail_verifies(engine: Engine) -> None:
    with Session(engine) as session:
        assert audit.verify_chain(session) == []
        events = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
        items = session.scalar(select(func.count()).select_from(AuditItem)) or 0
        assert events > 100 and events + items > 1000  # an import's items: rows of its events


# --- status is derived from reviews ------------------------------------------------------------


def test_status_follows_the_latest_review(engine: Engine) -> None:
    with Session(engine) as session:
        approved = session.scalar(
            select(func.count()).select_from(ItemVersion).where(ItemVersion.status == "approved")
        )
        latest = dict(
            session.execute(
                text(
                    "SELECT item_version_id, decision FROM reviews "
                    "WHERE item_version_id IS NOT NULL ORDER BY id"
                )
            ).all()
        )
        assert approved == sum(d == "approved" for d in latest.values()) and approved
        assert session.scalar(
            select(func.count()).select_from(ItemVersion).where(ItemVersion.status == "draft")
        ) == session.scalar(select(func.count()).select_from(ItemVersion)) - len(latest)
        assert {v.status for v in session.scalars(select(PracticalSetVersion))} == {"approved"}


# --- the audit chain ---------------------------------------------------------------------------


def _events(db: Database, count: int, *, tag: str = "e") -> None:
    for n in range(count):
        with db.transaction() as session:
            audit.record(
                session,
                actor="t",
                action="test",
                entity="thing",
                entity_id=n,
                detail_text=f"{tag}{n} 中文",
                numbers={1: 2.5, 10: [1, 2]},
            )


def test_chain_links_every_event_and_finds_edits_and_gaps(db: Database) -> None:
    _events(db, 5)
    with db.transaction() as session:
        for n in range(3):  # several in one transaction chain too
            audit.record(session, actor="t", action="batch", entity="thing", entity_id=n)
    with db.transaction() as session:
        events = list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
        assert events[0].prev_hash == audit.GENESIS
        assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(events))
        assert all(audit.event_hash(e.prev_hash, e) == e.hash for e in events)
        assert audit.verify_chain(session) == []
        ids = [e.id for e in events]

    with pytest.raises(IntegrityError), db.transaction() as session:  # a fork
        session.add(
            AuditEvent(
                actor="x",
                action="fork",
                entity="thing",
                entity_id="1",
                detail={},
                prev_hash=events[2].prev_hash,
                hash="f" * 64,
            )
        )

    with db.engine.connect() as conn:
        transaction = conn.begin()
        unprotect(conn, "audit_events")
        conn.execute(text("UPDATE audit_events SET actor = 'mallory' WHERE id = :i"), {"i": ids[2]})
        conn.execute(text("DELETE FROM audit_events WHERE id = :i"), {"i": ids[5]})
        with Session(bind=conn) as session:
            problems = audit.verify_chain(session)
        transaction.rollback()
    assert [(p.code, p.event_id) for p in problems] == [
        ("AUDIT_EVENT_EDITED", ids[2]),
        ("AUDIT_CHAIN_BROKEN", ids[6]),
    ]


def test_hash_survives_the_round_trip(db: Database) -> None:
    """`at` comes back naive from SQLite and tz-aware from PostgreSQL: same hash."""
    _events(db, 2)
    with db.transaction() as session:
        for event in session.scalars(select(AuditEvent)):
            session.expire(event)
            assert audit.event_hash(event.prev_hash, event) == event.hash
    at = datetime(2026, 12, 3, 8, 0, 0, 123456, tzinfo=UTC)
    fields = {
        "at": at,
        "actor": "a",
        "action": "b",
        "entity": "c",
        "entity_id": "1",
        "bank_id": None,
        "detail": {},
    }
    assert audit.event_hash(audit.GENESIS, fields) == audit.event_hash(
        audit.GENESIS, {**fields, "at": at.replace(tzinfo=None)}
    )


def test_concurrent_writers_append_one_after_the_other(db: Database) -> None:
    _events(db, 1)
    errors: list[BaseException] = []

    def writer(tag: str) -> None:
        try:
            _events(db, 10, tag=tag)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(f"w{i}",)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 31
        assert audit.verify_chain(session) == []


# --- the migration from the previous schema ----------------------------------------------------


def test_migration_derives_status_and_chains_the_existing_trail(db_url: str) -> None:
    database = open_database(db_url, upgrade=False)
    config = alembic_config()
    try:
        with database.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, PREVIOUS_HEAD)
        now = datetime(2026, 11, 30, 9, 0, 0, 654321, tzinfo=UTC)
        with database.engine.begin() as conn:
            run = lambda sql, **params: conn.execute(text(sql), {"now": now, **params})  # noqa: E731
            run(
                "INSERT INTO occupations (id, code, name, created_at) VALUES (1, '6-31-01-03', '电工', :now)"
            )
            run("INSERT INTO banks (id, occupation_id, level, created_at) VALUES (1, 1, 4, :now)")
            run(
                "INSERT INTO people (id, name, roles, created_at) VALUES (1, '李老师', 'reviewer', :now)"
            )
            for item in (1, 2, 3):
                run(
                    "INSERT INTO items (id, bank_id, guid, created_at) VALUES (:i, 1, :g, :now)",
                    i=item,
                    g=f"g{item}",
                )
                run(
                    "INSERT INTO item_versions (id, item_id, seq, sha256, content_key, canonical, "
                    "type, stem, options, answer, knowledge_path, status, created_at, created_by) "
                    "VALUES (:i, :i, 1, :s, :k, '{}', 'judgement', :stem, '{}', 'T', '[]', :st, "
                    ":now, 't')",
                    i=item,
                    s=f"{item}" * 64,
                    k=f"{item + 3}" * 64,
                    stem=f"题干 {item}",
                    # item 3's column says approved, but no review does: the reviews win
                    st={1: "approved", 2: "rejected", 3: "approved"}[item],
                )
                run("UPDATE items SET current_version_id = :i WHERE id = :i", i=item)
            run(
                "INSERT INTO practical_sets (id, bank_id, code, created_at) VALUES (1, 1, 'S1', :now)"
            )
            run(
                "INSERT INTO practical_set_versions (id, set_id, seq, sha256, canonical, title, "
                "status, created_at, created_by) VALUES (1, 1, 1, :s, '{}', '实操', 'approved', "
                ":now, 't')",
                s="9" * 64,
            )
            run("UPDATE practical_sets SET current_version_id = 1 WHERE id = 1")
            for review, (version, set_version, decision) in enumerate(
                (
                    (1, None, "rejected"),
                    (1, None, "approved"),
                    (2, None, "rejected"),
                    (None, 1, "approved"),
                ),
                start=1,
            ):
                run(
                    "INSERT INTO reviews (id, bank_id, item_version_id, set_version_id, "
                    "reviewer_id, decision, comment, payload, signature, created_at) "
                    "VALUES (:r, 1, :v, :sv, 1, :d, '', '{}', 'sig', :now)",
                    r=review,
                    v=version,
                    sv=set_version,
                    d=decision,
                )
            for n in range(4):
                run(
                    "INSERT INTO audit_events (at, actor, action, entity, entity_id, bank_id, "
                    "detail) VALUES (:now, 't', 'import', 'bank', '1', 1, :d)",
                    d=f'{{"n": {n}, "file": "题库.xlsx", "z": 1.5}}',
                )
        database.upgrade()
        with database.transaction() as session:
            statuses = dict(session.execute(select(ItemVersion.id, ItemVersion.status)).all())
            assert statuses == {1: "approved", 2: "rejected", 3: "draft"}
            assert session.get(PracticalSetVersion, 1).status == "approved"
            events = list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
            assert len(events) >= 4 and events[0].prev_hash == audit.GENESIS
            assert all(e.hash and e.prev_hash for e in events)
            assert audit.verify_chain(session) == []
            audit.record(session, actor="t", action="after", entity="bank", entity_id=1)
        with database.transaction() as session:
            assert audit.verify_chain(session) == []
            columns = {c["name"] for c in _columns(session, "item_versions")}
            assert "status" not in columns
        with pytest.raises(DBAPIError, match="refused"), database.transaction() as session:
            session.execute(text("UPDATE item_versions SET stem = 'changed' WHERE id = 1"))
    finally:
        database.dispose()


def _columns(session: Session, table: str) -> list[dict]:  # type: ignore[type-arg]
    from sqlalchemy import inspect

    return inspect(session.connection()).get_columns(table)
