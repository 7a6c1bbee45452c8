"""`qbank seal` and `qbank unseal`: signed age bundles of a batch's documents and paper data."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy.engine import make_url

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
from cli._limits import limit_option
from cli._passphrase import passphrase_from_env_or_prompt
from cli.identities import identity_options, keyring_from, read_identity_files
from qbank import audit, keys
from qbank.db import resolve_url
from qbank.errors import InvalidInput
from qbank.model import Batch

SEAL_PASSPHRASE_ENV = "QBANK_SEAL_PASSPHRASE"


def _bundle_passphrase(*, confirm: bool) -> str:
    """`QBANK_SEAL_PASSPHRASE` when set, else asked without echo (twice when sealing)."""
    return passphrase_from_env_or_prompt(
        t("seal.prompt_passphrase"), confirm=confirm, env=SEAL_PASSPHRASE_ENV
    )


@click.command("seal")
@click.option("--batch", "batch_id", type=ROW_ID, required=True, help="考试批次编号 / batch id")
@click.option(
    "--recipient",
    "recipients",
    multiple=True,
    metavar="AGE1…",
    help="age 接收方公钥，可多次给出（印制点、考点、鉴定中心托管） / age recipient (repeatable)",
)
@click.option(
    "--recipient-person",
    "recipient_people",
    multiple=True,
    metavar="NAME",
    help="用此人登记的 age 公钥作接收方，可多次给出 / a person's registered age recipient",
)
@click.option(
    "--pdf/--no-pdf",
    "--count-pages/--no-count-pages",
    "count_pages",
    default=None,
    help="用 LibreOffice 生成 PDF 印制母版并写入页脚“共 y 页”（默认：已安装时生成） "
    "/ PDF print masters and page totals with LibreOffice (default: when installed)",
)
@click.option(
    "--passphrase",
    "use_passphrase",
    is_flag=True,
    help=f"只用口令加密（口令取自 ${SEAL_PASSPHRASE_ENV} 或输入两次） / passphrase only",
)
@click.option("--person", required=True, help="签名的提取人 / the designated extractor who signs")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="输出目录（已有同名封存包时拒绝） / output directory",
)
@click.option(
    "--copies",
    type=DB_INT,
    help="每份试卷印制份数（默认：考生人数） / copies per paper (default: candidates)",
)
@click.option("--with-key", is_flag=True, help="同时封入参考答案 / also bundle the answer keys")
@identity_options
@json_option
@common_options
@qbank_errors
def seal_cmd(
    batch_id: int,
    recipients: tuple[str, ...],
    recipient_people: tuple[str, ...],
    use_passphrase: bool,
    person: str,
    out_dir: Path,
    copies: int | None,
    with_key: bool,
    identity_files: tuple[Path, ...],
    identity_person: str | None,
    count_pages: bool | None,
    as_json: bool,
) -> None:
    """提取：把批次的印制文件和试卷数据封成 age 加密包，并由提取人签名 / seal a batch.

    生成 <批次号>.tar.age（age v1 格式，可用标准 age 工具解开）和 <批次号>.tar.age.sig.json
    （提取人的 Ed25519 签名）。签名密钥口令取自 $QBANK_PASSPHRASE 或提示输入。

    \b
    例 / Example:
      qbank seal --batch 1 --recipient-person 刘师傅 --recipient age1… --person 赵老师 --out 封存
      QBANK_SEAL_PASSPHRASE=… qbank seal --batch 1 --passphrase --person 赵老师 --out 封存
    """
    from exporters.print_run import KEY_KINDS, PRINT_ROOM_KINDS
    from workflows.printing import batch_documents, pdf_unavailable
    from workflows.sealing import seal_batch_to_dir

    if use_passphrase == bool(recipients or recipient_people):
        raise InvalidInput("seal.one_mode")
    passphrase = _bundle_passphrase(confirm=True) if use_passphrase else None
    signer = keys.load_signer(
        person, passphrase_from_env_or_prompt(t("keys.prompt_use", name=person), confirm=False)
    )
    keyring = keyring_from(identity_files, identity_person)
    with transaction() as session, progress(shown=not as_json) as advance:

        def documents(batch: Batch) -> dict[str, bytes]:
            return batch_documents(
                session,
                batch,
                copies=copies if copies is not None else batch.candidates,
                kinds=(*PRINT_ROOM_KINDS, *KEY_KINDS) if with_key else PRINT_ROOM_KINDS,
                identities=keyring,
                pdf=count_pages,
                progress=advance,
            )

        result = seal_batch_to_dir(
            session,
            batch_id,
            documents,
            signer_name=person,
            signer=signer,
            out_dir=out_dir,
            actor=audit.current_actor(),
            recipients=recipients,
            recipient_people=recipient_people,
            passphrase=passphrase,
            identities=keyring,
        )
    missing = pdf_unavailable() if count_pages is None else None
    if missing is not None:
        click.echo(t("print.no_pdf", tool=missing), err=True)
    statement = result.statement
    if as_json:
        emit_json(
            {
                "bundle": str(result.bundle_path),
                "signature": str(result.signature_path),
                "files": sorted(result.manifest["files"]),
                "statement": statement,
                "papers_sealed": [p.code for p in result.papers_sealed],
            }
        )
        return
    recipients_text = statement["recipients"]
    click.echo(
        t(
            "seal.sealed",
            batch=statement["batch"]["code"],
            bundle=str(result.bundle_path),
            files=len(result.manifest["files"]),
            sha256=statement["ciphertext_sha256"],
            signature=str(result.signature_path),
            signer=statement["signer"]["name"],
            recipients=recipients_text
            if isinstance(recipients_text, str)
            else ", ".join(recipients_text),
        )
    )
    if result.papers_sealed:
        click.echo(
            t(
                "seal.papers_sealed",
                papers=len(result.papers_sealed),
                recipients=len(result.custody_recipients),
            )
        )


@click.command("unseal")
@click.argument("bundle", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--identity",
    "identity_files",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="age 身份文件（AGE-SECRET-KEY-1…），可多次给出 / age identity file (repeatable)",
)
@click.option(
    "--passphrase",
    "use_passphrase",
    is_flag=True,
    help=f"口令加密的封存包（口令取自 ${SEAL_PASSPHRASE_ENV} 或提示输入） / by passphrase",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="输出目录（须不存在或为空） / output directory (new or empty)",
)
@click.option(
    "--signature",
    "signature_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="签名文件（默认 BUNDLE.sig.json） / signature file",  # formats.sealed_bundle.SIGNATURE_SUFFIX
)
@click.option(
    "--signer-key",
    type=click.Path(path_type=Path, dir_okay=False),
    help="提取人的公钥文件（qbank key export 的输出），不用数据库核对签名人 "
    "/ the extractor's exported public key, to pin the signer without the database",
)
@click.option(
    "--allow-unpinned",
    is_flag=True,
    help="没有可核对的签名人公钥时仍然启封（只凭签名文件自带的公钥，须另行核对指纹） "
    "/ open even when no known key pins the signer (check the fingerprint yourself)",
)
@limit_option
@json_option
@common_options
@qbank_errors
def unseal_cmd(
    bundle: Path,
    identity_files: tuple[Path, ...],
    use_passphrase: bool,
    out_dir: Path,
    signature_path: Path | None,
    signer_key: Path | None,
    allow_unpinned: bool,
    as_json: bool,
) -> None:
    """启封包：先核对签名和密文哈希，再解密、核对清单，全部无误才写出文件 / open a bundle.

    签名人的公钥用 --signer-key 指定，或从数据库（--db）中按签名人姓名查找；两者都没有时
    拒绝启封，除非加 --allow-unpinned（只核对签名文件自带的公钥，并给出提示）。
    任何一步失败都不写出任何文件。

    \b
    例 / Example:
      qbank unseal 封存/20261212-01.tar.age --identity 印制点.key --out 印制/20261212-01
      qbank unseal 20261212-01.tar.age --identity escrow.key --signer-key 赵老师.pub --out 开封
    """
    from formats.sealed_bundle import signature_file
    from workflows.sealing import unseal_bundle

    if use_passphrase == bool(identity_files):
        raise InvalidInput("seal.one_mode")
    signature_path = signature_path or signature_file(bundle)
    identities = None
    passphrase = None
    if use_passphrase:
        passphrase = _bundle_passphrase(confirm=False)
    else:
        identities = read_identity_files(identity_files)
    result = unseal_bundle(
        bundle,
        signature_path,
        identities=identities,
        passphrase=passphrase,
        trusted_keys=_trusted_keys(signature_path, signer_key),
        allow_unpinned=allow_unpinned,
        out_dir=out_dir,
    )
    if as_json:
        emit_json(
            {
                "out": str(result.out_dir),
                "files": list(result.files),
                "signer": result.signer,
                "fingerprint": result.fingerprint,
                "signer_key_pinned": result.trusted,
                "statement": result.statement,
            }
        )
    else:
        click.echo(
            t(
                "seal.unsealed",
                signer=result.signer,
                fingerprint=result.fingerprint,
                files=len(result.files),
                path=str(result.out_dir),
            )
        )
    if not result.trusted:
        click.echo(t("seal.unpinned"), err=True)


def _trusted_keys(signature_path: Path, signer_key: Path | None) -> dict[str, bytes] | None:
    """The signer's key from `--signer-key`, else from the database when there is one.

    A SQLite database file that does not exist is not created just to look a name up.
    """
    from qbank.seal import expected_signer_keys
    from workflows.sealing import read_signature_file

    if signer_key is not None:
        try:
            text = signer_key.read_text(encoding="utf-8")
        except (OSError, UnicodeError):
            raise InvalidInput("seal.unreadable", file=str(signer_key)) from None
        name, raw = keys.parse_public(text)
        return {name: raw}
    url = make_url(resolve_url((click.get_current_context().find_root().obj or {}).get("db")))
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
        return None
    signed = read_signature_file(signature_path)
    with transaction() as session:
        return expected_signer_keys(session, signed)
