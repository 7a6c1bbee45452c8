"""Engine, sessions and migrations.

SQLite file by default (`./qbank.db`), PostgreSQL by URL for an institution's shared server.
The URL comes from the caller (`--db`), else `QBANK_DB`, else the default. Opening a
database brings its schema up to date through Alembic, so banks kept for years upgrade in place;
a database already at the head revision is recognised with one query and Alembic is not even
imported (loading its environment costs more than most commands). A command that only reads
and prints (`bank list`, `bank show`) may read a current SQLite file through the `sqlite3`
module alone (`read_current_sqlite`), without importing SQLAlchemy, which is imported here
only where it is used.

Writers are serialised: on SQLite every transaction starts with `BEGIN IMMEDIATE` (the write
lock is taken before the first read, so what a writer looked up is still true when it writes,
and the audit chain never forks); on PostgreSQL an import takes its bank's advisory lock
(`lock_bank`). Waiting for a lock longer than the busy timeout raises `DatabaseBusy`.
"""

from __future__ import annotations

import functools
import os
import re
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qbank.errors import QbankError

if TYPE_CHECKING:  # SQLAlchemy is imported where it is used: `read_current_sqlite` needs none
    import psycopg  # only for the connect hook's annotation: importing it costs start-up time
    from alembic.config import Config
    from sqlalchemy import Connection, Engine
    from sqlalchemy.orm import Session
    from sqlalchemy.pool import ConnectionPoolEntry
    from sqlalchemy.sql import Select

DEFAULT_PATH = "qbank.db"
MIGRATIONS = Path(__file__).with_name("migrations")
DEFAULT_BUSY_TIMEOUT = 30.0
"""Seconds a writer waits for another's lock before giving up (`QBANK_BUSY_TIMEOUT` overrides)."""
PG_LOCK = "SELECT pg_advisory_xact_lock(hashtext('qbank ' || current_schema()), :key)"
"""qbank's PostgreSQL advisory lock: keyed by schema (advisory locks are database-wide, and a
server may hold several qbank schemas) and by bank id, 0 for migrations."""
SQLITE_BUSY_CODES = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED
PG_BUSY_STATES = {"55P03", "40P01"}  # lock_not_available, deadlock_detected


class DatabaseBusy(QbankError):
    """Another process holds the write lock (e.g. an import into the same bank) for longer
    than the busy timeout; nothing was written, and trying again later will do."""

    def __init__(self) -> None:
        super().__init__("db.busy")


def busy_timeout() -> float:
    """The busy timeout in seconds: `QBANK_BUSY_TIMEOUT` when it is a positive number."""
    try:
        value = float(os.environ.get("QBANK_BUSY_TIMEOUT", ""))
    except ValueError:
        return DEFAULT_BUSY_TIMEOUT
    return value if value > 0 else DEFAULT_BUSY_TIMEOUT


def is_busy(error: BaseException) -> bool:
    """Whether a database error means "someone else holds the lock", not a real failure."""
    orig = getattr(error, "orig", error)
    code = getattr(orig, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in SQLITE_BUSY_CODES
    if getattr(orig, "sqlstate", None) in PG_BUSY_STATES:
        return True
    message = str(orig)
    return "database is locked" in message or "database table is locked" in message


def resolve_url(db: str | None = None) -> str:
    """`--db` value, else `QBANK_DB`, else `./qbank.db`; a plain path becomes a SQLite URL."""
    value = db or os.environ.get("QBANK_DB") or DEFAULT_PATH
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser()}"


SQLITE_PAGE_SIZE = 8192
"""Bytes per page of a database file qbank creates (SQLite's default is 4096). An item stores
about 4 KB (its version, indexes, token set, signature, audit event); with pages twice that,
the rows of a 55,000-item import went into qbank's schema in 1.54 s instead of 1.77-1.85 s,
and `qbank import items` of that file took 7.7 s instead of 8.0 s (2026-12-04). SQLite sets
the page size of an empty file when its first table is created; an existing file keeps its
own (only VACUUM would change it)."""


def _sqlite_pragmas(
    dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry | None
) -> None:
    dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see _sqlite_begin)
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA page_size={SQLITE_PAGE_SIZE}")  # a new file's; others keep theirs
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout() * 1000)}")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    """Every transaction takes the write lock first, waiting up to the busy timeout."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _pg_settings(dbapi_connection: psycopg.Connection[Any], _record: ConnectionPoolEntry) -> None:
    """Waiting for a lock (an advisory lock, a row) ends after the busy timeout, as on SQLite."""
    cursor = dbapi_connection.cursor()
    cursor.execute(f"SET lock_timeout = {int(busy_timeout() * 1000)}")
    cursor.close()
    dbapi_connection.commit()


def create_private_sqlite_file(url: str) -> None:
    """Create a new SQLite database file readable and writable by its owner only (0600).

    SQLite gives its journal and WAL files the mode of the database file, so they stay
    private too. An existing file is left alone; a path that cannot be created is left for
    SQLite to report when it connects.
    """
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    path = parsed.database
    if not path or path == ":memory:" or path.startswith("file:") or parsed.query.get("uri"):
        return
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError:
        return
    os.close(fd)


@contextmanager
def busy_as_error() -> Iterator[None]:
    """Turn "the database is locked" / "lock timeout" into `DatabaseBusy`."""
    from sqlalchemy.exc import DBAPIError

    try:
        yield
    except DBAPIError as error:
        if is_busy(error):
            raise DatabaseBusy() from error
        raise


def lock_bank(session: Session, bank_id: int) -> None:
    """Hold the bank's import lock until the transaction ends: one import at a time per bank.

    On SQLite the transaction already holds the database's write lock (`BEGIN IMMEDIATE`);
    on PostgreSQL this takes an advisory lock on the bank, waiting up to the busy timeout.
    Call it before looking anything up that the write depends on.
    """
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy import text

        with busy_as_error():
            session.execute(text(PG_LOCK), {"key": bank_id})


_REVISION = re.compile(r"^revision\s*=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision\s*=(.*)$", re.MULTILINE)


@functools.cache
def head_revision() -> str | None:
    """The head of the shipped migrations, read from the `revision` / `down_revision` lines
    of the version files (about a millisecond, against a quarter second to load Alembic's
    script directory). None when the files do not describe one linear head, so the caller
    leaves the question to Alembic."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        revision, down = _REVISION.search(source), _DOWN_REVISION.search(source)
        if revision is None or down is None:
            return None
        revisions.add(revision.group(1))
        parents.update(re.findall(r"['\"]([^'\"]+)['\"]", down.group(1)))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(slug)s_%%(rev)s")
    return config


class Database:
    """An open qbank database: an engine and a session factory."""

    def __init__(self, url: str) -> None:
        from sqlalchemy import create_engine, event
        from sqlalchemy.orm import sessionmaker

        self.url = url
        self.engine: Engine = create_engine(url, future=True)
        if self.engine.dialect.name == "sqlite":
            create_private_sqlite_file(url)
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", _sqlite_begin)
        elif self.engine.dialect.name == "postgresql":
            event.listen(self.engine, "connect", _pg_settings)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def upgrade(self) -> None:
        """Apply every pending migration (creates the schema on a new database).

        Migrations run under the write lock (PostgreSQL: advisory lock 0), so processes
        opening a new database at once build its schema once.
        """
        from alembic import command
        from sqlalchemy import text

        config = alembic_config()
        with busy_as_error(), self.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text(PG_LOCK), {"key": 0})
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def stored_revision(self) -> str | None:
        """The revision in `alembic_version`, read without a transaction (so without taking
        the SQLite write lock); None when there is none or it cannot be read (no table yet,
        several rows, a locked or missing file): `upgrade` then says what is wrong."""
        from sqlalchemy.exc import DBAPIError

        failures = (DBAPIError, self.engine.dialect.loaded_dbapi.Error)
        try:
            raw = self.engine.raw_connection()
        except failures:
            return None
        try:
            cursor = raw.cursor()
            cursor.execute("SELECT version_num FROM alembic_version")
            rows = cursor.fetchall()
            cursor.close()
        except failures:
            return None
        finally:
            raw.rollback()
            raw.close()
        return str(rows[0][0]) if len(rows) == 1 else None

    def is_current(self) -> bool:
        """Whether the schema is already at the head of the shipped migrations."""
        head = head_revision()
        return head is not None and self.stored_revision() == head

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: committed if the block succeeds, rolled back if anything raises.

        Raises DatabaseBusy when another writer kept the lock past the busy timeout.
        """
        with busy_as_error(), self._sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(db: str | None = None, *, upgrade: bool = True) -> Database:
    """Open (and, unless told not to, migrate) the database named by `db` / `QBANK_DB`.

    A schema already at the head is left alone without loading Alembic; an older one is
    upgraded, and one Alembic does not know fails as it always has.
    """
    database = Database(resolve_url(db))
    if upgrade and not database.is_current():
        database.upgrade()
    return database


def _sqlite_file(url: str) -> str | None:
    """The file of a plain `sqlite:///path` URL, as SQLAlchemy reads it; None for anything
    else (another backend, a driver, a query string, escapes, memory, `file:` URIs)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        return None
    path = url[len(prefix) :]
    if not path or path == ":memory:" or path.startswith("file:") or any(c in path for c in "?%#"):
        return None
    return path


def sqlite_path(connection: Connection) -> str | None:
    """The file a connection's plain `sqlite:///path` database is in; None for anything else
    (another backend, memory, a URI: `_sqlite_file`)."""
    return _sqlite_file(connection.engine.url.render_as_string(hide_password=False))


def read_only_sqlite(path: str) -> sqlite3.Connection:
    """A `sqlite3` connection to the existing file `path` that cannot write it, in a read
    transaction (one snapshot; no write lock, so it reads beside a writer that holds one),
    with qbank's pragmas (the busy timeout)."""
    return _read_transaction(path, "ro")


def worker_query(
    connection: Connection, stmt: Select[*tuple[Any, ...]]
) -> tuple[str, str, list[Any]]:
    """What a worker process needs to run `stmt` on `connection`'s SQLite file itself
    (`read_only_rows`): the file as this process finds it (whatever the worker's directory),
    the statement compiled for SQLite, and its parameters in order. The caller has checked
    that the connection is to a file (`sqlite_path`)."""
    path = sqlite_path(connection)
    assert path is not None
    compiled = stmt.compile(dialect=connection.dialect)
    parameters = [compiled.params[name] for name in compiled.positiontup or ()]
    return str(Path(path).absolute()), compiled.string, parameters


@contextmanager
def read_only_rows(path: str, sql: str, parameters: Sequence[Any]) -> Iterator[sqlite3.Cursor]:
    """In a worker: the rows of `sql` (`worker_query`) from the SQLite file `path`, read in a
    read transaction of its own (`read_only_sqlite`: the caller holds the write lock, so the
    file is as the caller sees it); the connection is closed after the block."""
    connection = read_only_sqlite(path)
    try:
        yield connection.execute(sql, parameters)
    finally:
        connection.close()


def _read_transaction(path: str, mode: str) -> sqlite3.Connection:
    """A `sqlite3` connection to the existing file `path` (URI `mode`: never creating one)
    with qbank's pragmas, in a deferred transaction: one snapshot, no write lock."""
    uri = Path(path).absolute().as_uri() + f"?mode={mode}"
    connection = sqlite3.connect(uri, uri=True, timeout=busy_timeout())
    try:
        _sqlite_pragmas(connection, None)
        connection.execute("BEGIN")
    except BaseException:
        connection.close()
        raise
    return connection


def read_current_sqlite(db: str | None, statements: Mapping[str, str]) -> dict[str, Any] | None:
    """The rows of each read-only SQL statement, run in one read transaction with the
    `sqlite3` module alone (no SQLAlchemy, no write lock) when `db` names an existing SQLite
    file whose schema is at the head revision; None otherwise, or when anything but a lock
    goes wrong, so the caller opens the database the ordinary way and meets what it would have
    met (creation, migration, the error as it is explained).

    Raises DatabaseBusy when a writer holds the file past the busy timeout. For commands that
    only read and print, where importing SQLAlchemy costs more than the rest of the command.
    """
    path = _sqlite_file(resolve_url(db))
    head = head_revision()
    if path is None or head is None:
        return None
    try:
        connection = _read_transaction(path, "rw")  # an existing file: never create one
        try:
            rows = connection.execute("SELECT version_num FROM alembic_version").fetchall()
            if rows != [(head,)]:
                return None
            return {name: connection.execute(sql).fetchall() for name, sql in statements.items()}
        finally:
            connection.close()  # never wrote: closing ends the read transaction
    except sqlite3.Error as error:
        if is_busy(error):
            raise DatabaseBusy() from error
        return None
    except ValueError:  # a path no URI can name
        return None
