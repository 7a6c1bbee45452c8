"""`qbank db verify`: check the whole database against its own hashes and signatures."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from sqlalchemy.orm import Session

from cli._common import (
    common_options,
    database,
    emit_json,
    emit_table,
    json_option,
    qbank_errors,
    t,
)

LISTED = 200
"""Failures printed one per line before "… and N more" (`--json` lists them all)."""


@click.group("db")
def db_group() -> None:
    """数据库核验 / the database itself."""


@contextmanager
def _snapshot() -> Iterator[Session]:
    """A read-only session; on PostgreSQL one REPEATABLE READ snapshot for every check."""
    with database() as db:
        options = (
            {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
            if db.engine.dialect.name == "postgresql"
            else {}
        )
        with db.engine.connect().execution_options(**options) as conn, Session(bind=conn) as s:
            try:
                yield s
            finally:
                s.rollback()


@db_group.command("verify")
@json_option
@common_options
@qbank_errors
def db_verify(as_json: bool) -> None:
    """核验整个数据库：版本哈希、签名、审计哈希链、备案 Merkle 根、保管链与封存；全部成立时退出码为 0 / verify the whole database.

    每处问题给出固定的代码（如 VERSION_HASH_MISMATCH、REVIEW_SIGNATURE_INVALID、
    AUDIT_CHAIN_BROKEN、FILING_ROOT_MISMATCH）和所在的表与行；只读，不修改数据库。

    \b
    例 / Example:
      qbank db verify --db ./qbank.db
      qbank db verify --db postgresql+psycopg://qbank@db.example/qbank --json
    """
    from qbank.integrity import verify_database  # the checks import crypto and custody code

    progress = None
    if not as_json and sys.stderr.isatty():

        def progress(name: str) -> None:
            click.echo(t("integrity.running", check=t(f"integrity.check.{name}")), err=True)

    with _snapshot() as session:
        report = verify_database(session, progress=progress)
    if as_json:
        emit_json(report.as_dict())
    else:
        emit_table(
            [
                (t(f"integrity.check.{name}"), count.checked, count.failed)
                for name, count in report.counts.items()
            ],
            (
                t("integrity.header.check"),
                t("integrity.header.checked"),
                t("integrity.header.failures"),
            ),
        )
        if report.failures:
            click.echo()
        for failure in report.failures[:LISTED]:
            row = "" if failure.row is None else f" #{failure.row}"
            click.echo(f"{failure.code}  {failure.table}{row}  {failure.message}")
        if len(report.failures) > LISTED:
            click.echo(t("integrity.more", count=len(report.failures) - LISTED))
        click.echo()
        if report.ok:
            records = sum(c.checked for c in report.counts.values())
            click.echo(t("integrity.ok", checks=len(report.counts), records=f"{records:,}"))
        else:
            click.echo(t("integrity.failed", count=len(report.failures)))
    if not report.ok:
        raise SystemExit(1)
