"""An import's token sets and signatures computed by a worker process while it writes.

The worker's results are stored as the import's own would be: the same rows, byte for byte,
whether it is used, fails, or dies on the way (the import then computes in its own process).
Also here, against the same rows: new ids read back when the id range misses them.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from test_bulk_import import OCC, records

from qbank import worker
from qbank.bank import ensure_bank
from qbank.db import Database, open_database
from qbank.items import import_items
from qbank.model import Signature, TokenSet
from qbank.overlap import fingerprint_worker
from qbank.overlap.fingerprint_worker import COMPUTE, compute
from qbank.records import ItemRecord
from qbank.worker import Worker, WorkerFailed


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 40 items, and a worker from the first text on, on any machine."""
    monkeypatch.setattr("qbank.items._BATCH", 40)
    monkeypatch.setattr(fingerprint_worker, "PARALLEL_MIN", 1)
    monkeypatch.setattr(worker, "cores", lambda: 2)


def _import(url: str, recs: list[ItemRecord]) -> tuple[list[tuple[object, ...]], ...]:
    database = open_database(url)
    try:
        with database.transaction() as session:
            bank = ensure_bank(session, OCC, 4, actor="tester", occupation_name="电工")
            import_items(session, bank, recs, source="bank.xlsx", actor="tester")
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
        return [tuple(r) for r in tokens], [tuple(r) for r in signed]
    finally:
        database.dispose()


@pytest.fixture(scope="module")
def serial(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[tuple[object, ...]], ...]:
    """The rows an import of 120 records stores computing everything in its own process."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fingerprint_worker, "PARALLEL_MIN", 10**9)
        url = f"sqlite:///{tmp_path_factory.mktemp('serial') / 'q.db'}"
        return _import(url, records(120))


def test_worker_rows_equal_serial_rows(
    small_batches: None, db_url: str, db: Database, serial: tuple[list[tuple[object, ...]], ...]
) -> None:
    started: list[Worker] = []
    real = fingerprint_worker.start

    def counted() -> Worker | None:
        started_worker = real()
        assert started_worker is not None
        started.append(started_worker)
        return started_worker

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fingerprint_worker, "start", counted)
        assert _import(db_url, records(120)) == serial
    assert len(started) == 1
    assert started[0]._process.poll() is not None  # closed with the import


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


def test_ids_read_back_when_not_above_the_last_id(
    db_url: str, monkeypatch: pytest.MonkeyPatch, serial: tuple[list[tuple[object, ...]], ...]
) -> None:
    """New rows are read back by id range; rows given smaller ids (a PostgreSQL sequence with
    a per-session cache) are looked up by guid and item instead: the import is the same."""
    monkeypatch.setattr("qbank.items._last_id", lambda session, table: 2**31 - 1)
    monkeypatch.setattr(fingerprint_worker, "PARALLEL_MIN", 10**9)
    assert _import(db_url, records(120)) == serial
