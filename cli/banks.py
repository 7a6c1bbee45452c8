"""`qbank bank list|show`: what each bank holds."""

from __future__ import annotations

import click

from cli._common import (
    common_options,
    emit_json,
    emit_table,
    json_option,
    qbank_errors,
    t,
    transaction,
)
from qbank.bank import LEVEL_NAMES, BankSummary, find_bank, list_banks, summarize


@click.group("bank")
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
    with transaction() as session:
        summaries = list_banks(session)
    if as_json:
        emit_json([s.as_dict() for s in summaries])
    else:
        print_banks(summaries)


@bank_group.command("show")
@click.option("--occupation", required=True, metavar="CODE", help="职业编码 / occupation code")
@click.option("--level", type=int, required=True, help="等级 1–5 / level")
@json_option
@common_options
@qbank_errors
def bank_show(occupation: str, level: int, as_json: bool) -> None:
    """显示一个题库的题量、套数与细目表 / show one bank.

    \b
    例 / Example:
      qbank bank show --occupation 6-31-01-03 --level 4
    """
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
