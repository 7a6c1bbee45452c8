"""`qbank demo`: a fresh workspace and the whole chain on the sample banks, end to end."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cli._common import common_options, qbank_errors, t
from cli.banks import print_banks
from qbank.errors import QbankError
from qbank.samples import sample_dir

if TYPE_CHECKING:
    from workflows.demo import DemoVerdict


@click.command()
@click.option(
    "--dir",
    "workspace",
    type=click.Path(path_type=Path),
    default=Path("qbank-demo"),
    show_default=True,
    help="演示工作区目录（其中的 qbank.db 会重建） / workspace directory",
)
@click.option(
    "--samples",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="样例目录（默认为仓库中的 samples/） / samples directory",
)
@click.option(
    "--pdf/--no-pdf",
    default=None,
    help="印制文件同时生成 PDF 印制母版（默认：已安装 LibreOffice 时生成） "
    "/ PDF print masters (default: when LibreOffice is installed)",
)
@common_options
@qbank_errors
def demo(workspace: Path, samples: Path | None, pdf: bool | None) -> None:
    """在新建的 SQLite 工作区里走完全流程：导入、查重、审核、备案、组卷、印制文件、封存、保管链、核验 / run the whole chain on the samples.

    每一步的产物（报告、备案包、封存包、印制点解开的文件、保管链导出）写在工作区里，
    并打印其位置。演示密钥的口令是 qbank-demo-only，只用于演示。
    任何一项结论不是通过（PASS）或有效（VALID）时，演示在该处停止，退出码为 1。

    \b
    例 / Example:
      qbank demo --dir /tmp/qbank-demo
    """
    from workflows.demo import run_demo

    started = time.perf_counter()
    result = run_demo(
        workspace, samples or sample_dir(), report=lambda line: click.echo(line), pdf=pdf
    )
    click.echo()
    print_banks(result.banks)
    click.echo()
    click.echo(t("demo.verdicts"))
    for verdict in result.verdicts:
        click.echo(t("demo.verdict_line", **_named(verdict)))
    click.echo()
    if result.failed is not None:
        raise QbankError("demo.failed", **_named(result.failed))
    click.echo(t("demo.done", db=result.db_path, seconds=f"{time.perf_counter() - started:.1f}"))


def _named(verdict: DemoVerdict) -> dict[str, str]:
    return {
        "check": t(f"demo.check.{verdict.check}"),
        "subject": verdict.subject,
        "verdict": verdict.verdict,
    }
