"""`qbank item list|show|history`: the items of a bank and their versions."""

from __future__ import annotations

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
from cli._lazy import LazyGroup
from qbank import audit
from qbank.bank import find_bank
from qbank.items import get_item, item_versions, list_items
from qbank.policy import load_policy
from qbank.records import ItemType
from qbank.retention import delete_item
from qbank.text.normalize import format_answer


@click.group(
    "item",
    cls=LazyGroup,
    lazy={
        "suggest-points": (
            "cli.points:suggest_points_cmd",
            "为未编码的试题建议鉴定点，并标出存疑的编码（Excel 表） / suggest knowledge points.",
        )
    },
)
def item_group() -> None:
    """理论试题 / theory items."""


@item_group.command("list")
@click.option("--occupation", required=True, metavar="CODE", help="职业编码 / occupation code")
@click.option("--level", type=DB_INT, required=True, help="等级 1–5 / level")
@click.option(
    "--type",
    "item_type",
    type=click.Choice([t.value for t in ItemType]),
    help="只列出某种题型 / only this type",
)
@json_option
@common_options
@qbank_errors
def item_list(occupation: str, level: int, item_type: str | None, as_json: bool) -> None:
    """按导入顺序列出题库中的试题 / list a bank's items in import order.

    \b
    例 / Example:
      qbank item list --occupation 6-31-01-03 --level 4 --type single --json
    """
    with transaction() as session:
        bank = find_bank(session, occupation, level)
        views = list_items(session, bank, item_type=ItemType(item_type) if item_type else None)
    if as_json:
        emit_json([v.as_dict() for v in views])
        return
    emit_table(
        [
            (
                v.id,
                t(f"type.{v.type}"),
                v.stem if len(v.stem) <= 40 else v.stem[:39] + "…",
                format_answer(v.answer),
                v.knowledge_point or "",
                "" if v.difficulty is None else f"{v.difficulty:.2f}",
                v.status,
            )
            for v in views
        ],
        tuple(
            t(f"cli.col.{c}")
            for c in ("id", "type", "stem", "answer", "kp", "difficulty", "status")
        ),
    )


@item_group.command("show")
@click.argument("item_id", type=ROW_ID)
@json_option
@common_options
@qbank_errors
def item_show(item_id: int, as_json: bool) -> None:
    """显示一道题的当前版本与历史版本 / show an item.

    \b
    例 / Example:
      qbank item show 12
    """
    with transaction() as session:
        view = get_item(session, item_id, include_deleted=True)  # records stay inspectable
        versions = [
            (v.seq, v.sha256, v.created_at, v.created_by) for v in item_versions(session, item_id)
        ]
    if as_json:
        data = view.as_dict()
        data["versions"] = [
            {"seq": s, "version": h, "created_at": c.isoformat(), "created_by": b}
            for s, h, c, b in versions
        ]
        emit_json(data)
        return
    click.echo(f"{t('cli.col.id')}: {view.id}  ({t(f'type.{view.type}')}, {view.status})")
    if view.deleted_at is not None:
        click.echo(t("item.deleted", at=view.deleted_at))
    click.echo(f"{t('field.guid')}: {view.guid}")
    click.echo(f"{t('cli.col.version')}: {view.seq} {view.version}")
    click.echo(f"{t('field.stem')}: {view.stem}")
    for letter, text in view.options.items():
        click.echo(f"  {letter}. {text}")
    click.echo(f"{t('field.answer')}: {format_answer(view.answer)}")
    for key in ("knowledge_point", "difficulty", "score", "explanation", "source", "author"):
        value = getattr(view, key)
        if value is not None:
            click.echo(f"{t('field.' + key)}: {value}")
    if len(versions) > 1:
        click.echo(t("cli.versions"))
        for seq, sha, created_at, by in versions:
            click.echo(f"  {seq}  {sha[:16]}  {created_at:%Y-%m-%d %H:%M}  {by}")


@item_group.command("history")
@click.argument("item_id", type=ROW_ID)
@json_option
@common_options
@qbank_errors
def item_history(item_id: int, as_json: bool) -> None:
    """谁在何时对这道题做了什么（审计记录） / who did what to an item, when.

    \b
    例 / Example:
      qbank item history 12
    """
    with transaction() as session:
        get_item(session, item_id, include_deleted=True)  # a deleted item's trail stays readable
        events = [
            (e.at.isoformat(timespec="seconds"), e.actor, e.action, e.detail)
            for e in audit.history(session, "item", item_id)
        ]
    if as_json:
        emit_json([{"at": a, "actor": p, "action": x, "detail": d} for a, p, x, d in events])
        return
    for at, actor, action, detail in events:
        click.echo(
            f"{at}  {actor}  {action}  {detail.get('file', '')}  {str(detail.get('version', ''))[:16]}"
        )


@item_group.command("delete")
@click.argument("item_id", type=ROW_ID)
@click.option("--reason", required=True, help="删除理由 / reason")
@click.option("--policy", "policy_file", type=click.Path(), help="政策文件 / policy profile")
@common_options
@qbank_errors
def item_delete(item_id: int, reason: str, policy_file: str | None) -> None:
    """逻辑删除一道题（数据保留并留痕；已备案且在保存期内的不能删除） / delete logically.

    \b
    例 / Example:
      qbank item delete 12 --reason "与第 30 题重复"
    """
    with transaction() as session:
        delete_item(
            session,
            item_id,
            reason=reason,
            actor=audit.current_actor(),
            policy=load_policy(policy_file),
        )
    click.echo(t("retention.deleted", id=item_id))
