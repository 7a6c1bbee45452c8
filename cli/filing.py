"""`qbank bank file` and `qbank filing verify`: file a bank with the regulator, verify a package."""

from __future__ import annotations

from pathlib import Path

import click

from cli._common import DB_INT, common_options, emit_json, json_option, qbank_errors, t, transaction
from cli._limits import limit_option
from cli._passphrase import signer_from_keystore
from qbank import audit
from workflows.filing import verify_filing
from workflows.types import BankRef


@click.command("file")
@click.option("--occupation", required=True, metavar="CODE", help="职业编码 / occupation code")
@click.option("--level", type=DB_INT, required=True, help="等级 1–5 / level")
@click.option(
    "--out", type=click.Path(path_type=Path), required=True, help="备案包目录 / package directory"
)
@click.option(
    "--reviewer",
    "reviewers",
    multiple=True,
    required=True,
    help="签名的审题专家（审核通过过本题库试题），可多次给出 / approving reviewer",
)
@click.option("--institution", required=True, help="评价机构（角色 institution）/ institution")
@click.option(
    "--policy", "policy_file", type=click.Path(path_type=Path), help="政策文件 / policy profile"
)
@common_options
@qbank_errors
def bank_file(
    occupation: str,
    level: int,
    out: Path,
    reviewers: tuple[str, ...],
    institution: str,
    policy_file: Path | None,
) -> None:
    """备案：符合条件时冻结题库快照、签名并写出备案包 / file a compliant bank.

    \b
    例 / Example:
      qbank bank file --occupation 6-31-01-03 --level 4 --reviewer 李工 --institution 某技师学院 --out 备案包
    """
    from qbank.policy import load_policy
    from workflows.filing import file_bank_package

    written = file_bank_package(
        transaction,
        BankRef(occupation, level),
        out,
        reviewers=reviewers,
        institution=institution,
        key_source=signer_from_keystore,
        policy=load_policy(policy_file),
        actor=audit.current_actor(),
    )
    click.echo(t("filing.written", path=str(out), root=written.merkle_root))


@click.group("filing")
def filing_group() -> None:
    """备案包核验 / filing packages."""


def _explicit_db() -> bool:
    """Only a database named with --db vouches for keys, never $QBANK_DB or ./qbank.db."""
    return bool((click.get_current_context().find_root().obj or {}).get("db"))


@filing_group.command("verify")
@click.argument("package", type=click.Path(path_type=Path))
@click.option(
    "--trusted-key",
    "trusted_key_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="固定的公钥（qbank key export 写出的 .pub），评价机构与每位签名的审题专家各一，可多次给出"
    " / a pinned public key (.pub), repeatable",
)
@limit_option
@json_option
@common_options
@qbank_errors
def filing_verify(package: Path, trusted_key_files: tuple[Path, ...], as_json: bool) -> None:
    """核验备案包（目录或其 zip，不需要评价机构的数据库）；结论 VALID 时退出码为 0 / verify.

    每位签名人的公钥都须经固定：--trusted-key 给出的 .pub（名称与公钥均一致），或 --db 指定的
    本方数据库中登记的人员公钥（且具有所签角色；只认明确给出的 --db，不要用随备案包收到的数据库）；
    否则结论为 INVALID，并列出未固定的签名人及其完整 SHA-256 指纹，供与评价机构另行核对。
    签名或哈希不符时不再解析题目与工作簿。字节级格式见 docs/formats.md。

    \b
    例 / Example:
      qbank filing verify 备案包 --trusted-key 某技师学院.pub --trusted-key 李工.pub --json
      qbank filing verify 备案包 --db 本中心.db
    """
    checked = verify_filing(  # within --limit / $QBANK_LIMITS
        package,
        trusted_key_files=trusted_key_files,
        registered_in=transaction if _explicit_db() else None,
    )
    verdict = checked.verdict
    if as_json:
        out = verdict.as_dict()
        if checked.bank_error or checked.bank_problems:  # why bank.xlsx was not read
            out["bank_xlsx"] = {"error": checked.bank_error, "problems": checked.bank_problems}
        emit_json(out)
    else:
        for check in verdict.checks:
            mark = (
                t("filing.skipped")
                if check.skipped
                else t("overlap.match")
                if check.ok
                else t("overlap.mismatch")
            )
            click.echo(f"{check.check:<18} {mark}  {check.detail}")
        if checked.bank_error or checked.bank_problems:
            for line in [checked.bank_error, *checked.bank_problems[:10]]:
                if line:
                    click.echo(f"  bank.xlsx: {line}")
        for signer in verdict.unpinned:
            key = "filing.key_mismatch" if signer.trusted_fingerprint else "filing.unpinned"
            click.echo(
                t(
                    key,
                    name=signer.name,
                    role=signer.role,
                    fingerprint=signer.fingerprint,
                    trusted=signer.trusted_fingerprint or "",
                )
            )
        if verdict.ok:
            click.echo(t("filing.verified"))
        elif verdict.unpinned:
            click.echo(t("filing.untrusted"))
        else:
            click.echo(t("filing.not_verified"))
    if not verdict.ok:
        raise SystemExit(1)
