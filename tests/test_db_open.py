"""Opening a database: a current schema skips Alembic entirely; an older one still upgrades,
and one from a newer qbank still fails with its revision named."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from click.testing import CliRunner
from fresh import modules_after
from sqlalchemy import text

from cli.main import cli
from qbank.db import SQLITE_PAGE_SIZE, Database, alembic_config, head_revision, open_database

PREVIOUS_HEAD = "c0a7e1d9b3f2"


def _loaded_after(code: str, *args: str) -> set[str]:
    """Top-level module names a fresh interpreter holds after running `code`."""
    return {m.split(".")[0] for m in modules_after(code, *args)}


def _revision(database: Database) -> str:
    with database.engine.connect() as conn:
        return str(conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one())


def test_head_read_from_the_version_files_is_alembics_head() -> None:
    assert head_revision() == ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_current_database_opens_without_alembic(db: Database) -> None:
    assert db.is_current()
    loaded = _loaded_after(
        "import sys\nfrom qbank.db import open_database\nopen_database(sys.argv[1]).dispose()",
        db.url,
    )
    assert "alembic" not in loaded


def test_bank_list_on_a_current_database_imports_no_alembic(db: Database) -> None:
    loaded = _loaded_after(
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from cli.main import cli\n"
        "result = CliRunner().invoke(cli, ['--db', sys.argv[1], 'bank', 'list'])\n"
        "assert result.exit_code == 0, result.output",
        db.url,
    )
    assert not loaded & {"alembic", "jieba", "rjieba"}


def test_new_database_is_created(db_url: str) -> None:
    database = open_database(db_url)
    try:
        assert _revision(database) == head_revision()
    finally:
        database.dispose()


def test_older_database_still_upgrades(db_url: str) -> None:
    old = open_database(db_url, upgrade=False)
    config = alembic_config()
    with old.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, PREVIOUS_HEAD)
    assert old.stored_revision() == PREVIOUS_HEAD and not old.is_current()
    old.dispose()
    database = open_database(db_url)
    try:
        assert _revision(database) == head_revision()
        assert database.is_current()
    finally:
        database.dispose()


def test_database_from_a_newer_qbank_still_names_its_revision(db: Database) -> None:
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'fffffffffff0'"))
    assert not db.is_current()
    result = CliRunner().invoke(cli, ["--lang", "en", "--db", db.url, "bank", "list"])
    assert result.exit_code != 0
    assert "has schema revision fffffffffff0, which this qbank does not know" in result.output


def test_a_new_file_gets_qbanks_page_size_and_an_old_one_keeps_its_own(tmp_path: Path) -> None:
    """`qbank.db.SQLITE_PAGE_SIZE` for a file qbank creates; a file made with SQLite's default
    keeps 4096-byte pages, and its rows, when qbank opens it and writes to it."""
    new = open_database(f"sqlite:///{tmp_path / 'new.db'}")
    new.dispose()
    old_path = tmp_path / "old.db"
    with contextlib.closing(sqlite3.connect(old_path)) as plain:
        plain.execute("CREATE TABLE kept (value TEXT)")
        plain.execute("INSERT INTO kept VALUES ('先前的数据')")
        plain.commit()
    old = open_database(f"sqlite:///{old_path}")
    old.dispose()

    def page_size(path: Path) -> int:
        with contextlib.closing(sqlite3.connect(path)) as connection:
            return int(connection.execute("PRAGMA page_size").fetchone()[0])

    assert page_size(tmp_path / "new.db") == SQLITE_PAGE_SIZE == 8192
    assert page_size(old_path) == 4096
    with contextlib.closing(sqlite3.connect(old_path)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert connection.execute("SELECT value FROM kept").fetchall() == [("先前的数据",)]
        assert connection.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)
