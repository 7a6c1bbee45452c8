"""What a hostile database administrator does before editing records: drop the protection.

Tests that simulate tampering with immutable rows (versions, reviews, filings, papers once
sealed, custody records, audit events) call `unprotect` first, as such an administrator
would; the database itself refuses the edit otherwise.
"""

from __future__ import annotations

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session


def unprotect(conn: Connection | Session, *tables: str) -> None:
    """Drop qbank's UPDATE/DELETE/TRUNCATE refusal triggers on `tables` (inside the caller's
    transaction: on PostgreSQL a rollback restores them)."""
    dialect = conn.get_bind().dialect if isinstance(conn, Session) else conn.dialect
    postgres = dialect.name == "postgresql"
    for table in tables:
        if postgres:
            names = conn.scalars(
                text(
                    "SELECT tgname FROM pg_trigger WHERE tgrelid = CAST(:t AS regclass) "
                    "AND NOT tgisinternal AND tgname LIKE 'qbank_%'"
                ),
                {"t": table},
            ).all()
            for name in names:
                conn.execute(text(f'DROP TRIGGER IF EXISTS "{name}" ON {table}'))
        else:
            names = conn.scalars(
                text(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t "
                    "AND name LIKE 'qbank_%'"
                ),
                {"t": table},
            ).all()
            for name in names:
                conn.execute(text(f'DROP TRIGGER IF EXISTS "{name}"'))
