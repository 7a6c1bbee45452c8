"""`qbank batch new|list|show`: plan exam batches and their designated staff."""

from __future__ import annotations

from datetime import date

import click

from cli._common import (
    DB_INT,
    ROW_ID,
    common_options,
    emit_json,
    emit_table,
    json_option,
    qbank_errors,
    t,
    transaction,
)
from qbank import audit
from qbank.bank import find_bank
from qbank.batch import STEP_NAMES, get_batch, list_batches, new_batch, view
from qbank.errors import InvalidInput


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("batch.bad_date", value=value) from None


@click.group("batch")
def batch_group() -> None:
    """考试批次与指定人员 / exam batches."""


@batch_group.command("new")
@click.option("--occupation", required=True, metavar="CODE", help="职业编码 / occupation")
@click.option("--level", type=DB_INT, required=True, help="等级 / level")
@click.option(
    "--date", "exam_date", required=True, metavar="YYYY-MM-DD", help="考试日期 / exam date"
)
@click.option("--site", required=True, help="考点 / exam site")
@click.option("--candidates", type=DB_INT, required=True, help="考生人数 / number of candidates")
@click.option("--assembler", multiple=True, help="组卷人（可多次） / assembly")
@click.option("--extractor", multiple=True, help="提取人 / extraction")
@click.option("--printer", multiple=True, help="印制人 / printing")
@click.option("--transporter", multiple=True, help="传送人 / transport")
@click.option("--sealer", multiple=True, help="封存人（通常两人） / sealing")
@json_option
@common_options
@qbank_errors
def batch_new(
    occupation: str,
    level: int,
    exam_date: str,
    site: str,
    candidates: int,
    assembler: tuple[str, ...],
    extractor: tuple[str, ...],
    printer: tuple[str, ...],
    transporter: tuple[str, ...],
    sealer: tuple[str, ...],
    as_json: bool,
) -> None:
    """新建考试批次，并为每个环节指定专人 / plan a batch.

    \b
    例 / Example:
      qbank batch new --occupation 6-31-01-03 --level 4 --date 2026-12-12 --site 长沙考点 \\
        --candidates 120 --assembler 王老师 --extractor 赵老师 --printer 刘师傅 \\
        --transporter 陈老师 --sealer 王老师 --sealer 赵老师
    """
    with transaction() as session:
        bank = find_bank(session, occupation, level)
        batch = new_batch(
            session,
            bank,
            exam_date=_date(exam_date),
            site=site,
            candidates=candidates,
            staff={
                "assemble": assembler,
                "extract": extractor,
                "print": printer,
                "transport": transporter,
                "seal": sealer,
            },
            actor=audit.current_actor(),
        )
        shown = view(session, batch)
    if as_json:
        emit_json(shown.as_dict())
    else:
        click.echo(t("batch.created", id=shown.id, code=shown.code))


@batch_group.command("list")
@click.option("--occupation", metavar="CODE", help="职业编码 / occupation")
@click.option("--level", type=DB_INT, help="等级 / level")
@json_option
@common_options
@qbank_errors
def batch_list(occupation: str | None, level: int | None, as_json: bool) -> None:
    """列出考试批次 / list batches.

    \b
    例 / Example:
      qbank batch list --occupation 6-31-01-03 --level 4
    """
    with transaction() as session:
        bank = find_bank(session, occupation, level) if occupation and level else None
        views = list_batches(session, bank)
    if as_json:
        emit_json([v.as_dict() for v in views])
        return
    emit_table(
        [
            (
                v.id,
                v.code,
                v.occupation,
                v.level,
                v.exam_date,
                v.site,
                v.candidates,
                " ".join(v.papers),
            )
            for v in views
        ],
        tuple(
            t(f"batch.col.{c}")
            for c in ("id", "code", "occupation", "level", "date", "site", "candidates", "papers")
        ),
    )


@batch_group.command("show")
@click.argument("batch_id", type=ROW_ID)
@json_option
@common_options
@qbank_errors
def batch_show(batch_id: int, as_json: bool) -> None:
    """显示批次、指定人员与试卷 / show a batch.

    \b
    例 / Example:
      qbank batch show 1
    """
    with transaction() as session:
        shown = view(session, get_batch(session, batch_id))
    if as_json:
        emit_json(shown.as_dict())
        return
    click.echo(
        f"{shown.code}  {shown.occupation} {shown.level}  {shown.exam_date}  {shown.site}  "
        f"{t('batch.col.candidates')} {shown.candidates}"
    )
    for step, names in shown.staff.items():
        click.echo(f"  {STEP_NAMES[step]}：{'、'.join(names)}")
    if shown.papers:
        click.echo(f"  {t('batch.col.papers')}：{' '.join(shown.papers)}")
