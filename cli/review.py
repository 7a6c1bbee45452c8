"""`qbank review approve|reject|status`: signed expert review of item and set versions."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy.orm import Session

from cli._common import (
    DB_INT,
    ROW_ID,
    common_options,
    emit_json,
    json_option,
    qbank_errors,
    t,
    transaction,
)
from cli._limits import limit_option
from cli._passphrase import passphrase_from_env_or_prompt
from qbank import audit, keys
from qbank.bank import LEVEL_NAMES, find_bank
from qbank.errors import InvalidInput
from qbank.items import get_item, list_items
from qbank.model import Bank, Item
from qbank.people import get_person
from qbank.review import (
    APPROVED,
    REJECTED,
    Decision,
    ReviewRejected,
    all_pending,
    review,
    status,
)


@click.group("review")
def review_group() -> None:
    """专家审核（签名，回避本人试题） / expert review."""


def _decide_command(decision: str, name: str, summary: str) -> click.Command:
    @review_group.command(name, help=summary)
    @click.option(
        "--item", "item_ids", type=ROW_ID, multiple=True, help="试题编号，可多次给出 / item id"
    )
    @click.option(
        "--set",
        "set_codes",
        multiple=True,
        help="操作技能试卷编号，可多次给出 / practical set code",
    )
    @click.option(
        "--all", "all_items", is_flag=True, help="本题库全部待审核试题 / every pending item"
    )
    @click.option(
        "--occupation", metavar="CODE", help="职业编码（--all 或 --set 时必填） / occupation"
    )
    @click.option("--level", type=DB_INT, help="等级（--all 或 --set 时必填） / level")
    @click.option("--reviewer", required=True, help="审题专家姓名 / reviewer")
    @click.option("--comment", default="", help="审核意见（不通过时必填） / comment")
    @common_options
    @qbank_errors
    def command(
        item_ids: tuple[int, ...],
        set_codes: tuple[str, ...],
        all_items: bool,
        occupation: str | None,
        level: int | None,
        reviewer: str,
        comment: str,
    ) -> None:
        if not (item_ids or set_codes or all_items):
            raise click.UsageError(t("review.what"))
        actor = audit.current_actor()
        with transaction() as session:
            bank = _bank(
                session, item_ids, occupation, level, needs_bank=bool(all_items or set_codes)
            )
            person = get_person(session, reviewer)
            if all_items:
                decisions = [
                    Decision(decision, comment, item_id=d.item_id, version=d.version)
                    for d in all_pending(session, bank, person)
                ]
                if not decisions:
                    raise InvalidInput("review.nothing")
            else:
                decisions = [Decision(decision, comment, item_id=i) for i in item_ids]
            decisions += [Decision(decision, comment, set_code=c) for c in set_codes]
            passphrase = passphrase_from_env_or_prompt(
                t("keys.prompt_use", name=person.name), confirm=False
            )
            signer = keys.load_signer(person.name, passphrase)
            result = review(session, bank, person, signer, decisions, actor=actor)
        click.echo(t("review.done", **result.as_dict()))

    return command


def _bank(
    session: Session,
    item_ids: tuple[int, ...],
    occupation: str | None,
    level: int | None,
    *,
    needs_bank: bool,
) -> Bank:
    if occupation and level:
        return find_bank(session, occupation, level)
    if needs_bank or not item_ids:
        raise click.UsageError(t("review.bank_required"))
    get_item(session, item_ids[0])
    return session.get_one(Bank, session.get_one(Item, item_ids[0]).bank_id)


_decide_command(
    APPROVED,
    "approve",
    """审核通过（以审题专家的密钥签名） / approve items or sets.

    \b
    例 / Example:
      qbank review approve --item 12 --item 13 --reviewer 李工
      qbank review approve --all --occupation 6-31-01-03 --level 4 --reviewer 李工
    """,
)
_decide_command(
    REJECTED,
    "reject",
    """审核不通过（须写审核意见） / reject items or sets.

    \b
    例 / Example:
      qbank review reject --item 12 --reviewer 李工 --comment "答案有误"
    """,
)


@review_group.command("status")
@click.option("--occupation", required=True, metavar="CODE", help="职业编码 / occupation")
@click.option("--level", type=DB_INT, required=True, help="等级 / level")
@json_option
@common_options
@qbank_errors
def review_status(occupation: str, level: int, as_json: bool) -> None:
    """题库审核进度 / review progress of a bank.

    \b
    例 / Example:
      qbank review status --occupation 6-31-01-03 --level 4 --json
    """
    with transaction() as session:
        result = status(session, find_bank(session, occupation, level))
    if as_json:
        emit_json(result.as_dict())
        return
    click.echo(t("review.status_items", **result.items))
    click.echo(t("review.status_sets", **result.sets))


@review_group.command("export")
@click.option("--occupation", required=True, metavar="CODE", help="职业编码 / occupation")
@click.option("--level", type=DB_INT, required=True, help="等级 / level")
@click.option(
    "--out", type=click.Path(path_type=Path), required=True, help="审核表 .xlsx / workbook"
)
@click.option("--pending", is_flag=True, help="只导出待审核的试题 / only items not yet decided")
@common_options
@qbank_errors
def review_export(occupation: str, level: int, out: Path, pending: bool) -> None:
    """导出审核表：审题专家填写“审核结论”（通过/不通过）与“审核意见” / export a review sheet.

    \b
    例 / Example:
      qbank review export --occupation 6-31-01-03 --level 4 --out 审核表.xlsx --pending
    """
    from exporters.review_xlsx import write_review_xlsx

    with transaction() as session:
        bank = find_bank(session, occupation, level)
        views = [v for v in list_items(session, bank) if not pending or v.status == "draft"]
        title = t(
            "review.sheet_title",
            name=bank.occupation.name,
            code=bank.occupation.code,
            level=LEVEL_NAMES[bank.level][0],
        )
    write_review_xlsx(views, out, title=title)
    click.echo(t("review.exported", count=len(views), path=str(out)))


@review_group.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--occupation", required=True, metavar="CODE", help="职业编码 / occupation")
@click.option("--level", type=DB_INT, required=True, help="等级 / level")
@click.option("--reviewer", required=True, help="填写审核表的审题专家 / reviewer")
@limit_option
@common_options
@qbank_errors
def review_import(file: Path, occupation: str, level: int, reviewer: str) -> None:
    """导入填好的审核表，逐条签名记录；任何一行有问题则全部不记录 / apply a filled review sheet.

    \b
    例 / Example:
      qbank review import 审核表.xlsx --occupation 6-31-01-03 --level 4 --reviewer 李工
    """
    from importers.review_xlsx import read_review_xlsx

    if not file.is_file():
        raise InvalidInput("cli.file_missing", path=str(file))
    parsed = read_review_xlsx(file)
    if parsed.problems:
        raise ReviewRejected(parsed.problems)
    decisions = [
        Decision(
            row.decision,
            row.comment,
            item_id=row.item_id,
            version=row.version,
            location=row.location,
        )
        for row in parsed.records
        if row.decision is not None
    ]
    if not decisions:
        raise InvalidInput("review.nothing")
    with transaction() as session:
        bank = find_bank(session, occupation, level)
        person = get_person(session, reviewer)
        passphrase = passphrase_from_env_or_prompt(
            t("keys.prompt_use", name=person.name), confirm=False
        )
        result = review(
            session,
            bank,
            person,
            keys.load_signer(person.name, passphrase),
            decisions,
            actor=audit.current_actor(),
        )
    click.echo(t("review.done", **result.as_dict()))
