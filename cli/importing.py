"""`qbank import items|tree|practical`: read a file, store it whole or not at all."""

from __future__ import annotations

from pathlib import Path

import click

from cli._common import (
    DB_INT,
    F,
    common_options,
    emit_json,
    json_option,
    progress,
    qbank_errors,
    t,
    transaction,
)
from cli._lazy import LazyGroup
from cli._limits import limit_option
from qbank.errors import InvalidInput
from qbank.records import PracticalSetRecord, Problem, problem_count


def bank_options(fn: F) -> F:
    fn = click.option(
        "--create",
        is_flag=True,
        help="题库不存在时新建（供脚本使用，需 --occupation-name） / create the bank if missing",
    )(fn)
    fn = click.option(
        "--occupation-name", help="职业名称（与 --create 一起） / occupation name (with --create)"
    )(fn)
    fn = click.option("--level", type=DB_INT, required=True, help="等级 1–5 / level")(fn)
    fn = click.option(
        "--occupation", required=True, metavar="CODE", help="职业编码，如 6-31-01-03"
    )(fn)
    return fn


def _parse_map(values: tuple[str, ...]) -> dict[str, str] | None:
    mapping = {}
    for value in values:
        column, sep, field = value.partition("=")
        if not sep or not column.strip() or not field.strip():
            raise InvalidInput("cli.bad_map", value=value)
        mapping[column.strip()] = field.strip()
    return mapping or None


@click.group(
    "import",
    cls=LazyGroup,
    lazy={
        "points": (
            "cli.points:import_points_cmd",
            "导入专家确认的鉴定点建议表 / import accepted knowledge points.",
        )
    },
)
def import_group() -> None:
    """导入试题、细目表、操作技能试卷 / import items, trees, practical sets."""


@import_group.command("items")
@click.argument("file", type=click.Path(path_type=Path))
@bank_options
@click.option("--author", help="命题人（文件中没有时） / author when the file names none")
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="COLUMN=FIELD",
    help="列名到字段的映射（Excel/CSV 与 Word 表格），如 --map 试题内容=stem / map a column "
    "(of a sheet or a Word table) to a field",
)
@click.option(
    "--keep-missing",
    is_flag=True,
    help="文件没有的字段（鉴定点、重要程度等）沿用现有版本的值 / keep current values of "
    "fields the file lacks",
)
@click.option(
    "--allow-field-loss",
    is_flag=True,
    help="允许新版本丢失现有字段 / let new versions drop fields",
)
@click.option(
    "--link-threshold",
    type=click.FloatRange(0, 1, min_open=True),
    default=0.9,
    show_default=True,
    help="无试题编号的题与已有题相似度达到此值时作为其新版本 / similarity from which an "
    "item is taken for an edit of a stored one",
)
@click.option(
    "--new-items",
    is_flag=True,
    help="无法判断归属的相似题作为新题导入 / import undecidable close items as new",
)
@click.option("--dry-run", is_flag=True, help="只校验不导入 / validate only")
@json_option
@limit_option
@common_options
@qbank_errors
def import_items_cmd(
    file: Path,
    occupation: str,
    level: int,
    occupation_name: str | None,
    create: bool,
    author: str | None,
    maps: tuple[str, ...],
    keep_missing: bool,
    allow_field_loss: bool,
    link_threshold: float,
    new_items: bool,
    dry_run: bool,
    as_json: bool,
) -> None:
    """导入理论试题（.docx / .xlsx / .csv） / import theory items.

    文件有任何问题时全部不导入，并列出每一处问题。题库须已存在（qbank bank new）。没有试题编号
    而与一道已有题非常接近的题作为该题的新版本，并列出改动；新版本会丢失已有字段时不导入，
    除非加 --keep-missing 或 --allow-field-loss。

    \b
    例 / Example:
      qbank import items 电工四级.docx --occupation 6-31-01-03 --level 4
      qbank import items 题库.xlsx --occupation 6-31-01-03 --level 4 --map 试题内容=stem
      qbank import items 考试.csv --occupation 6-31-01-03 --level 4 --keep-missing
    """
    from qbank import audit
    from qbank.items import ItemsRejected
    from workflows.importing import import_items_file
    from workflows.types import BankRef

    try:
        with progress(shown=not as_json) as advance:
            result = import_items_file(
                transaction,
                BankRef(occupation, level, occupation_name),
                file,
                actor=audit.current_actor(),
                author=author,
                mapping=_parse_map(maps),
                dry_run=dry_run,
                progress=advance,
                create=create,
                link_threshold=link_threshold,
                new_items=new_items,
                keep_missing=keep_missing,
                allow_field_loss=allow_field_loss,
            )
    except ItemsRejected as e:
        if as_json:
            emit_json(e.summary.as_dict())
            raise SystemExit(1) from e
        raise
    summary = result.summary
    if as_json:
        links = {"links": [link.as_dict() for link in result.links], "kept": result.kept}
        emit_json(summary.as_dict() | links)
        return
    for link in result.links:
        click.echo(link.describe())
    if result.kept:
        click.echo(t("field_loss.kept", count=result.kept))
    key = "cli.items_checked" if dry_run else "cli.items_imported"
    click.echo(t(key, file=file.name, **summary.as_dict()))


@import_group.command("tree")
@click.argument("file", type=click.Path(path_type=Path))
@bank_options
@click.option("--dry-run", is_flag=True, help="只校验不导入 / validate only")
@json_option
@limit_option
@common_options
@qbank_errors
def import_tree_cmd(
    file: Path,
    occupation: str,
    level: int,
    occupation_name: str | None,
    create: bool,
    dry_run: bool,
    as_json: bool,
) -> None:
    """导入鉴定要素细目表（.xlsx / .csv） / import the knowledge-point tree.

    \b
    例 / Example:
      qbank import tree 细目表.xlsx --occupation 6-31-01-03 --level 4
    """
    from qbank import audit
    from workflows.importing import import_tree_file
    from workflows.types import BankRef

    summary = import_tree_file(
        transaction,
        BankRef(occupation, level, occupation_name),
        file,
        actor=audit.current_actor(),
        dry_run=dry_run,
        create=create,
    ).summary
    if as_json:
        emit_json(summary.as_dict())
    else:
        click.echo(t("cli.tree_imported", file=file.name, **summary.as_dict()))


@import_group.command("practical")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@bank_options
@click.option("--author", help="命题人 / author")
@click.option("--dry-run", is_flag=True, help="只校验不导入 / validate only")
@json_option
@limit_option
@common_options
@qbank_errors
def import_practical_cmd(
    files: tuple[Path, ...],
    occupation: str,
    level: int,
    occupation_name: str | None,
    create: bool,
    author: str | None,
    dry_run: bool,
    as_json: bool,
) -> None:
    """导入操作技能试卷（.docx / .yaml / .json，可一次多个文件） / import practical sets.

    \b
    例 / Example:
      qbank import practical 第1套.docx 第2套.docx --occupation 6-31-01-03 --level 4
    """
    from qbank import audit
    from workflows.importing import PracticalRejected, import_practical_files
    from workflows.types import BankRef

    try:
        results = import_practical_files(
            transaction,
            BankRef(occupation, level, occupation_name),
            files,
            actor=audit.current_actor(),
            author=author,
            dry_run=dry_run,
            unreadable_as_problem=as_json,
            create=create,
        ).files
    except PracticalRejected as error:
        if as_json:  # the report a script reads, rejected files and all (exit status 1)
            emit_json({f.name: _practical_report(r.problems, r.records) for f, r in error.parsed})
            raise SystemExit(1) from error
        raise
    if as_json:
        emit_json({f.name: s.as_dict() | _practical_report([]) for f, s in results})
        return
    for file, summary in results:
        click.echo(t("cli.practical_imported", file=file.name, **summary.as_dict()))


def _practical_report(
    problems: list[Problem], records: list[PracticalSetRecord] | None = None
) -> dict[str, object]:
    """A file's part of `import practical --json`: its problems (and, when rejected, the sets
    it held and nothing imported)."""
    report: dict[str, object] = {
        "problems": [p.as_dict() for p in problems],
        "problem_count": problem_count(problems),
    }
    if records is not None:
        report = {
            "imported": 0,
            "unchanged": 0,
            "codes": [r.code for r in records],
            "rejected": bool(problems),
        } | report
    return report
