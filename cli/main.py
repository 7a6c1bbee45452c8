"""Entry point: `qbank` and its command groups."""

from __future__ import annotations

import gc

import click

from cli._common import common_options, database, qbank_errors, t
from cli._errors import QbankGroup

COMMANDS = {
    "assemble": (
        "cli.assembly:assemble_cmd",
        "按组卷方案从已备案试题中组卷（A/B 卷互不重复超过上限），并抽取操作技能试卷 / assemble papers.",
    ),
    "bank": ("cli.banks:bank_group", "题库概况 / banks."),
    "batch": ("cli.batches:batch_group", "考试批次与指定人员 / exam batches."),
    "custody": (
        "cli.custody:custody_group",
        "保管链：组卷、提取、印制、传送、封存的签名记录 / the signed custody log of a batch.",
    ),
    "db": ("cli.db:db_group", "数据库核验 / the database itself."),
    "demo": (
        "cli.demo:demo",
        "在新建的 SQLite 工作区里走完全流程：导入、查重、审核、备案、组卷、印制文件、封存、保管链、核验"
        " / run the whole chain on the samples.",
    ),
    "export": (
        "cli.export:export_group",
        "导出印制文件（试卷、答题卡、参考答案、操作技能试卷、印制清单） / documents for printing.",
    ),
    "filing": ("cli.filing:filing_group", "备案包核验 / filing packages."),
    "import": (
        "cli.importing:import_group",
        "导入试题、细目表、操作技能试卷 / import items, trees, practical sets.",
    ),
    "item": ("cli.items:item_group", "理论试题 / theory items."),
    "key": (
        "cli.people:key_group",
        "签名密钥与 age 身份（加密保存在数据库之外） / signing keys and age identities, kept outside the DB.",
    ),
    "overlap": (
        "cli.overlap:overlap_group",
        "试题内容重复率检查、比较与核验 / content repetition checks.",
    ),
    "paper": ("cli.assembly:paper_group", "试卷 / papers."),
    "person": ("cli.people:person_group", "人员与角色 / people and roles."),
    "practical": ("cli.practical:practical_group", "操作技能试卷 / practical paper sets."),
    "review": ("cli.review:review_group", "专家审核（签名，回避本人试题） / expert review."),
    "seal": (
        "cli.sealing:seal_cmd",
        "提取：把批次的印制文件和试卷数据封成 age 加密包，并由提取人签名 / seal a batch.",
    ),
    "serve": (
        "cli.serve:serve",
        "启动网页工作台（审核、核验、考务批次） / serve the browser workspace.",
    ),
    "unseal": (
        "cli.sealing:unseal_cmd",
        "启封包：先核对签名和密文哈希，再解密、核对清单，全部无误才写出文件 / open a bundle.",
    ),
}
"""Every subcommand: where it lives and its one-line help (loaded only when it runs)."""


@click.group(
    cls=QbankGroup,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@common_options
@click.version_option(package_name="qbank")
def cli() -> None:
    """qbank：职业技能等级认定题库管理与组卷。

    \b
    例 / Example:
      qbank demo
      qbank import items 题库.docx --occupation 6-31-01-03 --level 4
      qbank item list --occupation 6-31-01-03 --level 4 --json
    """


@cli.command()
@common_options
@qbank_errors
def init() -> None:
    """创建或升级数据库 / create or upgrade the database.

    \b
    例 / Example:
      qbank init --db ./qbank.db
    """
    with database() as db:
        click.echo(t("cli.init_done", url=db.engine.url.render_as_string(hide_password=True)))


def main() -> None:
    try:
        cli(prog_name="qbank")
    finally:
        # What is left at exit goes with the process: the interpreter's last collections
        # would walk every object a large command made (about 0.2 s after a 55k-item import;
        # 0.03 s with them frozen out of collection). Exit handlers, stream flushes and
        # reference-counted cleanup still run.
        gc.freeze()
