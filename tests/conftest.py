"""Fixtures: a real SQLite file per test, and the real PostgreSQL server when CI names it.

PostgreSQL tests read the server's URL from `QBANK_TEST_PG_URL` (set by `.ci/run`); each
test gets its own schema, dropped afterwards, so runs never see each other's rows.

The filed sample bank (`filed_bank_db`) and the demo's whole chain (`demo_run`) are built
once per test run and shared by every xdist worker (shared_support): copy them before
changing them.
"""

from __future__ import annotations

import os
import shutil
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from browser_support import browser, chromium  # noqa: F401  (fixtures of the browser tests)
from shared_support import build_once
from sqlalchemy import create_engine, text

from qbank import keys
from qbank.db import Database, open_database
from qbank.i18n import set_language

pytest_plugins = ["_pg_report"]  # PostgreSQL coverage in the run's summary
PG_URL_VAR = "QBANK_TEST_PG_URL"
ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


PRODUCT_SCRYPT_N = keys.SCRYPT_N
"""The key files' scrypt work factor in the product (2**17: about 0.7 s of CPU a derivation)."""
TEST_SCRYPT_N = 2**12
"""The work factor of the keys tests make, except the keystore's own tests (test_keys.py),
which keep the product's. A key file records its parameters and opening it derives with
those, so keys made this way open, sign and refuse a wrong passphrase exactly like the
product's; only the cost differs. Keys that subprocesses (`qbank` run as a program, the
installed wheel) make keep the product's factor."""


@pytest.fixture(autouse=True, scope="session")
def _cheap_key_derivation() -> Iterator[None]:
    """Keys made in tests that are not about key derivation use TEST_SCRYPT_N; a module
    about it sets `keys.SCRYPT_N` back to PRODUCT_SCRYPT_N (test_keys.py does)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(keys, "SCRYPT_N", TEST_SCRYPT_N)
        yield


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The modules that hold a `slow` test run first, each whole and in collection order,
    then the rest as collected: under `--dist worksteal` (pyproject's addopts) the long tests
    start at once instead of ending the run on one worker, and module fixtures stay built
    once. Only the order changes; every collected test still runs."""
    slow = {item.module for item in items if item.get_closest_marker("slow") is not None}
    items.sort(key=lambda item: getattr(item, "module", None) not in slow)


@pytest.fixture(autouse=True)
def _language_and_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test starts in the default language with no stray QBANK_* settings."""
    for var in ("QBANK_DB", "QBANK_LANG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("QBANK_USER", "tester")
    set_language(None)
    yield
    set_language(None)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'qbank.db'}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh schema on the PostgreSQL server; skips when none is configured."""
    with pg_schema_url() as url:
        yield url


@contextmanager
def pg_schema_url() -> Iterator[str]:
    """The URL of a fresh schema on the PostgreSQL server, dropped afterwards; skips the
    test when none is configured. For fixtures of any scope."""
    base = os.environ.get(PG_URL_VAR)
    if not base:
        pytest.skip(f"PostgreSQL not configured: set {PG_URL_VAR} (e.g. by .ci/run)")
    schema = f"qbank_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    """The same test on a SQLite file and on the PostgreSQL server."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = open_database(db_url)
    yield database
    database.dispose()


FILED_STAFF = "王老师"
"""The staff member the filed bank holds besides the demo's reviewer and institution."""


_FILED: dict[str, Path] = {}


def filed_bank_path(factory: pytest.TempPathFactory) -> Path:
    """The filed sample bank (`filed_bank_db`): built once per run (shared_support), its path
    kept for this process."""
    if "path" not in _FILED:
        folder, _ = build_once(factory, "filed-bank", _build_filed_bank)
        _FILED["path"] = folder / "qbank.db"
    return _FILED["path"]


def _build_filed_bank(workspace: Path) -> dict[str, Any]:
    from qbank.people import add_person
    from workflows.demo import check_bank_overlap, import_bank, review_and_file
    from workflows.importing import BankFiles
    from workflows.types import BankRef

    files = BankFiles(
        SAMPLES / "electrician-4",
        BankRef("6-31-01-03", 4, "电工"),
        tree=("tree.xlsx",),
        items=("items.xlsx",),
        practical=tuple(f"practical/DG4-SC-0{i}.yaml" for i in range(1, 7)),
    )
    db = open_database(str(workspace / "qbank.db"))
    try:
        import_bank(db.transaction, files, lambda _line: None)
        verdicts = check_bank_overlap(db.transaction, files.bank, workspace, lambda _line: None)
        verdicts += review_and_file(db.transaction, files.bank, workspace, lambda _line: None)
        assert all(v.ok for v in verdicts), verdicts
        with db.transaction() as session:
            add_person(session, FILED_STAFF, ["staff"], actor="t")
    finally:
        db.dispose()
    return {}


@pytest.fixture(scope="session")
def filed_bank_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample bank 6-31-01-03 level 4 (tree, items.xlsx, the six practical sets in YAML)
    imported, checked for overlap, approved by the demo reviewer and filed by the demo
    institution through the demo's stages (the workflows the commands run), plus the staff
    member 王老师: a committed SQLite file, built once per test run and shared by every
    xdist worker (shared_support).
    Beside it: `keys/` (the reviewer's and the institution's, passphrase
    `workflows.demo.DEMO_PASSPHRASE`), the overlap reports and `filings/`, the package.
    Read it only: `copy_filed_bank` before changing it; PostgreSQL: `copy_to_postgresql`."""
    return filed_bank_path(tmp_path_factory)


def copy_filed_bank(source: Path, folder: Path) -> Path:
    """Copy the filed bank `source` and everything beside it (keys, reports, package) into
    `folder`; returns the copy's database path, free to change."""
    shutil.copytree(source.parent, folder, dirs_exist_ok=True)
    return folder / source.name


@dataclass(frozen=True)
class DemoRun:
    """What `qbank demo` ended with: its exit code and everything it printed (stdout and
    stderr, as click's test runner mixes them), plus the traceback of an uncaught error."""

    exit_code: int
    output: str
    error: str = ""


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoRun]:
    """`qbank demo` on the samples (import, overlap, review, filing, papers, sealing, custody,
    启封): its workspace, every record kind signed, and what the command printed. Run once per
    test run and shared by every xdist worker (shared_support), so read it only: copy
    `qbank.db` before changing it."""
    workspace, record = build_once(tmp_path_factory, "demo-chain", _run_demo)
    return workspace, DemoRun(**record)


def _run_demo(workspace: Path) -> dict[str, Any]:
    from click.testing import CliRunner

    from cli.main import cli

    # PDF masters run LibreOffice: tests/test_pdf_masters.py covers them
    result = CliRunner().invoke(cli, ["demo", "--dir", str(workspace), "--no-pdf"])
    error = ""
    if result.exc_info is not None and not isinstance(result.exception, SystemExit):
        error = "".join(traceback.format_exception(*result.exc_info))
    return {"exit_code": result.exit_code, "output": result.output, "error": error}


@pytest.fixture(scope="session")
def demo_chain(demo_run: tuple[Path, DemoRun]) -> Path:
    """The demo's workspace (see `demo_run`); the demo must have succeeded."""
    workspace, result = demo_run
    assert result.exit_code == 0, result.output + result.error
    return workspace


def copy_to_postgresql(source: Path, url: str) -> None:
    """Every row of the SQLite file `source` into the (migrated) schema at `url`, ids kept."""
    from sqlalchemy import select

    from qbank.model import Base

    open_database(url).dispose()
    src = create_engine(f"sqlite:///{source}")
    dst = create_engine(url)
    with src.connect() as read, dst.begin() as write:
        write.execute(text("SET session_replication_role = replica"))  # FK cycles, triggers
        for table in Base.metadata.sorted_tables:
            rows = [dict(r._mapping) for r in read.execute(select(table))]
            if rows:
                write.execute(table.insert(), rows)
            if "id" in table.c and rows:
                write.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), :n)"),
                    {"n": max(r["id"] for r in rows)},
                )
        write.execute(text("SET session_replication_role = DEFAULT"))
    src.dispose()
    dst.dispose()
