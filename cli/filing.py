"""`qbank bank file` and `qbank filing verify`: file a bank with the regulator, verify a package."""

from __future__ import annotations

from pathlib import Path

import click

from cli._common import common_options, emit_json, json_option, qbank_errors, t, transaction
from exporters.filing_package import write_package
from importers.filing_package import read_package
from qbank import audit, keys
from qbank.bank import find_bank
from qbank.filing import file_bank
from qbank.filing_check import verify_package
from qbank.people import get_person
from qbank.policy import load_policy


def _signer(name: str) -> keys.Signer:
    passphrase = keys.passphrase_from_env_or_prompt(t("keys.prompt_use", name=name), confirm=False)
    return keys.load_signer(name, passphrase)


@click.command("file")
@click.option("--occupation", required=True, metavar="CODE", help="职业编码 / occupation code")
@click.option("--level", type=int, required=True, help="等级 1–5 / level")
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
        )
    click.echo(t("filing.written", path=str(out), root=result.manifest["merkle_root"]))


@click.group("filing")
def filing_group() -> None:
    """备案包核验 / filing packages."""


@filing_group.command("verify")
@click.argument("package", type=click.Path(path_type=Path))
@json_option
@common_options
@qbank_errors
def filing_verify(package: Path, as_json: bool) -> None:
    """核验备案包（不需要评价机构的数据库）；全部通过时退出码为 0 / verify a filing package.

    \b
    例 / Example:
      qbank filing verify 备案包 --json
    """
    contents = read_package(package)
    verdict = verify_package(contents.files, contents.bank_records)
    if as_json:
        emit_json(verdict.as_dict())
    else:
        for check in verdict.checks:
            mark = t("overlap.match") if check.ok else t("overlap.mismatch")
            click.echo(f"{check.check:<18} {mark}  {check.detail}")
        click.echo(t("filing.verified" if verdict.ok else "filing.not_verified"))
    if not verdict.ok:
        raise SystemExit(1)
