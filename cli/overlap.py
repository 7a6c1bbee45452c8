"""`qbank overlap check|compare|verify|xlsx|mark`: content repetition (试题内容重复率)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cli._common import (
    DB_INT,
    ROW_ID,
    F,
    common_options,
    emit_json,
    json_option,
    progress,
    qbank_errors,
    t,
    transaction,
)
from qbank import audit
from qbank.bank import find_bank
from qbank.policy import load_policy
from qbank.text.normalize import format_number
from qbank.text.tokens import ENGINES, Engine, default_tokenizer
from workflows.types import BankRef

if TYPE_CHECKING:
    from qbank.overlap.document import OverlapReport
    from workflows.overlap import Scope

SCOPES = ("theory", "practical", "levels")


@click.group("overlap")
def overlap_group() -> None:
    """试题内容重复率检查、比较与核验 / content repetition checks."""


def bank_options(fn: F) -> F:
    fn = click.option("--level", type=DB_INT, required=True, help="等级 1–5 / level")(fn)
    return click.option(
        "--occupation", required=True, metavar="CODE", help="职业编码 / occupation"
    )(fn)


policy_option = click.option(
    "--policy",
    "policy_file",
    type=click.Path(path_type=Path),
    default=None,
    help="政策文件（TOML，默认湖南 2022） / policy profile",
)
out_options = [
    click.option("--out", type=click.Path(path_type=Path), help="报告 JSON 输出路径 / report JSON"),
    click.option(
        "--xlsx",
        type=click.Path(path_type=Path),
        help="供审题专家使用的 Excel 报告 / reviewer workbook",
    ),
]


def _outputs(fn: F) -> F:
    for option in reversed(out_options):
        fn = option(fn)
    return fn


def _finish(report: OverlapReport, out: Path | None, as_json: bool) -> None:
    if as_json:
        emit_json(report.to_json())
    else:
        _print_summary(report)
        if out is not None:
            click.echo(t("overlap.written", path=str(out)))
    if report.verdict != "pass":
        raise SystemExit(1)


def _print_summary(report: OverlapReport) -> None:
    from qbank.overlap.document import LshMethod

    method = report.method
    how = (
        t("overlap.method_lsh", bands=method.bands, rows=method.rows)
        if isinstance(method, LshMethod)
        else t("overlap.method_exact")
    )
    click.echo(t(f"overlap.scope.{report.kind}") + f"（{how}）")
    click.echo(
        t(
            "overlap.summary",
            pairs=len(report.pairs),
            clusters=len(report.clusters or ()),
            numerator=format_number(report.numerator),
            denominator=format_number(report.denominator),
            rate=f"{report.rate:.2%}",
            cap=f"{report.cap:.0%}",
            threshold=report.threshold,
        )
    )
    for pair in report.pairs[:20]:
        click.echo(f"  {pair.a} ~ {pair.b}  {pair.similarity:.3f}")
    if len(report.pairs) > 20:
        click.echo(t("overlap.more_pairs", count=len(report.pairs) - 20))
    click.echo(t("overlap.verdict_pass" if report.verdict == "pass" else "overlap.verdict_fail"))


@overlap_group.command("check")
@bank_options
@click.option(
    "--scope",
    type=click.Choice(SCOPES),
    default="theory",
    show_default=True,
    help="theory 题库内理论题；practical 操作技能试卷两两；levels 跨等级操作技能试题",
)
@policy_option
@_outputs
@json_option
@common_options
@qbank_errors
def overlap_check(
    occupation: str,
    level: int,
    scope: Scope,
    policy_file: Path | None,
    out: Path | None,
    xlsx: Path | None,
    as_json: bool,
) -> None:
    """检查题库的试题内容重复率，不超过上限时退出码为 0 / check content repetition.

    \b
    例 / Example:
      qbank overlap check --occupation 6-31-01-03 --level 4 --out 重复率报告.json --xlsx 重复率报告.xlsx
      qbank overlap check --occupation 6-31-01-03 --level 4 --scope practical --json
    """
    from workflows.overlap import check_overlap

    with progress(shown=not as_json) as advance:
        checked = check_overlap(
            transaction,
            BankRef(occupation, level),
            scope,
            load_policy(policy_file),
            actor=audit.current_actor(),
            out=out,
            xlsx=xlsx,
            progress=advance,
        )
    _finish(checked.report, out, as_json)


@overlap_group.command("compare")
@bank_options
@click.option("--reference-occupation", metavar="CODE", help="参照题库的职业编码 / reference bank")
@click.option("--reference-level", type=DB_INT, help="参照题库的等级 / reference level")
@click.option(
    "--reference-file",
    type=click.Path(path_type=Path),
    help="参照试题文件（不入库） / reference items file",
)
@policy_option
@_outputs
@json_option
@common_options
@qbank_errors
def overlap_compare(
    occupation: str,
    level: int,
    reference_occupation: str | None,
    reference_level: int | None,
    reference_file: Path | None,
    policy_file: Path | None,
    out: Path | None,
    xlsx: Path | None,
    as_json: bool,
) -> None:
    """与参照题库或参照文件比较重复率 / compare a bank with a reference.

    \b
    例 / Example:
      qbank overlap compare --occupation 6-31-01-03 --level 4 --reference-occupation 6-31-01-03 --reference-level 3
      qbank overlap compare --occupation 6-31-01-03 --level 4 --reference-file 省题库.xlsx --out 比较.json
    """
    from workflows.overlap import compare_overlap

    if (reference_file is None) == (reference_occupation is None or reference_level is None):
        raise click.UsageError(t("overlap.reference_required"))
    reference: BankRef | Path
    if reference_file is not None:
        reference = reference_file
    else:
        assert reference_occupation is not None and reference_level is not None
        reference = BankRef(reference_occupation, reference_level)
    checked = compare_overlap(
        transaction,
        BankRef(occupation, level),
        reference,
        load_policy(policy_file),
        actor=audit.current_actor(),
        out=out,
        xlsx=xlsx,
    )
    _finish(checked.report, out, as_json)


@overlap_group.command("verify")
@click.argument("report_file", type=click.Path(path_type=Path))
@click.option(
    "--items",
    "items_file",
    type=click.Path(path_type=Path),
    help="从试题文件重新计算（无需数据库），如备案包中的题库 Excel / recompute from a file",
)
@click.option(
    "--tokenizer",
    "engine",
    type=click.Choice(ENGINES),
    default=None,
    help="分词引擎（默认 rjieba；jieba 为参照实现，结果相同） / tokenizer engine",
)
@json_option
@common_options
@qbank_errors
def overlap_verify(
    report_file: Path, items_file: Path | None, engine: Engine | None, as_json: bool
) -> None:
    """按报告记载的版本重新计算每一项数字并逐项核对；全部一致时退出码为 0 / re-derive a report.

    \b
    例 / Example:
      qbank overlap verify 重复率报告.json
      qbank overlap verify 重复率报告.json --items 备案题库.xlsx
    """
    from importers.dispatch import read_items_or_reject
    from qbank.overlap.verification import load_report, verify_report

    report = load_report(str(report_file))
    tokenizer = default_tokenizer(engine)
    if items_file is not None:
        records = read_items_or_reject(items_file)
        result = verify_report(
            None, report, records=records, source=items_file.name, tokenizer=tokenizer
        )
    else:
        with transaction() as session:
            result = verify_report(session, report, tokenizer=tokenizer)
    if as_json:
        emit_json(result.as_dict())
    else:
        for check in result.checks:
            mark = t("overlap.match") if check.ok else t("overlap.mismatch")
            detail = (
                ""
                if check.ok or check.claimed is None
                else (
                    f"  {t('overlap.claimed')} {json.dumps(check.claimed, ensure_ascii=False)[:80]}"
                    f"  {t('overlap.recomputed')} {json.dumps(check.recomputed, ensure_ascii=False)[:80]}"
                )
            )
            click.echo(f"{check.figure:<20} {mark}{detail}")
        click.echo(t("overlap.verified" if result.ok else "overlap.not_verified"))
    if not result.ok:
        raise SystemExit(1)


@overlap_group.command("xlsx")
@click.argument("report_file", type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    required=True,
    help="Excel 输出路径 / workbook to write",
)
@click.option(
    "--reference-file",
    type=click.Path(path_type=Path),
    help="报告比较过的参照试题文件（显示其题目内容） / the reference file the report names",
)
@common_options
@qbank_errors
def overlap_xlsx(report_file: Path, out: Path, reference_file: Path | None) -> None:
    """由报告 JSON 生成供审题专家使用的 Excel / the reviewer workbook of a report file.

    A malformed report is refused (naming the field) before anything is written.

    \b
    例 / Example:
      qbank overlap xlsx 重复率报告.json --out 重复率报告.xlsx
    """
    from exporters.overlap_xlsx import write_overlap_xlsx
    from importers.dispatch import read_items_or_reject
    from qbank.overlap.shown import shown_items
    from qbank.overlap.verification import load_report

    report = load_report(str(report_file))
    records = read_items_or_reject(reference_file) if reference_file is not None else None
    with transaction() as session:
        shown = shown_items(session, report, records=records)
    write_overlap_xlsx(report, shown, out)
    click.echo(t("overlap.xlsx_written", path=str(out)))


@overlap_group.command("mark")
@click.argument("item_a", type=ROW_ID)
@click.argument("item_b", type=ROW_ID)
@bank_options
@click.option("--reviewer", required=True, help="裁定的审题专家 / reviewer")
@click.option("--reason", required=True, help="判定为不同试题的理由 / reason")
@common_options
@qbank_errors
def overlap_mark(
    occupation: str, level: int, item_a: int, item_b: int, reviewer: str, reason: str
) -> None:
    """审题专家裁定一对相似题为不同试题（任一题出新版本后失效） / mark a flagged pair distinct.

    \b
    例 / Example:
      qbank overlap mark 26 151 --occupation 6-31-01-03 --level 4 --reviewer 李工 --reason "考查内容不同"
    """
    from cli._passphrase import passphrase_from_env_or_prompt
    from qbank import keys
    from qbank.overlap.adjudication import adjudicate
    from qbank.people import get_person

    with transaction() as session:
        bank = find_bank(session, occupation, level)
        person = get_person(session, reviewer)
        passphrase = passphrase_from_env_or_prompt(
            t("keys.prompt_use", name=person.name), confirm=False
        )
        adjudicate(
            session,
            bank,
            item_a,
            item_b,
            reviewer=person,
            signer=keys.load_signer(person.name, passphrase),
            reason=reason,
            actor=audit.current_actor(),
        )
    click.echo(t("overlap.marked", a=item_a, b=item_b, reviewer=reviewer))
