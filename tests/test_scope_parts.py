"""A large scope's last part re-hashed by a worker process gives the check it gave alone.

`qbank.overlap.stored_scope.scope_rows_in_parts` hands the last 48% of a large SQLite scope's
rows to a worker (`qbank.overlap.scope_rows.scope_part`, reading the file in its own read
transaction beside the check's write lock) while the check's process re-hashes the rest. Held
here: the report is the one the check makes alone, the worker really did its part, a tampered
version in the worker's part is refused as it is without a worker, a worker that cannot start
changes nothing, and the worker's module loads neither the overlap engine nor the ORM.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from fresh import modules_after
from hostile import unprotect
from sqlalchemy import select, update
from test_bulk_import import OCC, records, store
from test_overlap2_stored import lsh_policy
from worker_answers import watch

from qbank import worker as workers
from qbank.bank import find_bank
from qbank.content import ContentTampered
from qbank.db import Database, open_database
from qbank.model import Item, ItemVersion
from qbank.overlap import fingerprints, stored, stored_scope
from qbank.overlap.checks import check_theory
from qbank.overlap.report import report_bytes


@pytest.fixture(scope="module")
def bank_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file holding a bank of 240 items (every tenth a near copy)."""
    path = tmp_path_factory.mktemp("scope") / "q.db"
    db = open_database(f"sqlite:///{path}")
    store(db, records(240))
    db.dispose()
    return path


def _report(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parts: int) -> dict:
    """The check's report of the bank (its time left out), with a worker from `parts` items."""
    monkeypatch.setattr(stored_scope, "PARALLEL_SCOPE", parts)
    db = Database(f"sqlite:///{path}")
    try:
        with db.transaction() as session:
            report = check_theory(
                session, find_bank(session, OCC, 4), lsh_policy(tmp_path), actor="t"
            )
            session.rollback()  # the report row is not kept: each run sees the same file
    finally:
        db.dispose()
    document = json.loads(report_bytes(report))
    document.pop("generated_at")
    return document


def test_a_worker_half_gives_the_report_of_one_process(
    bank_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    answered = watch(monkeypatch)
    alone = _report(bank_file, tmp_path, monkeypatch, 10**9)
    assert answered == []
    in_parts = _report(bank_file, tmp_path, monkeypatch, 100)
    assert in_parts == alone
    assert alone["method"]["name"] == "minhash-lsh" and alone["pairs"]
    assert len(answered) == 1  # the worker's part: the last 48% (115 of 240)
    ids, guids, versions, digests = answered[0]  # type: ignore[misc]
    assert len(ids) == len(guids) == len(versions) == len(digests) // 32 == 115
    assert [item["id"] for item in alone["items"]][125:] == ids


def test_scans_in_two_parts_give_the_report_of_one_process(
    bank_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scope's signatures and the candidates' token sets, each table read by this process
    and a worker (`stored.PARALLEL_SCAN` reached), give the report read alone."""
    monkeypatch.setattr(fingerprints, "SCAN_FACTOR", 10**9)
    alone = _report(bank_file, tmp_path, monkeypatch, 10**9)
    monkeypatch.setattr(stored, "PARALLEL_SCAN", 0)
    started: list[str | None] = []
    start = workers.start_worker
    monkeypatch.setattr(
        workers, "start_worker", lambda warm=None: started.append(warm) or start(warm)
    )
    assert _report(bank_file, tmp_path, monkeypatch, 10**9) == alone
    assert started == ["qbank.overlap.scan_parts:loaded"] * 2  # signatures, then token sets


def test_a_tampered_version_in_the_worker_part_is_refused_as_alone(
    bank_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "tampered.db"
    copy.write_bytes(bank_file.read_bytes())
    db = Database(f"sqlite:///{copy}")
    with db.engine.begin() as conn:
        unprotect(conn, "item_versions")
        last = conn.scalar(select(Item.current_version_id).order_by(Item.id.desc()).limit(1))
        conn.execute(update(ItemVersion).where(ItemVersion.id == last).values(stem="改过的题干"))
    db.dispose()
    messages = []
    for parts in (10**9, 100):
        with pytest.raises(ContentTampered) as refused:
            _report(copy, tmp_path, monkeypatch, parts)
        messages.append(str(refused.value))
    assert messages[0] == messages[1]


def test_without_a_worker_the_check_reads_every_row_itself(
    bank_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    alone = _report(bank_file, tmp_path, monkeypatch, 10**9)
    monkeypatch.setattr("qbank.worker.start_worker", lambda warm=None: None)
    assert _report(bank_file, tmp_path, monkeypatch, 100) == alone


def test_a_large_scope_without_candidates_reports_no_pairs(
    bank_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LSH that finds no candidate pair (distinct texts) asks for no token sets: the report
    has no pairs, where reading no rows once failed."""
    none = (np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64))
    monkeypatch.setattr(stored_scope.numpy_bands, "candidates", lambda *args, **kw: none)
    report = _report(bank_file, tmp_path, monkeypatch, 10**9)
    assert report["method"]["name"] == "minhash-lsh"
    assert report["pairs"] == [] and len(report["items"]) == 240


def test_the_worker_module_loads_no_engine_and_no_orm() -> None:
    """What keeps the worker's start near 0.1 s: `qbank.overlap.scope_rows` and what it
    imports load none of numpy, numba, SQLAlchemy or the ORM model."""
    loaded = modules_after("import qbank.overlap.scope_rows")
    assert loaded & {"numpy", "numba", "sqlalchemy", "qbank.model"} == set()
