"""`qbank practical list|show`: the practical paper sets stored in a bank, as they are stored."""

from __future__ import annotations

from typing import Any

import click

from cli._common import (
    DB_INT,
    F,
    common_options,
    emit_json,
    emit_table,
    json_option,
    qbank_errors,
    t,
    transaction,
)
from qbank.bank import find_bank
from qbank.practical import PracticalSetView, set_views
from qbank.text.normalize import format_number


def _bank_options(fn: F) -> F:
    fn = click.option("--level", type=DB_INT, required=True, help="等级 1–5 / level")(fn)
    fn = click.option(
        "--occupation", required=True, metavar="CODE", help="职业编码 / occupation code"
    )(fn)
    return fn


@click.group("practical")
def practical_group() -> None:
    """操作技能试卷 / practical paper sets."""


def _minutes(value: int | None) -> str:
    return (
        t("cli.practical.minutes", minutes=value)
        if value is not None
        else t("cli.practical.no_time")
    )


def _summary(view: PracticalSetView) -> dict[str, Any]:
    content = view.content
    return {
        "code": view.code,
        "version": view.version,
        "seq": view.seq,
        "status": view.status,
        "title": content["title"],
        "tasks": len(content["tasks"]),
        "total_score": view.total_score,
        "total_minutes": content["total_minutes"],
        "vetoes": view.vetoes,
        "venue_prep": len(content["venue_prep"]),
        "candidate_prep": len(content["candidate_prep"]),
    }


@practical_group.command("list")
@_bank_options
@json_option
@common_options
@qbank_errors
def practical_list(occupation: str, level: int, as_json: bool) -> None:
    """列出题库中的操作技能试卷 / list a bank's practical sets.

    \b
    例 / Example:
      qbank practical list --occupation 6-31-01-03 --level 4 --json
    """
    with transaction() as session:
        views = set_views(session, find_bank(session, occupation, level))
    rows = [_summary(v) for v in views]
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo(t("cli.practical.none"))
        return
    emit_table(
        [
            (
                r["code"],
                r["title"],
                r["tasks"],
                format_number(r["total_score"]),
                "" if r["total_minutes"] is None else r["total_minutes"],
                r["vetoes"],
                r["status"],
                f"{r['seq']} {r['version'][:12]}",
            )
            for r in rows
        ],
        tuple(
            t(f"cli.practical.col.{c}")
            for c in ("code", "title", "tasks", "score", "minutes", "vetoes", "status", "version")
        ),
    )


@practical_group.command("show")
@click.argument("code")
@_bank_options
@json_option
@common_options
@qbank_errors
def practical_show(code: str, occupation: str, level: int, as_json: bool) -> None:
    """显示一套操作技能试卷：试题、配分、时间、评分记录表（含否决项）、准备通知单 / show a set.

    \b
    例 / Example:
      qbank practical show DG4-SC-01 --occupation 6-31-01-03 --level 4
    """
    with transaction() as session:
        (view,) = set_views(session, find_bank(session, occupation, level), code)
    if as_json:
        emit_json(view.as_dict())
        return
    for line in _lines(view):
        click.echo(line)


def _lines(view: PracticalSetView) -> list[str]:
    """The set for a terminal: labels in the user's language, the content as stored."""
    content = view.content
    lines = [
        f"{view.code}  {content['title']}",
        t(
            "cli.practical.version",
            seq=view.seq,
            version=view.version,
            status=view.status,
            origin=view.origin or "-",
        ),
        t(
            "cli.practical.totals",
            score=format_number(view.total_score),
            minutes=_minutes(content["total_minutes"]),
            tasks=len(content["tasks"]),
            vetoes=view.vetoes,
        ),
    ]
    if content["author"]:
        lines.append(t("cli.practical.author", author=content["author"]))
    for audience in ("venue_prep", "candidate_prep"):
        rows = content[audience]
        if not rows:
            continue
        lines.append(t(f"cli.practical.{audience}", count=len(rows)))
        for number, row in enumerate(rows, start=1):
            parts = [row["name"], row["spec"], row["quantity"], row["note"]]
            category = f"[{row['category']}] " if row["category"] else ""
            lines.append(f"  {number}. {category}" + "  ".join(p for p in parts if p))
    for task in content["tasks"]:
        lines.append(
            t(
                "cli.practical.task",
                number=task["number"],
                title=task["title"],
                score=format_number(task["score"]),
                minutes=_minutes(task["time_limit_minutes"]),
            )
        )
        if task["module_code"]:
            lines.append("  " + t("cli.practical.module", code=task["module_code"]))
        lines.append("  " + t("cli.practical.requirements"))
        lines.extend(f"    {line}" for line in task["requirements"].split("\n"))
        lines.append("  " + t("cli.practical.rubric", count=len(task["rubric"])))
        number = 0
        for row in task["rubric"]:
            if row["veto"]:
                label, score = "★", t("cli.practical.veto")
                if row["score"]:
                    score += " " + format_number(row["score"])
            else:
                number += 1
                label, score = f"{number}.", format_number(row["score"])
            criteria = row["criteria"].replace("\n", " / ")
            lines.append(f"    {label} {row['element']}  {score}  {criteria}")
    return lines
