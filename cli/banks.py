"""`qbank bank new|list|show|check`: make a bank on purpose, and what each bank holds.

The engine is imported inside each command: `bank list` on a current SQLite file reads it
through `sqlite3` alone (`qbank.db.read_current_sqlite`) and never loads SQLAlchemy.
"""

from __future__ import annotations

from pathlib import Path

import click

from cli._common import (
    DB_INT,
    common_options,
    emit_json,
    emit_table,
    json_option,
    qbank_errors,
    t,
    transaction,
)
from cli._lazy import LazyGroup
from qbank.bank_list import LEVEL_NAMES, BankSummary


@click.group(
    "bank",
    cls=LazyGroup,
    lazy={
        "file": (
            "cli.filing:bank_file",
            "备案：符合条件时冻结题库快照、签名并写出备案包 / file a compliant bank.",
        )
    },
)
def bank_group() -> None:
    """题库概况 / banks."""


def _row(s: BankSummary) -> tuple[object, ...]:
    return (
        s.occupation,
        s.occupation_name,
        f"{s.level}（{LEVEL_NAMES[s.level][0]}）",
        s.items,
        s.by_type.get("judgement", 0),
        s.by_type.get("single", 0),
        s.by_type.get("multiple", 0),
        s.practical_sets,
        s.knowledge_points,
    )


def bank_headers() -> tuple[str, ...]:
    return tuple(
        t(f"cli.col.{c}")
        for c in (
            "occupation",
            "name",
            "level",
            "items",
            "judgement",
            "single",
            "multiple",
            "practical_sets",
            "knowledge_points",
        )
    )


def print_banks(summaries: list[BankSummary]) -> None:
    emit_table([_row(s) for s in summaries], bank_headers())


@bank_group.command("new")
@click.option("--occupation", required=True, metavar="CODE", help="职业编码，如 6-31-01-03")
@click.option("--level", type=DB_INT, required=True, help="等级 1–5 / level")
@click.option("--name", required=True, help="职业（工种）名称，如 电工 / occupation name")
@json_option
@common_options
@qbank_errors
def bank_new(occupation: str, level: int, name: str, as_json: bool) -> None:
    """新建题库；导入前先建好，编码打错时不会悄悄多出一个题库 / create a bank.

    \b
    例 / Example:
      qbank bank new --occupation 6-31-01-03 --level 4 --name 电工
    """
    from qbank import audit
    from workflows.importing import new_bank
    from workflows.types import BankRef

    summary = new_bank(transaction, BankRef(occupation, level, name), actor=audit.current_actor())
    if as_json:
        emit_json(summary.as_dict())
    else:
        click.echo(
            t(
                "bank.created",
                occupation=summary.occupation,
                name=summary.occupation_name,
                level=LEVEL_NAMES[summary.level][0],
            )
        )


@bank_group.command("list")
@json_option
@common_options
@qbank_errors
def bank_list(as_json: bool) -> None:
    """列出所有题库 / list banks.

    \b
    例 / Example:
      qbank bank list --json
    """
    summaries = _list_banks()
    if as_json:
        emit_json([s.as_dict() for s in summaries])
    else:
        print_banks(summaries)


def _read_summaries() -> list[BankSummary] | None:
    """Every bank's summary read from a current SQLite file through `sqlite3` alone (the
    listing's statements, compiled), the same as `qbank.bank` gives them but sooner; None
    when the database is anything else."""
    from qbank.bank_list import SQLITE_STATEMENTS, summaries
    from qbank.db import read_current_sqlite

    root = click.get_current_context().find_root()
    rows = read_current_sqlite((root.obj or {}).get("db"), SQLITE_STATEMENTS)
    return None if rows is None else summaries(rows)


def _list_banks() -> list[BankSummary]:
    """`qbank.bank.list_banks`, read without SQLAlchemy where it can be."""
    found = _read_summaries()
    if found is not None:
        return found
    from qbank.bank import list_banks

    with transaction() as session:
        return list_banks(session)


@bank_group.command("show")
@click.option("--occupation", required=True, metavar="CODE", help="职业编码 / occupation code")
@click.option("--level", type=DB_INT, required=True, help="等级 1–5 / level")
@json_option
@common_options
@qbank_errors
def bank_show(occupation: str, level: int, as_json: bool) -> None:
    """显示一个题库的题量、套数与细目表 / show one bank.

    \b
    例 / Example:
      qbank bank show --occupation 6-31-01-03 --level 4
    """
    from qbank.bank_list import pick

    found = _read_summaries()
    if found is not None:
        summary = pick(found, occupation, level)
    else:
        from qbank.bank import find_bank, summarize

        with transaction() as session:
            summary = summarize(session, find_bank(session, occupation, level))
    if as_json:
        emit_json(summary.as_dict())
    else:
        print_banks([summary])
        if summary.by_status:
            click.echo(
                t("cli.by_status")
                + "，".join(f"{k} {v}" for k, v in sorted(summary.by_status.items()))
            )


@bank_group.command("check")
@click.option("--occupation", required=True, metavar="CODE", help="职业编码 / occupation code")
@click.option("--level", type=DB_INT, required=True, help="等级 1–5 / level")
@click.option(
    "--policy", "policy_file", type=click.Path(path_type=Path), help="政策文件 / policy profile"
)
@json_option
@common_options
@qbank_errors
def bank_check(occupation: str, level: int, policy_file: Path | None, as_json: bool) -> None:
    """检查题库是否满足备案条件（题量、套数、重复率、审核、细目表）；不满足时退出码非 0 / compliance.

    \b
    例 / Example:
      qbank bank check --occupation 6-31-01-03 --level 4 --json
    """
    from qbank import audit
    from qbank.bank import find_bank
    from qbank.compliance import check_bank  # overlap checks load numba: only for this command
    from qbank.policy import load_policy

    policy = load_policy(policy_file)
    with transaction() as session:
        bank = find_bank(session, occupation, level)
        result = check_bank(session, bank, policy, actor=audit.current_actor())
    if as_json:
        emit_json(result.as_dict())
    else:
        emit_table(
            [
                (
                    t(f"rule.{r.rule}"),
                    t("rule.ok") if r.ok else t("rule.not_ok"),
                    r.value,
                    r.limit,
                    r.source,
                )
                for r in result.rules
            ],
            tuple(t(f"rule.col.{c}") for c in ("rule", "ok", "value", "limit", "source")),
        )
        click.echo(t("rule.compliant" if result.compliant else "rule.not_compliant"))
    if not result.compliant:
        raise SystemExit(1)
