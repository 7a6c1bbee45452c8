"""Entry point: `qbank` and its command groups."""

from __future__ import annotations

import click

from cli import (
    assembly,
    banks,
    batches,
    custody,
    db,
    demo,
    export,
    filing,
    importing,
    items,
    overlap,
    people,
    review,
    sealing,
)
from cli._common import common_options, database, qbank_errors, t
from cli._errors import QbankGroup


@click.group(
    cls=QbankGroup,
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


cli.add_command(importing.import_group)
cli.add_command(banks.bank_group)
cli.add_command(items.item_group)
cli.add_command(overlap.overlap_group)
cli.add_command(people.person_group)
cli.add_command(people.key_group)
cli.add_command(review.review_group)
cli.add_command(filing.filing_group)
cli.add_command(batches.batch_group)
cli.add_command(assembly.assemble_cmd)
cli.add_command(assembly.paper_group)
cli.add_command(custody.custody_group)
cli.add_command(export.export_group)
banks.bank_group.add_command(filing.bank_file)
cli.add_command(demo.demo)
cli.add_command(sealing.seal_cmd)
cli.add_command(sealing.unseal_cmd)
cli.add_command(db.db_group)


def main() -> None:
    cli(prog_name="qbank")
