"""`qbank bank file` and `qbank filing verify`: file a bank with the regulator, verify a package."""

from __future__ import annotations

from pathlib import Path

import click

from cli._common import DB_INT, common_options, emit_json, json_option, qbank_errors, t, transaction
from cli._limits import limit_option
from cli._passphrase import passphrase_from_env_or_prompt
from formats.filing_package import read_package
from qbank import audit, keys
from qbank.errors import InvalidInput
from qbank.filing_check import (
    TrustedKey,
    registered_keys,
    trusted_key_from_export,
    verify_package,
)


def _signer(name: str) -> keys.Signer:
    passphrase = passphrase_from_env_or_prompt(t("keys.prompt_use", name=name), confirm=False)
    return keys.load_signer(name, passphrase)


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
    from exporters.items_xlsx import write_items_xlsx  # heavy: only `bank file` needs them
    from formats.filing_package import write_package
    from qbank.bank import find_bank
    from qbank.filing import file_bank
    from qbank.people import get_person
    from qbank.policy import load_policy
    from qbank.tree import current_tree

    policy = load_policy(policy_file)
    actor = audit.current_actor()
    with transaction() as session:
        bank = find_bank(session, occupation, level)
        signed = [(get_person(session, name), _signer(name)) for name in reviewers]
        org = get_person(session, institution)
        org_signer = _signer(institution)
        result = file_bank(
            session,
            bank,
            policy,
            institution=org,
            institution_signer=org_signer,
            reviewers=signed,
            actor=actor,
        )
        write_package(
            result,
            out,
            signers=[(p.name, "reviewer", p.key_fingerprint or "", s) for p, s in signed]
            + [(org.name, "institution", org.key_fingerprint or "", org_signer)],
            write_workbook=write_items_xlsx,
            tree=current_tree(session, bank),
        )
    click.echo(t("filing.written", path=str(out), root=result.manifest["merkle_root"]))


@click.group("filing")
def filing_group() -> None:
    """备案包核验 / filing packages."""


def _trusted_keys(paths: tuple[Path, ...]) -> list[TrustedKey]:
    out: list[TrustedKey] = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            raise InvalidInput("keys.bad_public") from None
        found = trusted_key_from_export(text, str(path))
        if not found:
            raise InvalidInput("keys.bad_public")
        out += found
    return out


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
    from importers.table_items import read_items_table  # parsed only if the hashes pass

    contents = read_package(package, read_workbook=read_items_table)  # within --limit
    trusted = _trusted_keys(trusted_key_files)
    if _explicit_db():
        with transaction() as session:
            trusted += registered_keys(session)
    verdict = verify_package(contents.files, contents.bank_records, trusted=trusted)
    if as_json:
        out = verdict.as_dict()
        if contents.bank_error or contents.bank_problems:  # why bank.xlsx was not read
            out["bank_xlsx"] = {
                "error": contents.bank_error,
                "problems": [str(p) for p in contents.bank_problems],
            }
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
        if contents.bank_error or contents.bank_problems:
            for line in [contents.bank_error, *map(str, contents.bank_problems[:10])]:
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
