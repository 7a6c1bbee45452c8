"""`qbank export …`: the Word documents of a batch for the print room, with the print list."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from cli._common import (
    DB_INT,
    ROW_ID,
    common_options,
    emit_json,
    json_option,
    progress,
    qbank_errors,
    t,
    transaction,
)
from cli.identities import identity_options, keyring_from
from qbank import audit
from qbank.batch import get_batch

F = TypeVar("F", bound=Callable[..., Any])


def _run_options(fn: F) -> F:
    """--batch, --out, --force, --count-pages, --identity(-person), --json, --db, --lang."""
    for option in reversed(
        (
            click.option(
                "--batch", "batch_id", type=ROW_ID, required=True, help="考试批次编号 / batch id"
            ),
            click.option(
                "--out",
                "out_dir",
                type=click.Path(path_type=Path, file_okay=False),
                required=True,
                help="输出目录（须不存在或为空） / output directory (new or empty)",
            ),
            click.option(
                "--force",
                is_flag=True,
                help="替换该目录中之前导出的内容 / replace an earlier export in --out",
            ),
            click.option(
                "--pdf/--no-pdf",
                "--count-pages/--no-count-pages",
                "count_pages",
                default=None,
                help="用 LibreOffice 生成 PDF 印制母版，每份页数写入页脚“共 y 页”和印制清单"
                "（默认：已安装时生成） / PDF print masters and page totals with LibreOffice "
                "(default: when installed)",
            ),
            identity_options,
            json_option,
            common_options,
            qbank_errors,
        )
    ):
        fn = option(fn)
    return fn


_copies_option = click.option(
    "--copies", type=DB_INT, required=True, help="印制份数（1～10000） / copies to print"
)


@click.group("export")
def export_group() -> None:
    """导出印制文件（试卷、答题卡、参考答案、操作技能试卷、印制清单） / documents for printing."""


@export_group.command("paper")
@click.option("--paper", "codes", multiple=True, required=True, help="试卷代号，如 A / paper code")
@_copies_option
@_run_options
def export_paper(codes: tuple[str, ...], copies: int, **run: Any) -> None:
    """理论试卷及答题卡，每份带流水号 / theory papers and answer sheets, numbered copies.

    \b
    例 / Example:
      qbank export paper --batch 1 --paper A --copies 60 --out 印制/A卷
      qbank export paper --batch 1 --paper A --paper B --copies 60 --out 印制/理论 --json
    """
    from exporters.print_run import THEORY_KINDS

    _export(THEORY_KINDS, codes, copies, **run)


@export_group.command("key")
@click.option("--paper", "codes", multiple=True, help="试卷代号（默认全部） / paper code")
@_run_options
def export_key(codes: tuple[str, ...], **run: Any) -> None:
    """参考答案及评分标准（一份，单独保管，不随试卷送印） / the answer key, one copy.

    \b
    例 / Example:
      qbank export key --batch 1 --paper A --out 参考答案
    """
    from exporters.print_run import KEY_KINDS

    _export(KEY_KINDS, codes, 1, **run)


@export_group.command("practical")
@click.option("--paper", "codes", multiple=True, help="操作技能试卷代号（默认全部） / paper code")
@_copies_option
@_run_options
def export_practical(codes: tuple[str, ...], copies: int, **run: Any) -> None:
    """操作技能试卷（考生用，不含评分标准）、准备通知单和评分记录表 / the practical paper.

    \b
    例 / Example:
      qbank export practical --batch 1 --copies 30 --out 印制/操作技能
      qbank export practical --batch 1 --paper P --copies 30 --out 印制/操作技能
    """
    from exporters.print_run import PRACTICAL_KINDS

    _export(PRACTICAL_KINDS, codes, copies, **run)


@export_group.command("batch")
@_copies_option
@click.option(
    "--with-key",
    is_flag=True,
    help="同时导出参考答案（默认不导出） / also export the answer keys",
)
@_run_options
def export_batch(copies: int, with_key: bool, **run: Any) -> None:
    """一个批次印制所需的全部文件及印制清单 / everything the print room needs for a batch.

    参考答案只在加 --with-key 时导出；已封存的试卷需用 --identity 或 --identity-person 解开。

    \b
    例 / Example:
      qbank export batch --batch 1 --copies 60 --out 印制/20261212-01
      qbank export batch --batch 1 --copies 60 --out 印制/20261212-01 --with-key --count-pages
      qbank export batch --batch 1 --copies 60 --out 印制/20261212-01 --identity-person 刘师傅
    """
    from exporters.print_run import KEY_KINDS, PRINT_ROOM_KINDS

    kinds = (*PRINT_ROOM_KINDS, *KEY_KINDS) if with_key else PRINT_ROOM_KINDS
    _export(kinds, (), copies, **run)


def _export(
    kinds: Sequence[str],
    codes: Sequence[str],
    copies: int,
    *,
    batch_id: int,
    out_dir: Path,
    force: bool,
    count_pages: bool | None,
    identity_files: tuple[Path, ...],
    identity_person: str | None,
    as_json: bool,
) -> None:
    from exporters.print_run import PRINT_LIST_JSON, PRINT_LIST_XLSX
    from workflows.printing import pdf_unavailable, write_batch_documents

    keyring = keyring_from(identity_files, identity_person)
    missing = pdf_unavailable() if count_pages is None else None
    with transaction() as session, progress(shown=not as_json) as advance:
        listing = write_batch_documents(
            session,
            get_batch(session, batch_id),
            out_dir,
            copies=copies,
            actor=audit.current_actor(),
            kinds=kinds,
            papers=list(codes) or None,
            identities=keyring,
            pdf=count_pages,
            force=force,
            progress=advance,
        )
    if missing is not None:
        click.echo(t("print.no_pdf", tool=missing), err=True)
    if as_json:
        emit_json({"out": str(out_dir), **listing.as_dict()})
        return
    for file in listing.files:
        pages = "" if file.pages is None else t("export.pages", pages=file.pages)
        click.echo(
            t(
                "export.file",
                name=out_dir / file.name,
                document=t(f"print.doc.{file.kind}"),
                copies=file.copies,
                pages=pages,
            )
        )
    click.echo(t("export.list", xlsx=out_dir / PRINT_LIST_XLSX, json=out_dir / PRINT_LIST_JSON))
    click.echo(t("export.done", count=len(listing.files) + 2, path=out_dir))
