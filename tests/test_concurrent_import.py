"""One import at a time per bank, and never the same item twice in a bank (issue 11, item 5).

Importing one file from two processes at once used to store every item twice: the lookups
ran before the write lock and nothing in the schema forbade two items with the same text.
These tests start real `qbank import` processes together, on a SQLite file and on the
PostgreSQL server; they also check the unique constraint itself, the migration's backfill of
an existing database, the clean "busy" refusal, and that new SQLite files are private (0600).
"""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from alembic import command
from conftest import ROOT, SAMPLES
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from qbank.bank import ensure_bank, find_bank
from qbank.db import PG_LOCK, Database, alembic_config, open_database
from qbank.items import ItemsRejected, import_items, list_items
from qbank.model import AuditEvent, Item, ItemContentKey, ItemVersion
from qbank.policy import load_policy
from qbank.records import ItemRecord, ItemType, Location
from qbank.retention import delete_item

OCC = "6-31-01-03"
SAMPLE = SAMPLES / "electrician-4" / "items-app.csv"
SAMPLE_ITEMS = 597
BUSY_ZH = "题库正忙（另一个导入或写入正在进行），请稍后再试"
BUSY_EN = "the bank is busy (another import or write is in progress); try again later"


def qbank_cmd(db_url: str, *args: str) -> list[str]:
    return [sys.executable, "-c", "from cli.main import main; main()", "--db", db_url, *args]


def import_cmd(db_url: str, path: Path = SAMPLE) -> list[str]:
    return qbank_cmd(
        db_url, "import", "items", str(path), "--occupation", OCC, "--level", "4",
        "--create", "--occupation-name", "电工",
    )  # fmt: skip


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QBANK_")}
    env.update(QBANK_USER="tester", PYTHONPATH=str(ROOT), **extra)
    return env


def run_together(
    commands: list[list[str]], env: dict[str, str], envs: list[dict[str, str]] | None = None
) -> list[tuple[int, str]]:
    """Start every command at once (`envs`: extra variables of each); (exit status,
    stdout + stderr) of each."""
    procs = [
        subprocess.Popen(
            c,
            cwd=ROOT,
            env={**env, **(envs[i] if envs else {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for i, c in enumerate(commands)
    ]
    return [(p.wait(timeout=600), p.stdout.read() if p.stdout else "") for p in procs]


def live_content_keys(db: Database) -> list[str]:
    with db.transaction() as session:
        return list(
            session.scalars(
                select(ItemVersion.content_key)
                .join(Item, Item.current_version_id == ItemVersion.id)
                .where(Item.deleted_at.is_(None))
            )
        )


@pytest.mark.slow
def test_same_file_imported_three_times_at_once_stores_each_item_once(db_url: str) -> None:
    """On a new database, so the three also race to build the schema and the bank. With a
    busy timeout longer than the imports take, every one waits its turn and succeeds (the
    constraint alone would also keep the items single, but by failing the later imports)."""
    results = run_together(
        [import_cmd(db_url) for _ in range(3)], child_env(QBANK_BUSY_TIMEOUT="300")
    )
    for status, output in results:
        assert "Traceback" not in output
        assert status == 0, output
    db = open_database(db_url)
    try:
        keys = live_content_keys(db)
        assert len(keys) == len(set(keys)) == SAMPLE_ITEMS
        with db.transaction() as session:
            assert session.scalar(select(func.count()).select_from(ItemVersion)) == SAMPLE_ITEMS
            assert session.scalar(select(func.count()).select_from(ItemContentKey)) == SAMPLE_ITEMS
            imports = session.scalars(
                select(AuditEvent).where(AuditEvent.action == "import").order_by(AuditEvent.id)
            ).all()
        assert len(imports) == sum(status == 0 for status, _ in results)
        assert [e.detail["imported"] for e in imports] == [SAMPLE_ITEMS] + [0] * (len(imports) - 1)
    finally:
        db.dispose()


@contextmanager
def bank_lock_held(db_url: str, bank_id: int) -> Iterator[None]:
    """Another writer holding the lock an import needs (SQLite: the database's write lock;
    PostgreSQL: the bank's advisory lock)."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        assert url.database
        holder = sqlite3.connect(url.database, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text(PG_LOCK), {"key": bank_id})
            yield
    finally:
        engine.dispose()


def test_busy_bank_is_one_clear_line_and_writes_nothing(db_url: str) -> None:
    db = open_database(db_url)
    with db.transaction() as session:
        bank_id = ensure_bank(session, OCC, 4, actor="tester").id
    with bank_lock_held(db_url, bank_id):
        results = run_together(
            [import_cmd(db_url), import_cmd(db_url)],
            env=child_env(QBANK_BUSY_TIMEOUT="1"),
            envs=[{"QBANK_LANG": "zh"}, {"QBANK_LANG": "en"}],
        )
    for (status, output), message in zip(results, (BUSY_ZH, BUSY_EN), strict=True):
        assert status == 1
        assert "Traceback" not in output
        assert message in output
    assert live_content_keys(db) == []
    db.dispose()


def record(row: int, stem: str, guid: str | None = None) -> ItemRecord:
    options = {"A": "短路", "B": "过载", "C": "失压", "D": "欠压"}
    location = Location("bank.xlsx", sheet="Sheet1", row=row)
    return ItemRecord(ItemType.SINGLE, stem, "B", location, options=options, guid=guid)


def store(db: Database, records: list[ItemRecord]) -> None:
    with db.transaction() as session:
        bank = ensure_bank(session, OCC, 4, actor="tester")
        import_items(session, bank, records, source="bank.xlsx", actor="tester")


def problem_keys(db: Database, records: list[ItemRecord]) -> list[str]:
    with pytest.raises(ItemsRejected) as rejected:
        store(db, records)
    return [p.key for p in rejected.value.problems]


def test_database_refuses_a_second_item_with_the_same_content(db: Database) -> None:
    store(db, [record(2, "热继电器主要用作（ ）保护。"), record(3, "熔断器主要用作（ ）保护。")])
    with db.transaction() as session:
        bank_id, item_id, key = session.execute(
            select(ItemContentKey.bank_id, ItemContentKey.item_id, ItemContentKey.content_key)
        ).first()  # type: ignore[misc]
        other = Item(bank_id=bank_id, guid="copy")
        session.add(other)
        session.flush()
        copy_id = other.id
    with pytest.raises(IntegrityError), db.transaction() as session:  # raw SQL, no qbank code
        session.execute(
            text(
                "INSERT INTO item_content_keys (item_id, bank_id, content_key) "
                "VALUES (:item, :bank, :key)"
            ),
            {"item": copy_id, "bank": bank_id, "key": key},
        )
    with pytest.raises(IntegrityError), db.transaction() as session:  # one key row per item
        session.execute(
            text(
                "INSERT INTO item_content_keys (item_id, bank_id, content_key) "
                "VALUES (:item, :bank, :key)"
            ),
            {"item": item_id, "bank": bank_id, "key": "0" * 64},
        )
    with db.transaction() as session:  # another bank may hold the same item
        bank = ensure_bank(session, OCC, 3, actor="tester")
        import_items(
            session, bank, [record(2, "热继电器主要用作（ ）保护。")], source="x", actor="tester"
        )


def test_same_text_under_two_guids_is_refused_in_one_file_and_across_files(db: Database) -> None:
    stem = "热继电器主要用作（ ）保护。"
    assert problem_keys(db, [record(2, stem, "G1"), record(3, stem, "G2")]) == [
        "problem.duplicate_item"
    ]
    store(db, [record(2, stem, "G1")])
    assert problem_keys(db, [record(2, "热继电器主要用作( )保护。", "G2")]) == [
        "problem.duplicate_content"
    ]
    assert problem_keys(db, [record(2, "新题干", "G2"), record(3, "新题干")]) == [
        "problem.duplicate_item"
    ]


def test_a_file_naming_one_item_twice_is_refused_at_its_second_record(db: Database) -> None:
    """An item repeated in a file, by its guid, by its text, or once by its guid and once by
    the text it has in the bank: each second record is a problem at its own row, naming the
    first record's row, and its field is the guid only when the guid repeats."""
    store(db, [record(2, "甲题干", "G1")])

    def problems(records: list[ItemRecord]) -> list[tuple[int | None, str, str, str]]:
        with pytest.raises(ItemsRejected) as rejected:
            store(db, records)
        return [
            (p.location.row, p.field, p.key, str(p.params.get("first")))
            for p in rejected.value.problems
        ]

    first = Location("bank.xlsx", sheet="Sheet1", row=2).describe()
    assert problems([record(2, "乙题干", "G2"), record(3, "丙题干", "G2")]) == [
        (3, "guid", "problem.duplicate_item", first)
    ]
    assert problems([record(2, "乙题干"), record(3, "乙题干")]) == [
        (3, "stem", "problem.duplicate_item", first)
    ]
    # G1 by its guid (with a new text), then G1 again by the text it has in the bank
    assert problems([record(2, "丁题干", "G1"), record(3, "甲题干")]) == [
        (3, "stem", "problem.duplicate_item", first)
    ]


def test_edits_move_content_keys_and_items_may_trade_texts(db: Database) -> None:
    store(db, [record(2, "甲题干", "G1"), record(3, "乙题干", "G2")])
    store(db, [record(2, "乙题干", "G1"), record(3, "甲题干", "G2")])  # the two trade texts
    with db.transaction() as session:
        bank = find_bank(session, OCC, 4)
        by_guid = {v.guid: v.stem for v in list_items(session, bank)}
        assert by_guid == {"G1": "乙题干", "G2": "甲题干"}
        owned = dict(
            session.execute(select(Item.guid, ItemContentKey.content_key).join(Item)).all()
        )
        current = dict(
            session.execute(
                select(Item.guid, ItemVersion.content_key).join(
                    ItemVersion, Item.current_version_id == ItemVersion.id
                )
            ).all()
        )
        assert owned == current
    store(db, [record(2, "丙题干", "G1")])  # G1's old text is free for a new item
    store(db, [record(4, "乙题干", "G3")])
    keys = live_content_keys(db)
    assert len(keys) == len(set(keys)) == 3


@pytest.mark.parametrize("batch", [2, 5000])
def test_items_and_keys_are_written_with_their_batches(
    db: Database, batch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New items and changed texts' content keys go in batch by batch (`items._InOrder`),
    an item before its version, its key after: across batches of two, new items between
    two items that trade texts end as one import of a single batch does."""
    store(db, [record(2, "甲题干", "G1"), record(3, "乙题干", "G2")])
    monkeypatch.setattr("qbank.items._BATCH", batch)
    store(
        db,
        [
            record(2, "新一题干", "N1"),
            record(3, "乙题干", "G1"),
            record(4, "新二题干", "N2"),
            record(5, "新三题干"),
            record(6, "甲题干", "G2"),
            record(7, "新四题干", "N4"),
        ],
    )
    with db.transaction() as session:
        bank = find_bank(session, OCC, 4)
        stems = sorted(v.stem for v in list_items(session, bank))
        assert stems == sorted(["甲题干", "乙题干", "新一题干", "新二题干", "新三题干", "新四题干"])
        owned = dict(session.execute(select(Item.id, ItemContentKey.content_key).join(Item)).all())
        current = dict(
            session.execute(
                select(Item.id, ItemVersion.content_key).join(
                    ItemVersion, Item.current_version_id == ItemVersion.id
                )
            ).all()
        )
        assert owned == current and len(owned) == 6


def test_deleted_item_frees_its_text(db: Database) -> None:
    store(db, [record(2, "甲题干")])
    with db.transaction() as session:
        item = list_items(session, find_bank(session, OCC, 4))[0]
        delete_item(session, item.id, reason="重复", actor="tester", policy=load_policy())
    store(db, [record(2, "甲题干")])
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Item)) == 2
        assert session.scalar(select(func.count()).select_from(ItemContentKey)) == 1


def test_migration_backfills_keys_and_keeps_existing_duplicates(db_url: str) -> None:
    """A database made by the previous schema, already holding a duplicate, upgrades."""
    engine = create_engine(db_url)
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "e41c9a7d3b20")
        conn.execute(
            text(
                "INSERT INTO occupations (id, code, name, created_at) "
                "VALUES (1, :occ, '电工', CURRENT_TIMESTAMP)"
            ),
            {"occ": OCC},
        )
        conn.execute(
            text(
                "INSERT INTO banks (id, occupation_id, level, created_at) "
                "VALUES (1, 1, 4, CURRENT_TIMESTAMP)"
            )
        )
        for item_id, key in ((1, "k1"), (2, "k2"), (3, "k1"), (4, "k3")):
            conn.execute(
                text(
                    "INSERT INTO items (id, bank_id, guid, created_at, deleted_at) VALUES "
                    "(:id, 1, :guid, CURRENT_TIMESTAMP, "
                    + ("CURRENT_TIMESTAMP" if item_id == 4 else "NULL")
                    + ")"
                ),
                {"id": item_id, "guid": f"G{item_id}"},
            )
            conn.execute(
                text(
                    "INSERT INTO item_versions (id, item_id, seq, sha256, content_key, canonical, "
                    "type, stem, options, answer, knowledge_path, status, created_at, created_by) "
                    "VALUES (:id, :id, 1, :sha, :key, '{}', 'judgement', 's', '{}', 'true', '[]', "
                    "'draft', CURRENT_TIMESTAMP, 'tester')"
                ),
                {"id": item_id, "sha": f"{item_id:064d}", "key": key},
            )
            conn.execute(
                text("UPDATE items SET current_version_id = :id WHERE id = :id"), {"id": item_id}
            )
        command.upgrade(config, "c0a7e1d9b3f2")
        rows = conn.execute(
            text("SELECT item_id, content_key FROM item_content_keys ORDER BY item_id")
        ).all()
        events = conn.execute(
            text("SELECT entity_id FROM audit_events WHERE action = 'duplicate_content'")
        ).all()
        command.upgrade(config, "head")  # later migrations (the audit chain) take it from here
    engine.dispose()
    assert [tuple(r) for r in rows] == [(1, "k1"), (2, "k2")]  # first kept, deleted one skipped
    assert [r[0] for r in events] == ["3"]


def test_new_sqlite_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    old = os.umask(0)  # even a permissive umask gives no one else access
    try:
        db = open_database(str(path))
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        with db.transaction() as session:
            ensure_bank(session, OCC, 4, actor="tester")
            session.flush()
            journal = Path(f"{path}-journal")
            assert journal.exists()
            assert stat.S_IMODE(journal.stat().st_mode) == 0o600
        db.dispose()
    finally:
        os.umask(old)
    existing = tmp_path / "shared.db"
    existing.touch(mode=0o640)
    os.chmod(existing, 0o640)
    open_database(str(existing)).dispose()
    assert stat.S_IMODE(existing.stat().st_mode) == 0o640  # an existing file is left alone
