"""`qbank seal` / `qbank unseal` end to end: the print run of the assembled sample batch,
sealed to registered and given recipients, signed by the extractor, opened with an identity
file, the signer pinned by the database or by an exported key, and refusals that write nothing.
"""

from __future__ import annotations

import io
import json
import shutil
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from pyrage import x25519
from test_print_practical import assembled_database

from cli.main import cli
from formats.sealed_bundle import MANIFEST, encrypt, signature_document
from qbank import keys
from qbank.canonical import canonical_bytes, sha256_hex
from qbank.confidential import set_age_recipient
from qbank.db import open_database
from qbank.people import add_person, get_person, set_public_key
from qbank.seal import SignedStatement, bundle_statement, sign_statement

BUNDLE = "20261212-01.tar.age"
EXTRACTOR = "王老师"
KEY_PASS = "seal-cli-passphrase"


def document(signed: SignedStatement) -> bytes:
    """The `.sig.json` bytes carrying a signed statement."""
    return signature_document(signed.text, signed.signature, signed.public_key)


@dataclass(frozen=True)
class Setup:
    db: str
    keystore: Path
    print_office: Path  # identity file of 刘师傅, whose age recipient is registered
    escrow: x25519.Identity
    signer_key: Path  # the extractor's exported public key


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Setup:
    folder = tmp_path_factory.mktemp("seal-cli")
    shutil.copyfile(assembled_database(tmp_path_factory), folder / "qbank.db")
    keystore = folder / "keys"
    print_office = x25519.Identity.generate()
    escrow = x25519.Identity.generate()
    staff_identity = x25519.Identity.generate()
    db = open_database(str(folder / "qbank.db"))
    try:
        with db.transaction() as session:
            info = keys.generate(EXTRACTOR, KEY_PASS, keystore=keystore)
            extractor = get_person(session, EXTRACTOR)
            set_public_key(session, extractor, info.public_key_raw, actor="t")
            # Sealing also encrypts the papers in the database to the batch's custody
            # recipients: a designated staff member's and the regulator's escrow.
            set_age_recipient(session, extractor, str(staff_identity.to_public()), actor="t")
            regulator = add_person(session, "省鉴定中心", ["regulator"], actor="t")
            set_age_recipient(session, regulator, str(escrow.to_public()), actor="t")
            liu = add_person(session, "刘师傅", ["staff"], actor="t")
            set_age_recipient(session, liu, str(print_office.to_public()), actor="t")
            chen = add_person(session, "陈老师", ["staff"], actor="t")  # no age recipient
            info = keys.generate("陈老师", KEY_PASS, keystore=keystore)
            set_public_key(session, chen, info.public_key_raw, actor="t")
    finally:
        db.dispose()
    (folder / "extractor-age.key").write_text(f"# {EXTRACTOR}\n{staff_identity}\n")
    identity_file = folder / "print-office.key"
    identity_file.write_text(f"# 刘师傅\n{print_office}\n")
    signer_key = folder / "extractor.pub"
    signer_key.write_text(keys.export_public(EXTRACTOR, keystore=keystore) + "\n")
    return Setup(str(folder / "qbank.db"), keystore, identity_file, escrow, signer_key)


@pytest.fixture(autouse=True)
def _keys(setup: Setup, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("QBANK_KEYS", str(setup.keystore))
    monkeypatch.setenv("QBANK_PASSPHRASE", KEY_PASS)
    monkeypatch.delenv("QBANK_SEAL_PASSPHRASE", raising=False)
    yield


def run(*args: str, code: int = 0, stdin: str | None = None) -> Result:
    result = CliRunner().invoke(cli, list(args), input=stdin)
    assert result.exit_code == code, result.output
    return result


def seal(setup: Setup, out: Path, *extra: str, code: int = 0, stdin: str | None = None) -> Result:
    return run(
        "seal",
        "--batch",
        "1",
        "--person",
        EXTRACTOR,
        "--out",
        str(out),
        "--copies",
        "2",
        "--no-count-pages",  # counting runs LibreOffice; the export tests cover it
        "--db",
        setup.db,
        *extra,
        code=code,
        stdin=stdin,
    )


@pytest.fixture(scope="module")
def sealed(setup: Setup, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("sealed")
    mp = pytest.MonkeyPatch()
    mp.setenv("QBANK_KEYS", str(setup.keystore))
    mp.setenv("QBANK_PASSPHRASE", KEY_PASS)
    try:
        result = seal(
            setup,
            out,
            "--recipient-person",
            "刘师傅",
            "--recipient",
            str(setup.escrow.to_public()),
            "--json",
        )
    finally:
        mp.undo()
    return out / BUNDLE, json.loads(result.stdout)


def test_seal_json_names_the_bundle_its_files_and_the_statement(
    setup: Setup, sealed: tuple[Path, dict]
) -> None:
    bundle, report = sealed
    assert report["bundle"] == str(bundle)
    assert report["signature"] == str(bundle) + ".sig.json"
    assert report["files"] == [
        "documents/print-list.json",
        "documents/印制清单.xlsx",
        "documents/操作技能试卷-P.docx",
        "documents/答题卡-A.docx",
        "documents/答题卡-B.docx",
        "documents/考场准备通知单-P.docx",
        "documents/考生准备通知单-P.docx",
        "documents/评分记录表-P.docx",
        "documents/试卷-A.docx",
        "documents/试卷-B.docx",
        "papers/A-theory.json",
        "papers/B-theory.json",
        "papers/P-practical.json",
    ]
    statement = report["statement"]
    assert statement["ciphertext_sha256"] == sha256_hex(bundle.read_bytes())
    assert statement["signer"]["name"] == EXTRACTOR
    assert sorted(statement["recipients"]) == statement["recipients"]
    assert len(statement["recipients"]) == 2


def test_unseal_pinned_by_the_database(
    setup: Setup, sealed: tuple[Path, dict], tmp_path: Path
) -> None:
    bundle, report = sealed
    out = tmp_path / "印制"
    result = run(
        "unseal",
        str(bundle),
        "--identity",
        str(setup.print_office),
        "--out",
        str(out),
        "--db",
        setup.db,
    )
    fingerprint = report["statement"]["signer"]["fingerprint"]
    assert result.stdout == (
        f"签名有效（{EXTRACTOR}，指纹 {fingerprint}），清单相符；已写出 14 个文件到 {out}\n"
    )
    assert result.stderr == ""
    listing = json.loads((out / "documents" / "print-list.json").read_bytes())
    hashes = {f["name"]: f["sha256"] for f in listing["files"]}
    for name, digest in hashes.items():
        assert sha256_hex((out / "documents" / name).read_bytes()) == digest
    assert (out / MANIFEST).is_file()


def test_unseal_without_a_database(setup: Setup, sealed: tuple[Path, dict], tmp_path: Path) -> None:
    bundle, _ = sealed
    missing_db = tmp_path / "none.db"
    base = ["unseal", str(bundle), "--identity", str(setup.print_office), "--db", str(missing_db)]
    pinned = run(
        *base, "--signer-key", str(setup.signer_key), "--out", str(tmp_path / "a"), "--json"
    )
    assert json.loads(pinned.stdout)["signer_key_pinned"] is True
    assert pinned.stderr == ""
    refused = run(*base, "--out", str(tmp_path / "b"), "--lang", "en", code=1)
    assert refused.stderr.startswith(f"Error: no pinned key for signer {EXTRACTOR} (key ")
    assert len(refused.stderr.splitlines()) == 1
    assert not (tmp_path / "b").exists()
    unpinned = run(*base, "--out", str(tmp_path / "b"), "--lang", "en", "--allow-unpinned")
    assert unpinned.stderr.startswith("warning: no known key to pin the signer")
    assert not missing_db.exists()  # looking a name up never creates a database


def test_unseal_refusals_write_nothing(
    setup: Setup, sealed: tuple[Path, dict], tmp_path: Path
) -> None:
    bundle, _ = sealed
    out = tmp_path / "out"
    other = tmp_path / "other.key"
    other.write_text(f"{x25519.Identity.generate()}\n")
    wrong = run(
        "unseal", str(bundle), "--identity", str(other), "--out", str(out), "--db", setup.db, code=1
    )
    assert (
        wrong.stderr == "错误：无法解密封存包：所给身份（或口令）都不是它的接收方，未写出任何文件\n"
    )

    copy = tmp_path / BUNDLE
    data = bundle.read_bytes()
    copy.write_bytes(data[: len(data) // 2])
    shutil.copyfile(str(bundle) + ".sig.json", str(copy) + ".sig.json")
    cut = run(
        "unseal",
        str(copy),
        "--identity",
        str(setup.print_office),
        "--out",
        str(out),
        "--db",
        setup.db,
        code=1,
    )
    assert cut.stderr.startswith(
        f"错误：封存包 {copy} 的 SHA-256 为 {sha256_hex(data[: len(data) // 2])}"
    )

    keys.generate("冒名者", KEY_PASS, keystore=tmp_path / "k")
    impostor = tmp_path / "impostor.pub"
    impostor.write_text(
        keys.export_public("冒名者", keystore=tmp_path / "k").replace("冒名者", EXTRACTOR)
    )
    untrusted = run(
        "unseal",
        str(bundle),
        "--identity",
        str(setup.print_office),
        "--signer-key",
        str(impostor),
        "--out",
        str(out),
        code=1,
    )
    assert untrusted.stderr.startswith(f"错误：签名人 {EXTRACTOR} 用指纹为")

    both = run(
        "unseal", str(bundle), "--identity", str(other), "--passphrase", "--out", str(out), code=1
    )
    assert both.stderr == "错误：请给出 age 接收方（公钥）或口令，二者只能选其一\n"
    assert not out.exists()


def test_seal_refusals_write_nothing(setup: Setup, tmp_path: Path) -> None:
    out = tmp_path / "out"
    none = seal(setup, out, code=1)
    assert none.stderr == "错误：请给出 age 接收方（公钥）或口令，二者只能选其一\n"
    unregistered = seal(setup, out, "--recipient-person", "陈老师", code=1)
    assert unregistered.stderr.startswith("错误：陈老师 没有登记 age 公钥")
    bad = seal(setup, out, "--recipient", "age1nope", code=1)
    assert bad.stderr == "错误：“age1nope”不是 age X25519 公钥（应为 age1…）\n"
    not_extractor = run(
        "seal", "--batch", "1", "--person", "陈老师", "--recipient-person", "刘师傅",
        "--out", str(out), "--copies", "1", "--db", setup.db, code=1,
    )  # fmt: skip
    assert not_extractor.stderr == (
        "错误：陈老师 不是批次 20261212-01 指定的提取人（提取人：王老师）\n"
    )
    assert not out.exists()


def test_passphrase_bundle_through_the_cli(
    setup: Setup, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bundle passphrase is asked twice when sealing, read from the environment to open."""
    mismatch = seal(setup, tmp_path / "x", "--passphrase", code=1, stdin="一二三\n一二四\n")
    assert not (tmp_path / "x").exists()
    assert mismatch.exit_code == 1
    # The first seal took the papers out of the database in the clear: bundling them again
    # needs a custody identity.
    staff_identity = str(setup.print_office.parent / "extractor-age.key")
    seal(setup, tmp_path / "out", "--passphrase", "--identity", staff_identity,
         stdin="开卷 有益\n开卷 有益\n")  # fmt: skip
    monkeypatch.setenv("QBANK_SEAL_PASSPHRASE", "开卷 有益")
    opened = run(
        "unseal", str(tmp_path / "out" / BUNDLE), "--passphrase",
        "--signer-key", str(setup.signer_key), "--out", str(tmp_path / "open"),
    )  # fmt: skip
    assert "清单相符" in opened.stdout
    assert (tmp_path / "open" / "papers" / "P-practical.json").is_file()


def forged_bundle(setup: Setup, folder: Path, entries: list[tuple[str, bytes]]) -> Path:
    """A tar of `entries` (manifest first, listing them) encrypted to the print office and
    signed with the extractor's own key: only the archive checks can refuse it."""
    manifest = canonical_bytes(
        {
            "format": "qbank-bundle/v1",
            "files": {n: {"sha256": sha256_hex(d), "size": len(d)} for n, d in entries},
        }
    )
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in [(MANIFEST, manifest), *entries]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    identity = x25519.Identity.from_str(setup.print_office.read_text().split("\n")[1])
    recipients = [str(identity.to_public())]
    ciphertext = encrypt(buffer.getvalue(), recipients=recipients)
    signer = keys.load_signer(EXTRACTOR, KEY_PASS, keystore=setup.keystore)
    statement = bundle_statement(
        batch={"id": 1, "code": "20261212-01"},
        bundle=BUNDLE,
        ciphertext_sha256=sha256_hex(ciphertext),
        manifest_sha256=sha256_hex(manifest),
        papers=[],
        recipients=recipients,
        signer=signer,
        signed_at=datetime(2026, 12, 1, tzinfo=UTC),
    )
    folder.mkdir()
    (folder / BUNDLE).write_bytes(ciphertext)
    (folder / (BUNDLE + ".sig.json")).write_bytes(document(sign_statement(statement, signer)))
    return folder / BUNDLE


@pytest.mark.parametrize(
    ("entries", "chinese", "english"),
    [
        (
            [("documents/a", b"a"), ("documents/a/b", b"b")],
            "错误：“documents/a”既是文件，又是“documents/a/b”所在的目录，无法同时写出，未写出任何文件",
            "Error: 'documents/a' is both a file and the directory holding 'documents/a/b'; "
            "nothing was written",
        ),
        (
            [("documents/" + "x" * 256, b"a")],
            "错误：文件名“documents/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…（266）”过长"
            "（256 字节；每段上限 255 字节，全长上限 1024 字节），未写出任何文件",
            "Error: file name 'documents/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…（266）' "
            "is too long (256 bytes; at most 255 bytes a part and 1024 in all); nothing was written",
        ),
    ],
)
def test_unseal_refuses_a_hostile_archive_in_one_line(
    setup: Setup,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    entries: list[tuple[str, bytes]],
    chinese: str,
    english: str,
) -> None:
    bundle = forged_bundle(setup, tmp_path / "forged", entries)
    args = ("unseal", str(bundle), "--identity", str(setup.print_office))
    pinned = ("--signer-key", str(setup.signer_key), "--out", str(tmp_path / "out"))
    assert run(*args, *pinned, code=1).stderr == chinese + "\n"
    monkeypatch.setenv("QBANK_LANG", "en")
    assert run(*args, *pinned, code=1).stderr == english + "\n"
    assert not (tmp_path / "out").exists()


def test_unseal_refuses_an_out_that_is_a_symlink(
    setup: Setup, sealed: tuple[Path, dict], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle, _ = sealed
    target = tmp_path / "target"
    target.mkdir()
    link = tmp_path / "link"
    link.symlink_to(target, target_is_directory=True)
    args = ("unseal", str(bundle), "--identity", str(setup.print_office), "--out", str(link))
    refused = run(*args, "--signer-key", str(setup.signer_key), code=1)
    assert refused.stderr == f"错误：输出目录 {link} 是符号链接，不会写入（请给出一个真实的目录）\n"
    monkeypatch.setenv("QBANK_LANG", "en")
    refused = run(*args, "--db", setup.db, code=1)
    assert refused.stderr == (
        f"Error: output directory {link} is a symbolic link; nothing was written "
        "(give a real directory)\n"
    )
    assert list(target.iterdir()) == [] and link.is_symlink()


def test_unseal_bundle_over_the_size_limit(
    setup: Setup, sealed: tuple[Path, dict], tmp_path: Path
) -> None:
    bundle, _ = sealed
    args = ("unseal", str(bundle), "--identity", str(setup.print_office), "--db", setup.db)
    refused = run(*args, "--out", str(tmp_path / "out"), "--limit", "file_size=1K", code=1)
    assert len(refused.stderr.splitlines()) == 1 and str(bundle) in refused.stderr
    assert "file_size" in refused.stderr and not (tmp_path / "out").exists()
