"""`qbank db verify`: check the whole database against its own hashes and signatures."""

from __future__ import annotations

import sys

import click

from cli._common import (
    common_options,
    emit_json,
    emit_table,
    json_option,
    qbank_errors,
    t,
)
from qbank.db import resolve_url

LISTED = 200
"""Failures printed one per line before "… and N more" (`--json` lists them all)."""


@click.group("db")
def db_group() -> None:
    """数据库核验 / the database itself."""


@db_group.command("verify")
@json_option
@common_options
@qbank_errors
def db_verify(as_json: bool) -> None:
    """核验整个数据库：版本哈希、签名、审计哈希链、备案 Merkle 根、保管链与封存；全部成立时退出码为 0 / verify the whole database.

    每处问题给出固定的代码（如 VERSION_HASH_MISMATCH、REVIEW_SIGNATURE_INVALID、
    AUDIT_CHAIN_BROKEN、FILING_ROOT_MISMATCH）和所在的表与行。

    \b
    例 / Example:
      qbank db verify --db ./qbank.db
      qbank db verify --db postgresql+psycopg://qbank@db.example/qbank --json

    只读：不创建、不升级数据库（结构版本不符时请先运行 qbank init），也不占写锁。
    """
    from qbank.integrity import snapshot, verify_database  # crypto, custody: only when run

    progress = None
    if not as_json and sys.stderr.isatty():

        def progress(name: str) -> None:
            click.echo(t("integrity.running", check=t(f"integrity.check.{name}")), err=True)

    url = resolve_url((click.get_current_context().find_root().obj or {}).get("db"))
    with snapshot(url) as session:
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
