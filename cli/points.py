"""`qbank item suggest-points` and `qbank import points`: 鉴定点 suggested, confirmed, stored."""

from __future__ import annotations

from pathlib import Path

import click

from cli._common import DB_INT, common_options, emit_json, json_option, qbank_errors, t, transaction
from cli._limits import limit_option
from qbank import audit
from qbank.bank import find_bank
from workflows.points import import_points_sheet, suggest_points_to_sheet

SUGGEST_HELP = "为未编码的试题建议鉴定点，并标出存疑的编码（Excel 表） / suggest knowledge points."
IMPORT_HELP = "导入专家确认的鉴定点建议表 / import accepted knowledge points."


@click.command("suggest-points", short_help=SUGGEST_HELP)
@click.option("--occupation", required=True, metavar="CODE", help="职业编码 / occupation code")
@click.option("--level", type=DB_INT, required=True, help="等级 1–5 / level")
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=Path("鉴定点建议.xlsx"),
    show_default=True,
    help="写出的 Excel 表 / workbook to write",
)
@json_option
@common_options
@qbank_errors
def suggest_points_cmd(occupation: str, level: int, out: Path, as_json: bool) -> None:
    """为未编码的试题建议鉴定点，并标出存疑的编码 / suggest knowledge points for items.

    模型从题库中已编码的试题和细目表的鉴定点名称学习（字符 n-gram TF-IDF 与线性分类器），为每道未编码的试题给出可能性最高的 3 个鉴定点。

    已编码的试题由没有见过它的模型评判（交叉验证），当前鉴定点可能性很低的标为存疑。专家在“采纳”列填 1、2、3 或鉴定点代码后，用 qbank import points 导入。

    \b
    例 / Example:
      qbank item suggest-points --occupation 6-31-01-03 --level 4 --out 鉴定点建议.xlsx
    """
    with transaction() as session:
        bank = find_bank(session, occupation, level)
        result = suggest_points_to_sheet(session, bank, out)
    if as_json:
        emit_json({"path": str(out), **result.as_dict()})
        return
    click.echo(t("points.suggested", path=out, **result.as_dict()))


@click.command("points", short_help=IMPORT_HELP)
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="只校验不导入 / validate only")
@json_option
@limit_option
@common_options
@qbank_errors
def import_points_cmd(file: Path, dry_run: bool, as_json: bool) -> None:
    """导入专家确认的鉴定点建议表 / import accepted knowledge points.

    只有“采纳”列填写了的行会生成试题的新版本（只改鉴定点，其余不变）。生成建议表后改动过的试题、细目表中没有的鉴定点会被拒绝，此时整个表都不导入。

    \b
    例 / Example:
      qbank import points 鉴定点建议.xlsx --dry-run
      qbank import points 鉴定点建议.xlsx
    """
    with transaction() as session:
        result = import_points_sheet(session, file, actor=audit.current_actor(), dry_run=dry_run)
    if as_json:
        emit_json(result.as_dict())
        return
    key = "points.checked" if dry_run else "points.imported"
    click.echo(t(key, file=file.name, **result.as_dict()))
