"""Engine, sessions and migrations.

SQLite file by default (`./qbank.db`), PostgreSQL by URL for an institution's shared server.
The URL comes from the caller (`--db`), else `QBANK_DB`, else the default. Opening a
database brings its schema up to date through Alembic, so banks kept for years upgrade in place.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_PATH = "qbank.db"
MIGRATIONS = Path(__file__).with_name("migrations")


def resolve_url(db: str | None = None) -> str:
    """`--db` value, else `QBANK_DB`, else `./qbank.db`; a plain path becomes a SQLite URL."""
    value = db or os.environ.get("QBANK_DB") or DEFAULT_PATH
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser()}"


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(slug)s_%%(rev)s")
    return config


class Database:
    """An open qbank database: an engine and a session factory."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = create_engine(url, future=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def upgrade(self) -> None:
        """Apply every pending migration (creates the schema on a new database)."""
        config = alembic_config()
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: committed if the block succeeds, rolled back if anything raises."""
        with self._sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(db: str | None = None, *, upgrade: bool = True) -> Database:
    """Open (and, unless told not to, migrate) the database named by `db` / `QBANK_DB`."""
    database = Database(resolve_url(db))
    if upgrade:
        database.upgrade()
    return database
