"""`qbank custody layout|sign|show|export|verify`: the signed custody log of an exam batch."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

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
from cli._passphrase import signer_from_keystore
from cli.identities import identity_options, keyring_from
from qbank import audit
from qbank.batch import get_batch
from qbank.custody import STEPS, make_layout, view
from qbank.custody.log import layout_id
from qbank.custody.verify import Verdict
from qbank.errors import InvalidInput
from qbank.people import get_person
from workflows.custody import (
    export_custody,
    read_public_key,
    sign_custody_step,
    verify_custody_batch,
    verify_custody_export,
)


def _pairs(values: Sequence[str], option: str) -> dict[str, str]:
    """`KEY=VALUE` options as a mapping (a repeated key keeps the last value)."""
    out: dict[str, str] = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key.strip():
            raise InvalidInput("custody.bad_pair", option=option, value=value)
        out[key.strip()] = rest.strip()
    return out


def _quorum(values: Sequence[str]) -> dict[str, int]:
    out = {}
    for step, number in _pairs(values, "--quorum").items():
        if not number.isdigit():
            raise InvalidInput("custody.bad_pair", option="--quorum", value=f"{step}={number}")
        out[step] = int(number)
    return out


@click.group("custody")
def custody_group() -> None:
    """保管链：组卷、提取、印制、传送、封存的签名记录 / the signed custody log of a batch."""


@custody_group.command("layout")
@click.option("--batch", "batch_id", type=ROW_ID, required=True, help="批次编号 / batch id")
@click.option("--signer", required=True, help="签署布局的评价机构（角色 institution）/ institution")
@click.option(
    "--quorum", multiple=True, metavar="STEP=N", help="某环节需几人签署，如 seal=2 / quorum"
)
@click.option("--open", "open_people", multiple=True, help="启封签署人（可多次）/ open signer")
@click.option("--archive", "archive_people", multiple=True, help="归档签署人 / archive signer")
@click.option("--legs", type=DB_INT, help="规定的传送段数（默认至少 1 段）/ planned transport legs")
@json_option
@common_options
@qbank_errors
def custody_layout(
    batch_id: int,
    signer: str,
    quorum: tuple[str, ...],
    open_people: tuple[str, ...],
    archive_people: tuple[str, ...],
    legs: int | None,
    as_json: bool,
) -> None:
    """按批次指定人员生成并签署保管布局 / fix and sign the custody layout.

    组卷、提取、印制、传送、封存的签署人取自批次的指定人员；封存默认须两人签署（只指定一人时须
    明确给出 --quorum seal=1）。

    \b
    例 / Example:
      qbank custody layout --batch 1 --signer 某技师学院 --open 督导员甲 --archive 王老师
    """
    key = signer_from_keystore(signer)
    with transaction() as session:
        layout = make_layout(
            session,
            get_batch(session, batch_id),
            signer_person=get_person(session, signer),
            signer=key,
            quorum=_quorum(quorum),
            open_people=open_people,
            archive_people=archive_people,
            transport_legs=legs,
            actor=audit.current_actor(),
        )
    if as_json:
        emit_json(layout.as_dict())
    else:
        click.echo(
            t("custody.layout_done", batch=layout.batch_code, sha256=layout_id(layout.payload()))
        )


@custody_group.command("sign")
@click.option("--batch", "batch_id", type=ROW_ID, required=True, help="批次编号 / batch id")
@click.option("--step", type=click.Choice(STEPS), required=True, help="环节 / step")
@click.option("--person", required=True, help="签署人（须为该环节指定人员）/ signer")
@click.option(
    "--evidence",
    multiple=True,
    metavar="KEY=VALUE",
    help="凭证，如 copies=120、seal_no=A0012、vehicle=湘A12345 / evidence",
)
@click.option(
    "--product",
    "product_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="交出的文件（如印制清单），记录其 SHA-256 / file handed on",
)
@identity_options
@json_option
@common_options
@qbank_errors
def custody_sign(
    batch_id: int,
    step: str,
    person: str,
    evidence: tuple[str, ...],
    product_files: tuple[Path, ...],
    identity_files: tuple[Path, ...],
    identity_person: str | None,
    as_json: bool,
) -> None:
    """签署一个保管环节；接收的材料自动取自上一环节的成品 / sign a custody step.

    \b
    例 / Example:
      qbank custody sign --batch 1 --step print --person 刘师傅 --product 印制清单.xlsx \\
        --evidence copies=120
      qbank custody sign --batch 1 --step transport --person 陈老师 \\
        --evidence from=印刷厂 --evidence to=长沙考点 --evidence vehicle=湘A12345
    """
    if (identity_files or identity_person) and step != "open":
        raise click.UsageError(t("custody.identity_only_open"))
    signed = sign_custody_step(
        transaction,
        batch_id,
        step,
        person,
        key_source=signer_from_keystore,
        actor=audit.current_actor(),
        evidence=_pairs(evidence, "--evidence"),
        product_files=product_files,
        identities=keyring_from(identity_files, identity_person),
    ).signed
    if as_json:
        emit_json(
            {
                "entry": signed.entry.as_dict(),
                "checkpoint": signed.checkpoint,
                "verdict": signed.verdict.as_dict(),
            }
        )
        return
    click.echo(
        t(
            "custody.signed",
            position=signed.entry.position,
            step=t(f"custody.step.{step}"),
            person=person,
            root=signed.verdict.root,
        )
    )
    click.echo(signed.verdict.message)


@custody_group.command("show")
@click.option("--batch", "batch_id", type=ROW_ID, required=True, help="批次编号 / batch id")
@json_option
@common_options
@qbank_errors
def custody_show(batch_id: int, as_json: bool) -> None:
    """显示保管布局、各条记录与核验结论 / show the custody log.

    \b
    例 / Example:
      qbank custody show --batch 1
    """
    with transaction() as session:
        shown = view(session, get_batch(session, batch_id))
    if as_json:
        emit_json(
            {
                "layout": shown.layout.as_dict(),
                "entries": [e.as_dict() for e in shown.entries],
                "verdict": shown.verdict.as_dict(),
            }
        )
        return
    layout = shown.layout
    click.echo(f"{layout.batch_code}  {layout.origin}  {layout.signer.name}")
    for rule in layout.steps:
        click.echo(
            "  "
            + t(
                "custody.layout_line",
                step=t(f"custody.step.{rule.step}"),
                people="、".join(k.name for k in rule.people),
                quorum=rule.quorum,
            )
        )
    legs = layout.transport_legs
    click.echo("  " + t("custody.legs_line", legs=legs if legs else t("custody.legs_any")))
    emit_table(
        [
            (
                e.position,
                t(f"custody.step.{e.step}"),
                e.person_name,
                e.claimed_time,
                len(e.products),
                " ".join(f"{k}={v}" for k, v in sorted(e.evidence.items())),
            )
            for e in shown.entries
        ],
        tuple(
            t(f"custody.col.{c}")
            for c in ("position", "step", "person", "time", "products", "evidence")
        ),
    )
    click.echo(shown.verdict.message)


@custody_group.command("export")
@click.option("--batch", "batch_id", type=ROW_ID, required=True, help="批次编号 / batch id")
@click.option(
    "--out", type=click.Path(path_type=Path), required=True, help="导出目录 / output directory"
)
@common_options
@qbank_errors
def custody_export(batch_id: int, out: Path) -> None:
    """导出保管链（日志、检查点、布局、公钥），供不接数据库核验 / export the custody log.

    \b
    例 / Example:
      qbank custody export --batch 1 --out 保管链-1
      qbank custody verify --dir 保管链-1 --trusted-key 评价机构.pub
    """
    exported = export_custody(transaction, batch_id, out)
    click.echo(t("custody.exported", count=len(exported.files), path=str(out)))


@custody_group.command("verify")
@click.option("--batch", "batch_id", type=ROW_ID, help="核验数据库中的批次 / batch id")
@click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path),
    help="核验导出目录（不需要数据库）/ exported directory",
)
@click.option(
    "--trusted-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="评价机构公钥（qbank key export 的一行）/ the institution's public key",
)
@click.option(
    "--checkpoint",
    "checkpoints",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="此前收到的检查点，日志须延续它 / a checkpoint received earlier",
)
@json_option
@common_options
@qbank_errors
def custody_verify(
    batch_id: int | None,
    directory: Path | None,
    trusted_key: Path | None,
    checkpoints: tuple[Path, ...],
    as_json: bool,
) -> None:
    """核验保管链：有效（VALID）退出码 0，无效（INVALID）1，未完成（INCOMPLETE）2 / verify.

    --dir 不需要数据库；须用 --trusted-key 指定评价机构公钥，否则结论为 INVALID
    （UNTRUSTED_LAYOUT_KEY）。--batch 以数据库登记的评价机构公钥为准。

    \b
    例 / Example:
      qbank custody verify --dir 保管链-1 --trusted-key 评价机构.pub --json
      qbank custody verify --batch 1
    """
    if (batch_id is None) == (directory is None):
        raise click.UsageError(t("custody.batch_or_dir"))
    pinned = None if trusted_key is None else read_public_key(trusted_key)
    verdict: Verdict
    if directory is not None:
        verdict = verify_custody_export(directory, trusted_key=pinned, checkpoint_files=checkpoints)
    else:
        assert batch_id is not None
        verdict = verify_custody_batch(
            transaction, batch_id, trusted_key=pinned, checkpoint_files=checkpoints
        )
    if as_json:
        emit_json(verdict.as_dict())
    else:
        click.echo(verdict.message)
    if verdict.exit_code:
        raise SystemExit(verdict.exit_code)
