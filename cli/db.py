"""`qbank db verify`: check the whole database against its own hashes and signatures."""

from __future__ import annotations

from pathlib import Path

import click

from cli._common import (
    common_options,
    emit_json,
    emit_table,
    json_option,
    progress,
    qbank_errors,
    t,
)
from cli.identities import identity_options, keyring_from
from qbank.db import resolve_url

LISTED = 200
"""Failures printed one per line before "… and N more" (`--json` lists them all)."""


@click.group("db")
def db_group() -> None:
    """数据库核验 / the database itself."""


@db_group.command("verify")
@identity_options
@json_option
@common_options
@qbank_errors
def db_verify(as_json: bool, identity_files: tuple[Path, ...], identity_person: str | None) -> None:
    """核验整个数据库：版本哈希、签名、审计哈希链、备案 Merkle 根、保管链与封存；全部成立时退出码为 0 / verify the whole database.

    每处问题给出固定的代码（如 VERSION_HASH_MISMATCH、REVIEW_SIGNATURE_INVALID、
    AUDIT_CHAIN_BROKEN、FILING_ROOT_MISMATCH）和所在的表与行。只读：不创建、不升级数据库
    （结构版本不符时请先运行 qbank init），也不占写锁。给出 age 身份（--identity /
    --identity-person）时，还解密已封存的试卷，核对其承诺值，并核对已启封试卷的明文组成。

    \b
    例 / Example:
      qbank db verify --db ./qbank.db
      qbank db verify --db postgresql+psycopg://qbank@db.example/qbank --json
      qbank db verify --identity-person 督导员
    """
    from qbank.integrity import CHECKS, snapshot, verify_database  # crypto: only when run

    keyring = (
        keyring_from(identity_files, identity_person)
        if (identity_files or identity_person)
        else None
    )
    url = resolve_url((click.get_current_context().find_root().obj or {}).get("db"))
    with snapshot(url) as session, progress(shown=not as_json) as advance:
        report = verify_database(
            session,
            progress=lambda name: advance("check", CHECKS.index(name), len(CHECKS)),
            keyring=keyring,
        )
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
        if report.unopened:
            click.echo(t("integrity.unopened", papers=", ".join(map(str, report.unopened))))
        click.echo()
        if report.ok:
            records = sum(c.checked for c in report.counts.values())
            click.echo(t("integrity.ok", checks=len(report.counts), records=f"{records:,}"))
        else:
            click.echo(t("integrity.failed", count=len(report.failures)))
    if not report.ok:
        raise SystemExit(1)
