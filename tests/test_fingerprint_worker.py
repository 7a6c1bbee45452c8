"""An import's token sets and signatures computed by a worker process while it writes.

The worker's results are stored as the import's own would be: the same rows, byte for byte
(token sets, signatures, and the new items' versions it writes the canonical JSON and id of),
whether it is used, fails, or dies on the way (the import then computes in its own process).
Also here: new ids given in the insert, on either database, and the reads an import's writes
depend on made once, not once per batch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hostile import unprotect
from sqlalchemy import Text, event, func, select, text, type_coerce, update
from test_bulk_import import OCC, records

from exporters.items_xlsx import write_items_csv
from qbank import items, worker
from qbank.audit import ITEMS_ACTION, verify_chain
from qbank.bank import ensure_bank
from qbank.db import Database, open_database
from qbank.errors import InvalidInput
from qbank.items import (
    ItemsRejected,
    _content_keys,
    _point_at_range,
    content_key,
    import_items,
)
from qbank.json_column import json_column
from qbank.model import AuditEvent, AuditItem, Item, ItemVersion, Signature, TokenSet
from qbank.overlap import fingerprint_worker
from qbank.overlap.fingerprint_worker import COMPUTE, compute
from qbank.overlap.fingerprints import FingerprintWriter
from qbank.records import ItemRecord
from qbank.worker import Worker, WorkerFailed
from workflows.importing import import_items_file
from workflows.types import BankRef


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 40 items, and a worker from the first text on, on any machine, which keys
    the plan's last records, 25 a request."""
    monkeypatch.setattr("qbank.items._BATCH", 40)
    monkeypatch.setattr("qbank.items._KEYS_PARALLEL_MIN", 1)
    monkeypatch.setattr("qbank.items._KEYS_PART", 25)
    monkeypatch.setattr(fingerprint_worker, "PARALLEL_MIN", 1)
    monkeypatch.setattr(worker, "cores", lambda: 2)


def _import(url: str, recs: list[ItemRecord]) -> tuple[list[tuple[object, ...]], ...]:
    database = open_database(url)
    try:
        with database.transaction() as session:
            bank = ensure_bank(session, OCC, 4, actor="tester", occupation_name="电工")
            import_items(session, bank, recs, source="bank.xlsx", actor="tester")
    finally:
        database.dispose()
    return _import_rows(url)


def _import_rows(url: str) -> tuple[list[tuple[object, ...]], ...]:
    """The stored token sets and signatures, in key order, and the item versions (their id,
    number, canonical JSON and content key), in id order."""
    database = open_database(url)
    try:
        with database.transaction() as session:
            tokens = session.execute(
                select(TokenSet.text_sha256, TokenSet.tokenizer, TokenSet.tokens).order_by(
                    TokenSet.text_sha256
                )
            ).all()
            signed = session.execute(
                select(
                    Signature.text_sha256, Signature.num_perm, Signature.seed, Signature.data
                ).order_by(Signature.text_sha256)
            ).all()
            versions = session.execute(
                select(
                    ItemVersion.sha256,
                    ItemVersion.seq,
                    ItemVersion.canonical,
                    ItemVersion.content_key,
                ).order_by(ItemVersion.sha256)
            ).all()
        return [tuple(r) for r in tokens], [tuple(r) for r in signed], [tuple(r) for r in versions]
    finally:
        database.dispose()


@pytest.fixture(scope="module")
def serial(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[tuple[object, ...]], ...]:
    """The rows an import of 120 records stores computing everything in its own process."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fingerprint_worker, "PARALLEL_MIN", 10**9)
        url = f"sqlite:///{tmp_path_factory.mktemp('serial') / 'q.db'}"
        return _import(url, records(120))


def _started(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Worker, bool]]:
    """The fingerprint workers an import starts, and whether each loaded its tokenizer at once."""
    started: list[tuple[Worker, bool]] = []
    real = fingerprint_worker.start

    def counted(*, warm: bool = True) -> Worker | None:
        started_worker = real(warm=warm)
        assert started_worker is not None
        started.append((started_worker, warm))
        return started_worker

    monkeypatch.setattr(fingerprint_worker, "start", counted)
    return started


@pytest.mark.parametrize("keys_first", [True, False], ids=["keys-first", "warm-at-once"])
def test_worker_rows_equal_serial_rows(
    small_batches: None,
    db_url: str,
    db: Database,
    serial: tuple[list[tuple[object, ...]], ...],
    monkeypatch: pytest.MonkeyPatch,
    keys_first: bool,
) -> None:
    """The same rows from a worker that keys the records first and loads its tokenizer with
    its first batch, and from one that loads it at once (an import too small to share its
    content keys)."""
    if not keys_first:
        monkeypatch.setattr("qbank.items._KEYS_PARALLEL_MIN", 10**9)
    started = _started(monkeypatch)
    assert _import(db_url, records(120)) == serial
    assert [warm for _, warm in started] == [not keys_first]
    assert started[0][0]._process.poll() is not None  # closed with the import


def test_failed_worker_falls_back(
    small_batches: None, tmp_path, monkeypatch: pytest.MonkeyPatch, serial
) -> None:
    """A computation that fails in the worker, or a worker killed mid-import: the import
    computes the rest itself and stores the same rows."""
    calls = {"n": 0}
    real = Worker.result

    def failing(self: Worker, number: int) -> object:
        calls["n"] += 1
        if calls["n"] == 3:
            raise WorkerFailed("ValueError('planted')")
        return real(self, number)

    monkeypatch.setattr(Worker, "result", failing)
    assert _import(f"sqlite:///{tmp_path / 'a.db'}", records(120)) == serial

    def killed(self: Worker, number: int) -> object:
        if number == 2:
            self._process.kill()
            self._process.wait()
        return real(self, number)

    monkeypatch.setattr(Worker, "result", killed)
    assert _import(f"sqlite:///{tmp_path / 'b.db'}", records(120)) == serial


def test_an_empty_banks_first_batches_go_before_the_plan(
    small_batches: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, serial
) -> None:
    """An import into an empty bank sends its first batches to the worker before it plans
    (`items._send_first`); batches sent for other records than the plan's first ones are
    dropped with the worker's results, and the import stores the same rows. A file the
    plan refuses stores nothing and leaves no worker running."""
    sent: list[list[ItemRecord]] = []
    real = items._send_first

    def recorded(recs: Any, *args: Any) -> Any:
        batches = real(recs, *args)
        sent.extend(b.records for b in batches)
        return batches

    monkeypatch.setattr(items, "_send_first", recorded)
    recs = records(120)
    assert _import(f"sqlite:///{tmp_path / 'a.db'}", recs) == serial
    assert [[r.stem for r in b] for b in sent] == [
        [r.stem for r in recs[:40]],
        [r.stem for r in recs[40:80]],
    ]

    def misplaced(recs: Any, *args: Any) -> Any:  # the batches of other records
        return real(list(reversed(recs)), *args)

    monkeypatch.setattr(items, "_send_first", misplaced)
    assert _import(f"sqlite:///{tmp_path / 'b.db'}", recs) == serial

    started = _started(monkeypatch)
    monkeypatch.setattr(items, "_send_first", recorded)
    sent.clear()
    refused = tmp_path / "c.db"
    with pytest.raises(ItemsRejected):
        _import(f"sqlite:///{refused}", [*recs, recs[5]])  # a text twice
    assert len(sent) == 2 and all(w._process.poll() is not None for w, _ in started)
    assert _import_rows(f"sqlite:///{refused}") == ([], [], [])


def test_worker_computes_what_compute_gives() -> None:
    texts = [(r.stem, tuple(r.options.values())) for r in records(60)]
    started = fingerprint_worker.start()
    assert started is not None
    try:
        first = started.submit(COMPUTE, texts[:30], 128, 1, True)
        second = started.submit(COMPUTE, texts[30:], 64, 7, False)
        assert started.result(first) == compute(texts[:30], 128, 1, True)
        assert started.result(second) == compute(texts[30:], 64, 7, False)
    finally:
        started.close()


def test_new_ids_given_in_the_insert(
    small_batches: None, db_url: str, serial: tuple[list[tuple[object, ...]], ...]
) -> None:
    """New items and versions get their ids in the insert (`qbank.items._new_ids`), none read
    back: on PostgreSQL from the columns' sequences wherever they stand (moved ahead here, as
    other sessions' cached values leave them), on SQLite after the largest id. Every item
    points at its own new version, and the token sets and signatures are the serial ones."""
    database = open_database(db_url)
    try:
        with database.transaction() as session:
            bank = ensure_bank(session, OCC, 4, actor="tester", occupation_name="电工")
            if session.get_bind().dialect.name == "postgresql":
                for table in ("items", "item_versions"):
                    session.execute(
                        text("SELECT setval(pg_get_serial_sequence(:t, 'id'), 5000)"),
                        {"t": table},
                    )
            import_items(session, bank, records(120), source="bank.xlsx", actor="tester")
        with database.transaction() as session:
            rows = session.execute(
                select(Item.id, Item.current_version_id, ItemVersion.item_id, ItemVersion.seq)
                .join(ItemVersion, ItemVersion.id == Item.current_version_id)
                .order_by(Item.id)
            ).all()
            versions = session.scalar(select(func.count()).select_from(ItemVersion))
        assert len(rows) == 120 and versions == 120
        assert all(item == owner and seq == 1 for item, _, owner, seq in rows)
        ids = [item for item, *_ in rows]
        low = 5001 if db_url.startswith("postgresql") else 1
        assert ids == list(range(low, low + 120))
        assert sorted(version for _, version, *_ in rows) == list(range(low, low + 120))
    finally:
        database.dispose()
    assert _import_rows(db_url) == serial


def test_the_worker_keys_the_plans_last_records(small_batches: None, tmp_path) -> None:
    """The content keys the fingerprint writer's worker computes are this process's own, in
    record order; when it fails (here: it has died), the rest is keyed here and the writer
    goes on without it."""
    recs = records(130)
    local = [content_key(r.type.value, r.stem, r.options) for r in recs]
    database = open_database(f"sqlite:///{tmp_path / 'k.db'}")
    try:
        for dies in (False, True):
            with database.transaction() as session:
                writer = FingerprintWriter(session, clean=True, texts=len(recs))
                try:
                    assert writer.worker is not None
                    if dies:
                        writer.worker._process.kill()
                    assert _content_keys(recs, writer) == local
                    assert (writer.worker is None) is dies
                finally:
                    writer.close()
    finally:
        database.dispose()


def test_an_import_reads_as_much_for_ten_batches_as_for_two(
    small_batches: None, db_url: str
) -> None:
    """Ids, earlier versions, the audit chain's tail and the tokenizer's row are read before the
    batches are written, not once per batch of 40: importing 400 items sends the database as
    many queries as importing 80 (into another bank), and the batches' events chain and
    name their items."""
    database = open_database(db_url)
    queries: list[str] = []

    def count(*args: object) -> None:
        statement = str(args[2]).lstrip().upper()
        if statement.startswith(("SELECT", "WITH")) or " RETURNING " in statement:
            queries.append(statement)

    event.listen(database.engine, "before_cursor_execute", count)
    counts = []
    try:
        for occupation, items in ((OCC, 80), ("6-31-01-04", 400)):
            with database.transaction() as session:
                bank = ensure_bank(session, occupation, 4, actor="tester", occupation_name="工")
                del queries[:]
                import_items(session, bank, records(items), source="bank.xlsx", actor="tester")
                counts.append(len(queries))
        with database.transaction() as session:
            events = session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == ITEMS_ACTION)
            )
            named = session.scalar(select(func.count()).select_from(AuditItem))
            problems = verify_chain(session)
    finally:
        event.remove(database.engine, "before_cursor_execute", count)
        database.dispose()
    assert (events, named, problems) == (12, 480, [])
    assert counts[0] == counts[1], counts


def test_worker_leaves_stored_rows_as_they_are(
    small_batches: None, db_url: str, serial: tuple[list[tuple[object, ...]], ...]
) -> None:
    """The worker computes every text of a batch, stored or not, and the import inserts only
    what is missing: texts another bank stored already are kept as they are (a damaged token
    row too: its readers recompute it), a missing signature is written, nothing collides."""
    database = open_database(db_url)
    try:
        with database.transaction() as session:
            bank = ensure_bank(session, OCC, 4, actor="tester", occupation_name="电工")
            import_items(session, bank, records(60), source="a.xlsx", actor="tester")
        with database.transaction() as session:
            keys = list(
                session.scalars(select(TokenSet.text_sha256).order_by(TokenSet.text_sha256))
            )
        damaged, unsigned = keys[0], keys[1]
        cast = "CAST(:v AS JSON)" if db_url.startswith("postgresql") else ":v"
        with database.engine.begin() as conn:
            unprotect(conn, "token_sets", "minhash_signatures")
            conn.execute(
                text(f"UPDATE token_sets SET tokens = {cast} WHERE text_sha256 = :k"),
                {"v": '{"a": 1}', "k": damaged},
            )
            conn.execute(
                text("DELETE FROM minhash_signatures WHERE text_sha256 = :k"), {"k": unsigned}
            )
        with database.transaction() as session:
            other = ensure_bank(session, "6-31-01-04", 4, actor="tester", occupation_name="钳工")
            summary = import_items(session, other, records(120), source="b.xlsx", actor="tester")
            assert summary.new_items == 120
        with database.transaction() as session:
            kept = session.execute(
                select(func.count()).select_from(TokenSet).where(TokenSet.text_sha256 == damaged)
            ).scalar()
            raw = session.execute(
                select(type_coerce(TokenSet.tokens, Text)).where(TokenSet.text_sha256 == damaged)
            ).scalar()
    finally:
        database.dispose()
    assert kept == 1 and json_column(raw) == {"a": 1}  # text on SQLite, decoded by psycopg
    tokens, signed, _ = _import_rows(db_url)  # two banks' versions: not the serial import's
    expected_tokens, expected_signed, _ = serial
    assert [r for r in tokens if r[0] != damaged] == [r for r in expected_tokens if r[0] != damaged]
    assert signed == expected_signed  # the deleted signature written again, the same bytes


def test_pointers_set_over_an_id_range_only_where_it_holds_the_batch(db: Database) -> None:
    """A batch's new versions point their items with one UPDATE over their id range on
    SQLite, where the ids are the next ones under the write lock; rows whose ids are not
    consecutive, and PostgreSQL, whose sequence may interleave other writers' ids, are left to
    the row-by-row update (nothing written here)."""
    with db.transaction() as session:
        bank = ensure_bank(session, OCC, 4, actor="tester", occupation_name="电工")
        import_items(session, bank, records(3), source="bank.xlsx", actor="tester")
        versions = session.execute(
            select(ItemVersion.id, ItemVersion.item_id).order_by(ItemVersion.id)
        ).all()
        rows = [{"id": v, "item_id": i} for v, i in versions]
        sqlite = session.get_bind().dialect.name == "sqlite"
        session.execute(update(Item).values(current_version_id=None))
        assert _point_at_range(session, [rows[0]["id"], rows[2]["id"]]) is False
        assert session.scalar(select(func.count()).where(Item.current_version_id.is_not(None))) == 0
        assert _point_at_range(session, [row["id"] for row in rows]) is sqlite
        pointed = session.execute(select(Item.id, Item.current_version_id)).all()
        expected = {(i, v if sqlite else None) for v, i in versions}
        assert set(pointed) == expected
        session.rollback()


def _file_import(
    path: Path, url: str, monkeypatch: pytest.MonkeyPatch, *, dry_run: bool = False
) -> list[int]:
    """Import `path` with the workflow into a new bank at `url`; the number of fingerprint
    workers started when the file began to be read (`importers.dispatch.read_items`)."""
    import importers.dispatch

    started_before: list[int] = []
    real = importers.dispatch.read_items
    started = _started(monkeypatch)

    def read(*args: Any, **kwargs: Any) -> Any:
        started_before.append(len(started))
        return real(*args, **kwargs)

    monkeypatch.setattr(importers.dispatch, "read_items", read)
    database = open_database(url)
    try:
        import_items_file(
            database.transaction,
            BankRef(OCC, 4, "电工"),
            path,
            actor="tester",
            create=True,
            dry_run=dry_run,
        )
    finally:
        database.dispose()
    assert all(w._process.poll() is not None for w, _ in started)  # none left running
    return [*started_before, len(started)]


def test_a_large_files_worker_starts_before_the_file_is_read(
    small_batches: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From `worker.EARLY_START_BYTES` on, the import workflow starts the fingerprint worker
    before it reads the file (it loads the tokenizer while the file is parsed) and the
    import uses that worker: one worker in all, the same rows as one started after the
    read. A dry run starts none; a file with too few texts for a worker closes it unused;
    so does a file that cannot be read."""
    path = tmp_path / "bank.csv"
    write_items_csv(records(120), path)
    monkeypatch.setattr(worker, "EARLY_START_BYTES", path.stat().st_size + 1)
    late = tmp_path / "late.db"
    assert _file_import(path, f"sqlite:///{late}", monkeypatch) == [0, 1]  # after the read

    monkeypatch.setattr(worker, "EARLY_START_BYTES", path.stat().st_size)
    early = tmp_path / "early.db"
    assert _file_import(path, f"sqlite:///{early}", monkeypatch) == [1, 1]  # before it
    assert _import_rows(f"sqlite:///{early}") == _import_rows(f"sqlite:///{late}")

    assert _file_import(path, f"sqlite:///{tmp_path / 'dry.db'}", monkeypatch, dry_run=True) == [
        0,
        0,
    ]
    monkeypatch.setattr(fingerprint_worker, "PARALLEL_MIN", 1000)  # too few texts
    assert _file_import(path, f"sqlite:///{tmp_path / 'few.db'}", monkeypatch) == [1, 1]
    unreadable = tmp_path / "bank.xlsx"
    unreadable.write_bytes(b"PK\x03\x04" + b"\x00" * path.stat().st_size)
    with pytest.raises(InvalidInput):
        _file_import(unreadable, f"sqlite:///{tmp_path / 'bad.db'}", monkeypatch)
