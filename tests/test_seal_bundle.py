"""Sealed bundles: deterministic archive, age encryption, the extractor's signature, unsealing,
and tampering — flipped bytes, truncation at every STREAM chunk boundary, a wrong identity, a
bundle replaced by another encrypted to the same recipient, forged signatures and manifests.

The batch is the assembled sample batch 20261212-01 (theory papers A and B, practical P) of
tests/test_print_practical.py; every designated step there is 王老师, who signs as extractor.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import pty
import random
import select as io_select
import shutil
import subprocess
import tarfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import copy_to_postgresql, pg_schema_url
from fresh import modules_after
from pyrage import x25519
from sqlalchemy import func, select
from test_print_practical import assembled_database
from test_seal_cli import document as sig_document

from formats import limits as reading_limits
from formats.sealed_bundle import (
    MANIFEST,
    STREAM_CHUNK,
    BadArchive,
    DecryptFailed,
    ManifestMismatch,
    NameConflict,
    NameTooLong,
    UnsafeName,
    build_archive,
    decrypt,
    encrypt,
    read_archive,
    read_header,
)
from qbank import keys
from qbank.batch import get_batch
from qbank.canonical import canonical_bytes, content_id, sha256_hex
from qbank.confidential import IdentityRequired, clear_composition, seal_papers, set_age_recipient
from qbank.db import Database, open_database
from qbank.errors import BadSignature, FileTooLarge, InvalidInput, LimitExceeded, QbankError
from qbank.model import AuditEvent, Paper, SealedBundle
from qbank.people import add_person, get_person, set_public_key
from qbank.seal import (
    HashMismatch,
    UnpinnedSigner,
    UntrustedSigner,
    bundle_statement,
    expected_signer_keys,
    paper_data,
    sign_statement,
)
from workflows.sealing import read_signature_file, seal_batch_to_dir, unseal_bundle

BATCH_CODE = "20261212-01"
BUNDLE = f"{BATCH_CODE}.tar.age"
EXTRACTOR = "王老师"
KEY_PASS = "seal-test-passphrase"
DOCS = {
    "试卷-A.docx": b"paper A " * 500,
    "答题卡-A.docx": b"answer sheet A",
    "印制清单.xlsx": b"print list",
}
# Incompressible and large, so the age payload spans several 64 KiB STREAM chunks.
BIG = {**DOCS, "操作技能试卷-P.docx": random.Random(7).randbytes(5 * STREAM_CHUNK + 1234)}


@dataclass
class World:
    db: Database
    batch_id: int
    signer: keys.Signer  # 王老师's registered key
    impostor: keys.Signer  # another key under the name 王老师
    bystander: keys.Signer  # 赵老师: staff, not an extractor
    print_office: x25519.Identity
    escrow: x25519.Identity  # also the regulator's escrow the papers are sealed to at rest
    custody: x25519.Identity  # 王老师's own: the batch's staff recipient at rest


def make_world(db: Database, keystore: Path, batch_id: int) -> World:
    """Keys for the extractor and a bystander, registered; an impostor's key kept apart; age
    recipients for the batch's custody (the extractor and a regulator's escrow). (Each key is
    made opened: key derivation is slow, and loading is test_keys' business.)"""
    escrow, custody = x25519.Identity.generate(), x25519.Identity.generate()
    signer = keys.generate_signer(EXTRACTOR, KEY_PASS, keystore=keystore)
    bystander = keys.generate_signer("赵老师", KEY_PASS, keystore=keystore)
    with db.transaction() as session:
        wang = get_person(session, EXTRACTOR)
        set_public_key(session, wang, signer.public_key_raw, actor="t")
        set_age_recipient(session, wang, str(custody.to_public()), actor="t")
        regulator = add_person(session, "省鉴定中心", ["regulator"], actor="t")
        set_age_recipient(session, regulator, str(escrow.to_public()), actor="t")
        zhao = add_person(session, "赵老师", ["staff"], actor="t")
        set_public_key(session, zhao, bystander.public_key_raw, actor="t")
    return World(
        db=db,
        batch_id=batch_id,
        signer=signer,
        impostor=keys.generate_signer(EXTRACTOR, KEY_PASS, keystore=keystore / "impostor"),
        bystander=bystander,
        print_office=x25519.Identity.generate(),
        escrow=escrow,
        custody=custody,
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The assembled batch on a SQLite copy; tests may seal into it (rows accumulate)."""
    folder = tmp_path_factory.mktemp("seal-sqlite")
    shutil.copyfile(assembled_database(tmp_path_factory), folder / "qbank.db")
    db = open_database(str(folder / "qbank.db"))
    yield make_world(db, folder / "keys", 1)
    db.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """The same batch on each backend (on PostgreSQL a copy in its own schema)."""
    if request.param == "sqlite":
        yield request.getfixturevalue("world")
        return
    with pg_schema_url() as url:
        copy_to_postgresql(assembled_database(tmp_path_factory), url)
        db = open_database(url)
        try:
            yield make_world(db, tmp_path_factory.mktemp("seal-pg") / "keys", 1)
        finally:
            db.dispose()


def seal(
    w: World,
    out: Path,
    files: dict[str, bytes] = DOCS,
    *,
    recipients: list[str] | None = None,
    passphrase: str | None = None,
    person: str = EXTRACTOR,
    signer: keys.Signer | None = None,
    identities: list[x25519.Identity] | None = None,
) -> Any:
    """Seal through the workflow; the first seal also seals the papers at rest, so later
    ones read them with the custody identity (or `identities`)."""
    if recipients is None and passphrase is None:
        recipients = [str(w.print_office.to_public()), str(w.escrow.to_public())]
    with w.db.transaction() as session:
        return seal_batch_to_dir(
            session,
            w.batch_id,
            files,
            signer_name=person,
            signer=signer or w.signer,
            out_dir=out,
            actor="t",
            recipients=recipients or (),
            passphrase=passphrase,
            identities=[w.custody] if identities is None else identities,
        )


def pinned(w: World) -> dict[str, bytes]:
    return {EXTRACTOR: w.signer.public_key_raw}


def bundle_count(w: World) -> int:
    with w.db.transaction() as session:
        return session.scalar(select(func.count()).select_from(SealedBundle)) or 0


def left_behind(folder: Path) -> list[str]:
    """Whatever a failed command left in `folder` (it should leave nothing)."""
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# --- sealing on both backends ---------------------------------------------------------------


def test_sealed_bundle_holds_the_papers_and_documents_and_opens_for_each_recipient(
    backend: World, tmp_path: Path
) -> None:
    w = backend
    result = seal(w, tmp_path / "out")
    bundle, sig = result.bundle_path, result.signature_path
    assert left_behind(tmp_path / "out") == [BUNDLE, BUNDLE + ".sig.json"]
    statement = result.statement
    assert statement["type"] == "qbank-sealed-bundle/v1"
    assert statement["batch"] == {
        "id": w.batch_id,
        "code": BATCH_CODE,
        "occupation": "6-31-01-03",
        "level": 4,
    }
    assert statement["bundle"] == BUNDLE
    assert statement["ciphertext_sha256"] == sha256_hex(bundle.read_bytes())
    assert [(p["code"], p["kind"]) for p in statement["papers"]] == [
        ("A", "theory"),
        ("B", "theory"),
        ("P", "practical"),
    ]
    assert statement["recipients"] == sorted(
        [str(w.print_office.to_public()), str(w.escrow.to_public())]
    )
    assert statement["signer"] == {"name": EXTRACTOR, "fingerprint": w.signer.fingerprint}

    document = json.loads(sig.read_bytes())
    assert document["statement"].encode() == canonical_bytes(statement)
    assert keys.verify(
        w.signer.public_key_raw,
        document["statement"].encode(),
        base64.b64decode(document["signature"]),
    )
    with w.db.transaction() as session:
        row = session.get(SealedBundle, result.bundle.id)
        assert row is not None
        assert (row.sha256, row.manifest_sha256, row.file_name) == (
            statement["ciphertext_sha256"],
            statement["manifest_sha256"],
            BUNDLE,
        )
        assert (row.payload, row.signature) == (document["statement"], document["signature"])
        assert row.signer_id == get_person(session, EXTRACTOR).id
        event = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "seal_bundle")
            .order_by(AuditEvent.id.desc())
        ).first()
        assert event is not None and event.detail["sha256"] == statement["ciphertext_sha256"]
        trusted = expected_signer_keys(session, read_signature_file(sig))
        layouts = {
            p.code: clear_composition(session, p, [w.custody]).layout
            for p in session.scalars(select(Paper).where(Paper.batch_id == w.batch_id))
        }
    assert trusted == pinned(w)

    for n, identity in enumerate((w.print_office, w.escrow)):
        out = tmp_path / f"opened-{n}"
        opened = unseal_bundle(
            bundle, sig, identities=[identity], trusted_keys=trusted, out_dir=out
        )
        assert opened.trusted and opened.signer == EXTRACTOR
        assert opened.files[0] == MANIFEST
        for name, data in DOCS.items():
            assert (out / "documents" / name).read_bytes() == data
        manifest = json.loads((out / MANIFEST).read_bytes())
        assert sha256_hex((out / MANIFEST).read_bytes()) == statement["manifest_sha256"]
        assert sorted(manifest["files"]) == sorted(f for f in opened.files if f != MANIFEST)
    check_paper_data(out, layouts)


def check_paper_data(out: Path, layouts: dict[str, dict[str, Any]]) -> None:
    """Each paper's file carries its layout and the exact content of every version used."""
    for code in ("A", "B"):
        data = json.loads((out / "papers" / f"{code}-theory.json").read_bytes())
        assert data["layout"] == layouts[code]
        assert [i["item_id"] for i in data["items"]] == layouts[code]["items"]
        assert [i["version"] for i in data["items"]] == layouts[code]["versions"]
        assert all(content_id(i["content"]) == i["version"] for i in data["items"])
    practical = json.loads((out / "papers" / "P-practical.json").read_bytes())
    assert practical["set"]["version"] == layouts["P"]["version"]
    assert practical["set"]["code"] == layouts["P"]["set"]
    assert content_id(practical["set"]["content"]) == practical["set"]["version"]


def test_refused_seals_store_and_write_nothing(backend: World, tmp_path: Path) -> None:
    w = backend
    before = bundle_count(w)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"person": "赵老师", "signer": w.bystander}, "seal.not_extractor"),
        ({"signer": w.impostor}, "seal.key_mismatch"),
        ({"recipients": ["age1notarecipient"]}, "seal.bad_recipient"),
        ({"recipients": [str(w.escrow.to_public())], "passphrase": "x"}, "seal.one_mode"),
        ({"files": {"../evil.docx": b"x"}}, "seal.unsafe_name"),
        ({"files": {"a\\b.docx": b"x"}}, "seal.unsafe_name"),
    ]
    for n, (options, key) in enumerate(cases):
        out = tmp_path / f"out-{n}"
        with pytest.raises(QbankError) as err:
            seal(w, out, **options)
        assert err.value.key == key
        assert left_behind(out) == []
    assert bundle_count(w) == before

    out = tmp_path / "taken"
    out.mkdir()
    (out / (BUNDLE + ".sig.json")).write_text("mine")
    with pytest.raises(InvalidInput) as err:
        seal(w, out)
    assert err.value.key == "seal.out_exists"
    assert left_behind(out) == [BUNDLE + ".sig.json"]
    assert (out / (BUNDLE + ".sig.json")).read_text() == "mine"
    assert bundle_count(w) == before


# --- passphrase and the stock age tool --------------------------------------------------------


PASSPHRASE = "开卷有益 correct horse"


@pytest.fixture(scope="module")
def passphrase_sealed(world: World, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One passphrase bundle for the tests below: rage's scrypt costs ~1-2 s a call here."""
    return seal(world, tmp_path_factory.mktemp("by-passphrase"), passphrase=PASSPHRASE)


def test_passphrase_bundle(world: World, passphrase_sealed: Any, tmp_path: Path) -> None:
    result = passphrase_sealed
    assert result.statement["recipients"] == "passphrase"
    assert "scrypt" in read_header(result.bundle_path.read_bytes()).stanza_types
    args = (result.bundle_path, result.signature_path)
    with pytest.raises(DecryptFailed) as err:
        unseal_bundle(*args, passphrase="wrong", trusted_keys=pinned(world), out_dir=tmp_path / "a")
    assert err.value.kind == "no_match"
    with pytest.raises(DecryptFailed) as err:
        unseal_bundle(
            *args, identities=[world.escrow], trusted_keys=pinned(world), out_dir=tmp_path / "b"
        )
    assert err.value.key == "seal.decrypt_failed" and "--passphrase" in str(err.value)
    opened = unseal_bundle(
        *args, passphrase=PASSPHRASE, trusted_keys=pinned(world), out_dir=tmp_path / "c"
    )
    assert (tmp_path / "c" / "documents" / "试卷-A.docx").read_bytes() == DOCS["试卷-A.docx"]
    assert opened.trusted
    assert left_behind(tmp_path) == ["c"]


needs_age = pytest.mark.skipif(
    not (shutil.which("age") and shutil.which("tar")),
    reason="the stock age tool (https://age-encryption.org) or tar is not installed",
)


@needs_age
def test_stock_age_and_tar_open_the_bundle(world: World, tmp_path: Path) -> None:
    result = seal(world, tmp_path / "out", BIG)
    key = tmp_path / "print-office.key"
    key.write_text(f"# print office\n{world.print_office}\n")
    tar_path = tmp_path / "bundle.tar"
    subprocess.run(
        ["age", "-d", "-i", str(key), "-o", str(tar_path), str(result.bundle_path)], check=True
    )
    listing = subprocess.run(
        ["tar", "-tvf", str(tar_path)], check=True, capture_output=True, text=True
    ).stdout.splitlines()
    assert listing[0].split()[-1] == MANIFEST
    assert all(
        line.startswith("-rw-r--r-- 0/0") and " 1970-01-01 00:00 " in line for line in listing
    )
    extracted = tmp_path / "x"
    extracted.mkdir()
    subprocess.run(["tar", "-xf", str(tar_path), "-C", str(extracted)], check=True)
    manifest = json.loads((extracted / MANIFEST).read_bytes())
    assert sha256_hex((extracted / MANIFEST).read_bytes()) == result.statement["manifest_sha256"]
    for name, entry in manifest["files"].items():
        assert hashlib.sha256((extracted / name).read_bytes()).hexdigest() == entry["sha256"]
    assert (extracted / "documents" / "操作技能试卷-P.docx").read_bytes() == BIG[
        "操作技能试卷-P.docx"
    ]


# --- tampering --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sealed:
    bundle: Path
    signature: Path
    ciphertext: bytes
    archive: bytes
    payload_start: int  # first byte after the header and the 16-byte nonce
    chunks: int


@pytest.fixture(scope="module")
def sealed(world: World, tmp_path_factory: pytest.TempPathFactory) -> Sealed:
    result = seal(world, tmp_path_factory.mktemp("sealed"), BIG)
    ciphertext = result.bundle_path.read_bytes()
    archive = decrypt(ciphertext, identities=[world.print_office])
    start = read_header(ciphertext).length + 16
    chunks = -(-len(archive) // STREAM_CHUNK)
    assert len(ciphertext) == start + len(archive) + 16 * chunks
    return Sealed(result.bundle_path, result.signature_path, ciphertext, archive, start, chunks)


def tampered(sealed: Sealed, folder: Path, ciphertext: bytes) -> tuple[Path, Path]:
    """The bundle replaced by `ciphertext`, beside an untouched copy of its signature."""
    folder.mkdir(exist_ok=True)
    bundle = folder / BUNDLE
    bundle.write_bytes(ciphertext)
    signature = folder / (BUNDLE + ".sig.json")
    signature.write_bytes(sealed.signature.read_bytes())
    return bundle, signature


def flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def test_every_header_byte_and_a_byte_of_every_chunk_flipped(
    world: World, sealed: Sealed, tmp_path: Path
) -> None:
    header_end = sealed.payload_start - 16
    chunk = STREAM_CHUNK + 16
    positions = {p: {"header", "hmac", "no_match"} for p in range(header_end)}
    positions.update({p: {"payload"} for p in range(header_end, sealed.payload_start)})
    for k in range(sealed.chunks):
        first = sealed.payload_start + k * chunk
        last = min(first + chunk, len(sealed.ciphertext)) - 1  # a byte of the chunk's tag
        positions.update({first: {"payload"}, (first + last) // 2: {"payload"}, last: {"payload"}})
    out = tmp_path / "out"
    for at, kinds in sorted(positions.items()):
        changed = flip(sealed.ciphertext, at)
        bundle, signature = tampered(sealed, tmp_path / "t", changed)
        with pytest.raises(HashMismatch):
            unseal_bundle(
                bundle,
                signature,
                identities=[world.print_office],
                trusted_keys=pinned(world),
                out_dir=out,
            )
        with pytest.raises(DecryptFailed) as err:
            decrypt(changed, identities=[world.print_office])
        assert err.value.kind in kinds, (at, err.value.kind)
    assert not out.exists()
    assert len(positions) > header_end + 16 + 2 * sealed.chunks


def test_truncation_at_every_chunk_boundary(world: World, sealed: Sealed, tmp_path: Path) -> None:
    assert sealed.chunks >= 5
    chunk = STREAM_CHUNK + 16
    cuts = {sealed.payload_start - 8: "header"}  # inside the nonce
    cuts.update({sealed.payload_start + k * chunk: "payload" for k in range(sealed.chunks)})
    cuts[len(sealed.ciphertext) - 1] = "payload"
    out = tmp_path / "out"
    for cut, kind in sorted(cuts.items()):
        short = sealed.ciphertext[:cut]
        bundle, signature = tampered(sealed, tmp_path / "t", short)
        with pytest.raises(HashMismatch):
            unseal_bundle(
                bundle,
                signature,
                identities=[world.print_office],
                trusted_keys=pinned(world),
                out_dir=out,
            )
        with pytest.raises(DecryptFailed) as err:
            decrypt(short, identities=[world.print_office])
        assert err.value.kind == kind, cut
    assert not out.exists()


def test_wrong_identity(world: World, sealed: Sealed, tmp_path: Path) -> None:
    with pytest.raises(DecryptFailed) as err:
        unseal_bundle(
            sealed.bundle,
            sealed.signature,
            identities=[x25519.Identity.generate()],
            trusted_keys=pinned(world),
            out_dir=tmp_path / "out",
        )
    assert err.value.kind == "no_match"
    assert str(err.value).startswith("无法解密封存包：所给身份（或口令）都不是它的接收方")
    assert left_behind(tmp_path) == []


def test_bundle_replaced_by_one_encrypted_to_the_same_recipient(
    world: World, sealed: Sealed, tmp_path: Path
) -> None:
    recipient = [str(world.print_office.to_public())]
    # The very same archive, encrypted again: a different file key, so a different ciphertext.
    again = encrypt(sealed.archive, recipients=recipient)
    assert decrypt(again, identities=[world.print_office]) == sealed.archive
    bundle, signature = tampered(sealed, tmp_path / "same", again)
    with pytest.raises(HashMismatch) as err:
        unseal_bundle(
            bundle,
            signature,
            identities=[world.print_office],
            trusted_keys=pinned(world),
            out_dir=tmp_path / "out",
        )
    assert str(err.value).startswith(f"封存包 {bundle} 的 SHA-256 为 {sha256_hex(again)}")

    # Other content, re-signed by an impostor under the extractor's name: only a pinned key
    # tells; without one unsealing is refused, and opens only when an unpinned signer is
    # accepted expressly (the result then says the signer was not pinned).
    forged_archive, manifest = build_archive({"documents/试卷-A.docx": b"forged"})
    forged = encrypt(forged_archive, recipients=recipient)
    statement = json.loads(json.loads(sealed.signature.read_bytes())["statement"])
    statement.update(
        ciphertext_sha256=sha256_hex(forged),
        manifest_sha256=sha256_hex(canonical_bytes(manifest)),
        signer={"name": EXTRACTOR, "fingerprint": world.impostor.fingerprint},
    )
    folder = tmp_path / "forged"
    folder.mkdir()
    (folder / BUNDLE).write_bytes(forged)
    (folder / (BUNDLE + ".sig.json")).write_bytes(
        sig_document(sign_statement(statement, world.impostor))
    )
    args = (folder / BUNDLE, folder / (BUNDLE + ".sig.json"))
    with pytest.raises(UntrustedSigner) as untrusted:
        unseal_bundle(
            *args,
            identities=[world.print_office],
            trusted_keys=pinned(world),
            out_dir=tmp_path / "out",
        )
    assert world.impostor.fingerprint in str(untrusted.value)
    assert not (tmp_path / "out").exists()
    with pytest.raises(UnpinnedSigner) as unpinned:
        unseal_bundle(*args, identities=[world.print_office], out_dir=tmp_path / "unpinned")
    assert str(unpinned.value).startswith(
        f"签名人 {EXTRACTOR}（指纹 {world.impostor.fingerprint}）的公钥无从核对"
    )
    assert not (tmp_path / "unpinned").exists()
    opened = unseal_bundle(
        *args, identities=[world.print_office], allow_unpinned=True, out_dir=tmp_path / "unpinned"
    )
    assert not opened.trusted


def test_signature_file_tampering(world: World, sealed: Sealed, tmp_path: Path) -> None:
    document = json.loads(sealed.signature.read_bytes())
    statement = json.loads(document["statement"])
    impostor_key = base64.b64encode(world.impostor.public_key_raw).decode()
    other_papers = canonical_bytes({**statement, "papers": statement["papers"][:1]}).decode()
    resigned = json.loads(sig_document(sign_statement(statement, world.impostor)))
    cases = {
        "statement edited": {**document, "statement": other_papers},
        "another public key": {**document, "public_key": impostor_key},
        "another key's signature": {**document, "signature": resigned["signature"]},
        "statement not canonical": {**document, "statement": json.dumps(statement, indent=1)},
        "field missing": {"statement": document["statement"], "signature": document["signature"]},
    }
    expected_reason = {
        "statement edited": "签名与声明不符",
        "another public key": "签名与声明不符",
        "another key's signature": "签名与声明不符",
        "statement not canonical": "格式不对",
        "field missing": "格式不对",
    }
    for name, changed in cases.items():
        sig = tmp_path / f"{name}.sig.json"
        sig.write_text(json.dumps(changed, ensure_ascii=False))
        with pytest.raises(BadSignature) as err:
            unseal_bundle(
                sealed.bundle, sig, identities=[world.print_office], out_dir=tmp_path / "out"
            )
        assert expected_reason[name] in str(err.value), name
    # The impostor signing a statement that still names the extractor's fingerprint:
    sig = tmp_path / "other-key.sig.json"
    sig.write_bytes(sig_document(sign_statement(statement, world.impostor)))
    with pytest.raises(BadSignature) as err:
        unseal_bundle(sealed.bundle, sig, identities=[world.print_office], out_dir=tmp_path / "out")
    assert "指纹" in str(err.value)
    for cut in (0, 10, len(sealed.signature.read_bytes()) // 2):
        sig.write_bytes(sealed.signature.read_bytes()[:cut])
        with pytest.raises(BadSignature):
            unseal_bundle(
                sealed.bundle, sig, identities=[world.print_office], out_dir=tmp_path / "out"
            )
    assert not (tmp_path / "out").exists()


def raw_tar(entries: list[tuple[str, bytes]], *, symlink: str | None = None) -> bytes:
    """A tar made without build_archive's checks, as a forger would."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        if symlink:
            link = tarfile.TarInfo(symlink)
            link.type = tarfile.SYMTYPE
            link.linkname = "/etc/passwd"
            tar.addfile(link)
    return buffer.getvalue()


def test_signed_but_inconsistent_archives_are_refused_after_decryption(
    world: World, tmp_path: Path
) -> None:
    """The extractor's own key signs these, so only the checks after decryption can tell."""
    good, manifest = build_archive({"documents/a.docx": b"a", "documents/b.docx": b"b"})
    manifest_bytes = canonical_bytes(manifest)
    entries = [(MANIFEST, manifest_bytes), ("documents/a.docx", b"a"), ("documents/b.docx", b"b")]
    cases: list[tuple[bytes, str | None, type[QbankError], str]] = [
        (
            raw_tar([*entries[:2], ("documents/b.docx", b"B")]),
            None,
            ManifestMismatch,
            "b.docx 的 SHA-256",
        ),
        (raw_tar([*entries, ("documents/c.docx", b"c")]), None, ManifestMismatch, "不在清单中"),
        (raw_tar(entries[:2]), None, ManifestMismatch, "不在包中"),
        (raw_tar([*entries, ("../evil", b"x")]), None, UnsafeName, "../evil"),
        (raw_tar(entries, symlink="documents/link"), None, BadArchive, "不是普通文件"),
        (raw_tar([*entries, ("documents/a.docx", b"a")]), None, BadArchive, "不止一次"),
        (raw_tar(entries[1:]), None, BadArchive, "第一个文件应为 manifest.json"),
        (b"not a tar at all" * 100, None, BadArchive, ""),
        (good, "0" * 64, ManifestMismatch, "不是签名声明中的那一份"),
    ]
    recipient = [str(world.print_office.to_public())]
    for n, (archive, manifest_sha, error, fragment) in enumerate(cases):
        ciphertext = encrypt(archive, recipients=recipient)
        statement = bundle_statement(
            batch={"id": world.batch_id, "code": BATCH_CODE},
            bundle=BUNDLE,
            ciphertext_sha256=sha256_hex(ciphertext),
            manifest_sha256=manifest_sha or sha256_hex(manifest_bytes),
            papers=[],
            recipients=recipient,
            signer=world.signer,
            signed_at=datetime(2026, 12, 1, tzinfo=UTC),
        )
        folder = tmp_path / f"case-{n}"
        folder.mkdir()
        (folder / BUNDLE).write_bytes(ciphertext)
        (folder / "sig.json").write_bytes(sig_document(sign_statement(statement, world.signer)))
        with pytest.raises(error) as err:
            unseal_bundle(
                folder / BUNDLE,
                folder / "sig.json",
                identities=[world.print_office],
                trusted_keys=pinned(world),
                out_dir=folder / "out",
            )
        assert fragment in str(err.value), n
        assert left_behind(folder) == [BUNDLE, "sig.json"]
    assert not (tmp_path / "evil").exists()


def test_output_directory_rules(world: World, sealed: Sealed, tmp_path: Path) -> None:
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "keep.txt").write_text("x")
    args = (sealed.bundle, sealed.signature)
    with pytest.raises(InvalidInput) as err:
        unseal_bundle(*args, identities=[world.print_office], out_dir=busy)
    assert err.value.key == "seal.out_not_empty"
    assert left_behind(busy) == ["keep.txt"]
    empty = tmp_path / "empty"
    empty.mkdir()
    opened = unseal_bundle(
        *args, identities=[world.print_office], trusted_keys=pinned(world), out_dir=empty
    )
    assert set(opened.files) == {str(p.relative_to(empty)) for p in empty.rglob("*") if p.is_file()}
    assert (empty / MANIFEST).stat().st_mode & 0o777 == 0o600
    assert left_behind(tmp_path) == ["busy", "empty"]  # no staging directory left


def hostile_tar(entries: list[tuple[str, bytes] | tarfile.TarInfo]) -> bytes:
    """A tar of `entries` (a file's name and bytes, or a TarInfo of another kind), with
    `manifest.json` first listing every file, as a forger who holds the signing key would."""
    files = [e for e in entries if not isinstance(e, tarfile.TarInfo)]
    manifest = {
        "format": "qbank-bundle/v1",
        "files": {name: {"sha256": sha256_hex(data), "size": len(data)} for name, data in files},
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for entry in [(MANIFEST, canonical_bytes(manifest)), *entries]:
            if isinstance(entry, tarfile.TarInfo):
                tar.addfile(entry)
                continue
            info = tarfile.TarInfo(entry[0])
            info.size = len(entry[1])
            tar.addfile(info, io.BytesIO(entry[1]))
    return buffer.getvalue()


def special(name: str, kind: bytes, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, linkname
    return info


def signed_bundle(world: World, folder: Path, archive: bytes) -> tuple[Path, Path]:
    """`archive` encrypted to the print office and signed by the extractor's own key."""
    recipient = [str(world.print_office.to_public())]
    ciphertext = encrypt(archive, recipients=recipient)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        first = tar.next()
        handle = tar.extractfile(first) if first is not None else None
        manifest_bytes = handle.read() if handle is not None else b""
    statement = bundle_statement(
        batch={"id": world.batch_id, "code": BATCH_CODE},
        bundle=BUNDLE,
        ciphertext_sha256=sha256_hex(ciphertext),
        manifest_sha256=sha256_hex(manifest_bytes),
        papers=[],
        recipients=recipient,
        signer=world.signer,
        signed_at=datetime(2026, 12, 1, tzinfo=UTC),
    )
    folder.mkdir()
    (folder / BUNDLE).write_bytes(ciphertext)
    (folder / "sig.json").write_bytes(sig_document(sign_statement(statement, world.signer)))
    return folder / BUNDLE, folder / "sig.json"


LONG_PART = "长" * 86  # 258 bytes of UTF-8 in 86 characters
HOSTILE: dict[str, tuple[list[Any], type[QbankError], str]] = {
    "file-then-directory": (
        [("documents/a", b"a"), ("documents/a/b", b"b")],
        NameConflict,
        "“documents/a”既是文件，又是“documents/a/b”所在的目录",
    ),
    "directory-then-file": (
        [("documents/a/b/c", b"c"), ("documents/a", b"a")],
        NameConflict,
        "“documents/a”既是文件，又是“documents/a/b/c”所在的目录",
    ),
    "the-manifest-as-a-directory": (
        [("manifest.json/x", b"x")],
        NameConflict,
        "“manifest.json”既是文件",
    ),
    "names-differing-in-case": (
        [("documents/试卷-A.docx", b"a"), ("documents/试卷-a.docx", b"b")],
        NameConflict,
        "只差大小写或 Unicode 写法",
    ),
    "names-differing-in-unicode-form": (
        [("documents/caf\u00e9.docx", b"a"), ("documents/cafe\u0301.docx", b"b")],
        NameConflict,
        "只差大小写或 Unicode 写法",
    ),
    "a-part-over-255-bytes": (
        [(f"documents/{LONG_PART}.docx", b"a")],
        NameTooLong,
        "（263 字节；每段上限 255 字节，全长上限 1024 字节）",
    ),
    "a-name-over-1024-bytes": (
        [("/".join(["d" * 200] * 6), b"a")],
        NameTooLong,
        "（1205 字节；",
    ),
    "absolute": ([("/etc/cron.d/x", b"a")], UnsafeName, "/etc/cron.d/x"),
    "dot-dot": ([("documents/../../x", b"a")], UnsafeName, "documents/../../x"),
    "symlink": (
        [special("documents/x", tarfile.SYMTYPE, "/etc/passwd")],
        BadArchive,
        "documents/x 不是普通文件",
    ),
    "hardlink": (
        [("documents/a", b"a"), special("documents/b", tarfile.LNKTYPE, "documents/a")],
        BadArchive,
        "documents/b 不是普通文件",
    ),
    "character-device": ([special("documents/c", tarfile.CHRTYPE)], BadArchive, "不是普通文件"),
    "fifo": ([special("documents/f", tarfile.FIFOTYPE)], BadArchive, "不是普通文件"),
    "directory": ([special("documents", tarfile.DIRTYPE)], BadArchive, "不是普通文件"),
    "contiguous-file": ([special("documents/c", tarfile.CONTTYPE)], BadArchive, "不是普通文件"),
    "duplicate": ([("documents/a", b"a"), ("documents/a", b"a")], BadArchive, "不止一次"),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_archives_are_refused_in_one_line(world: World, tmp_path: Path, case: str) -> None:
    """Signed with the extractor's own key, so only the archive checks can tell."""
    entries, error, fragment = HOSTILE[case]
    bundle, signature = signed_bundle(world, tmp_path / "bundle", hostile_tar(entries))
    with pytest.raises(error) as err:
        unseal_bundle(
            bundle,
            signature,
            identities=[world.print_office],
            trusted_keys=pinned(world),
            out_dir=tmp_path / "out",
        )
    message = str(err.value)
    assert fragment in message and "\n" not in message and len(message) < 300
    assert left_behind(tmp_path) == ["bundle"]
    assert not Path("/etc/cron.d/x").exists()


def test_names_that_cannot_be_written_together_are_refused_when_sealing() -> None:
    for files in (
        {"documents/a": b"a", "documents/a/b": b"b"},
        {"documents/A.docx": b"a", "documents/a.docx": b"b"},
        {"manifest.json/x": b"x"},
    ):
        with pytest.raises(NameConflict):
            build_archive(files)
    with pytest.raises(NameTooLong):
        build_archive({f"documents/{LONG_PART}": b"a"})
    assert read_archive(build_archive({f"documents/{'长' * 85}": b"a"})[0]).files  # 255 bytes


@pytest.mark.parametrize(
    ("limit", "value", "fragment"),
    [
        ("members", 3, "压缩包中的条目数"),
        ("member_size", 1000, "documents/big"),
        ("unzipped_size", 3000, "解压后的总大小"),
    ],
)
def test_archive_reading_limits(
    world: World, tmp_path: Path, limit: str, value: int, fragment: str
) -> None:
    entries = [
        ("documents/a", b"a" * 900),
        ("documents/b", b"b" * 900),
        ("documents/big", b"c" * 1500),
    ]
    bundle, signature = signed_bundle(world, tmp_path / "bundle", hostile_tar(entries))
    with (
        reading_limits.applied(reading_limits.Limits(**{limit: value})),
        pytest.raises(LimitExceeded) as err,
    ):
        unseal_bundle(
            bundle,
            signature,
            identities=[world.print_office],
            trusted_keys=pinned(world),
            out_dir=tmp_path / "out",
        )
    assert err.value.limit == limit
    assert fragment in str(err.value) and str(bundle) in str(err.value)
    assert "\n" not in str(err.value)
    assert left_behind(tmp_path) == ["bundle"]
    opened = unseal_bundle(
        bundle,
        signature,
        identities=[world.print_office],
        trusted_keys=pinned(world),
        out_dir=tmp_path / "out",
    )
    assert len(opened.files) == 4


def test_bundle_file_size_is_limited_before_reading(
    world: World, sealed: Sealed, tmp_path: Path
) -> None:
    with (
        reading_limits.applied(reading_limits.Limits(file_size=64 * 1024)),
        pytest.raises(FileTooLarge) as err,
    ):
        unseal_bundle(
            sealed.bundle,
            sealed.signature,
            identities=[world.print_office],
            trusted_keys=pinned(world),
            out_dir=tmp_path / "out",
        )
    assert err.value.limit == "file_size" and str(sealed.bundle) in str(err.value)
    assert not (tmp_path / "out").exists()


def test_output_directory_that_is_a_symlink(world: World, sealed: Sealed, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for n, target in enumerate((elsewhere, tmp_path / "nowhere")):  # empty dir, dangling
        link = tmp_path / f"link-{n}"
        link.symlink_to(target, target_is_directory=True)
        with pytest.raises(InvalidInput) as err:
            unseal_bundle(
                sealed.bundle,
                sealed.signature,
                identities=[world.print_office],
                trusted_keys=pinned(world),
                out_dir=link,
            )
        assert err.value.key == "seal.out_symlink"
        assert str(err.value) == f"输出目录 {link} 是符号链接，不会写入（请给出一个真实的目录）"
        assert link.is_symlink() and list(elsewhere.iterdir()) == []
    assert sorted(left_behind(tmp_path)) == ["elsewhere", "link-0", "link-1"]


# --- the archive ------------------------------------------------------------------------------


def test_the_format_modules_know_no_database() -> None:
    """docs/architecture.md's layering: the bundle's and the filing package's modules load
    neither SQLAlchemy nor the ORM (a verifier reading a package needs neither), in a fresh
    interpreter (this one has already imported both)."""
    loaded = modules_after(
        "import formats.sealed_bundle, formats.filing_package, formats.item_layout"
    )
    assert {m for m in loaded if m.split(".")[0] == "sqlalchemy"} == set()
    assert loaded & {"qbank.model", "qbank.db", "qbank.seal"} == set()


def test_archive_is_deterministic_sorted_and_anonymous() -> None:
    files = {"papers/B.json": b"b", "documents/试卷-A.docx": b"a" * 700, "papers/A.json": b"{}"}
    first, manifest = build_archive(files)
    again, _ = build_archive(dict(reversed(list(files.items()))))
    assert first == again
    with tarfile.open(fileobj=io.BytesIO(first)) as tar:
        members = tar.getmembers()
    assert [m.name for m in members] == [MANIFEST, *sorted(files)]
    assert {(m.mtime, m.uid, m.gid, m.uname, m.gname, m.mode, m.type) for m in members} == {
        (0, 0, 0, "", "", 0o644, tarfile.REGTYPE)
    }
    assert manifest == {
        "format": "qbank-bundle/v1",
        "files": {n: {"sha256": sha256_hex(d), "size": len(d)} for n, d in files.items()},
    }
    checked = read_archive(first)
    assert checked.files == files
    assert checked.manifest_sha256 == sha256_hex(canonical_bytes(manifest))


@pytest.mark.parametrize(
    "name",
    [
        "",
        "/etc/passwd",
        "../x",
        "a/../../x",
        "a//b",
        "./a",
        "a\\b",
        "C:/x",
        "a\x00b",
        "a\nb",
        MANIFEST,
    ],
)
def test_unsafe_names_are_refused_when_building(name: str) -> None:
    with pytest.raises(UnsafeName):
        build_archive({name: b"x"})


def test_header_check_refuses_armor_and_a_missing_nonce(world: World) -> None:
    ciphertext = encrypt(b"x", recipients=[str(world.escrow.to_public())])
    header = read_header(ciphertext)
    assert "X25519" in header.stanza_types  # rage may add a random "grease" stanza
    assert "scrypt" not in header.stanza_types
    for bad in (b"-----BEGIN AGE ENCRYPTED FILE-----\n", ciphertext[: header.length + 15]):
        with pytest.raises(DecryptFailed) as err:
            decrypt(bad, identities=[world.escrow])
        assert err.value.kind == "header"
    with pytest.raises(DecryptFailed) as err:
        decrypt(ciphertext, passphrase="x")
    assert "--identity" in str(err.value)
    with pytest.raises(InvalidInput):
        encrypt(b"x", recipients=None, passphrase=None)
    with pytest.raises(InvalidInput):
        encrypt(b"x", recipients=[], passphrase=None)


def age_decrypt_with_passphrase(bundle: Path, out: Path, passphrase: str) -> int:
    """Run the stock `age -d` on a terminal of its own (it reads passphrases only from one)."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: age, with the pty as its controlling terminal
        os.execvp("age", ["age", "-d", "-o", str(out), str(bundle)])
    seen, deadline = b"", time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = io_select.select([fd], [], [], 0.5)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 1024)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
        if b"passphrase" in seen.lower():
            os.write(fd, passphrase.encode() + b"\n")
            seen = b""
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status)


@needs_age
def test_stock_age_opens_a_passphrase_bundle(passphrase_sealed: Any, tmp_path: Path) -> None:
    out = tmp_path / "out.tar"
    assert age_decrypt_with_passphrase(passphrase_sealed.bundle_path, out, PASSPHRASE) == 0
    archive = read_archive(out.read_bytes())
    assert archive.manifest_sha256 == passphrase_sealed.statement["manifest_sha256"]


def test_sealing_needs_the_custody_recipients_before_anything_is_done(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    """The workflow, whoever calls it, refuses before rendering or writing when the batch has
    no staff or no regulator age recipient to seal the papers to at rest; once both exist,
    the same call seals the bundle and the papers in the database."""
    shutil.copyfile(assembled_database(tmp_path_factory), tmp_path / "qbank.db")
    db = open_database(str(tmp_path / "qbank.db"))
    keystore, staff, escrow = (
        tmp_path / "keys",
        x25519.Identity.generate(),
        x25519.Identity.generate(),
    )
    rendered: list[int] = []

    def documents(batch: Any) -> dict[str, bytes]:
        rendered.append(batch.id)
        return DOCS

    def attempt(out: Path) -> Any:
        with db.transaction() as session:
            return seal_batch_to_dir(
                session,
                1,
                documents,
                signer_name=EXTRACTOR,
                signer=keys.load_signer(EXTRACTOR, KEY_PASS, keystore=keystore),
                out_dir=out,
                actor="t",
                recipients=[str(x25519.Identity.generate().to_public())],
            )

    try:
        with db.transaction() as session:
            wang = get_person(session, EXTRACTOR)
            info = keys.generate(EXTRACTOR, KEY_PASS, keystore=keystore)
            set_public_key(session, wang, info.public_key_raw, actor="t")
        with pytest.raises(InvalidInput) as err:
            attempt(tmp_path / "no-staff")
        assert err.value.key == "confidential.no_staff_recipient"
        with db.transaction() as session:
            set_age_recipient(
                session, get_person(session, EXTRACTOR), str(staff.to_public()), actor="t"
            )
        with pytest.raises(InvalidInput) as err:
            attempt(tmp_path / "no-escrow")
        assert err.value.key == "confidential.no_regulator_recipient"
        assert rendered == [] and left_behind(tmp_path / "no-staff") == []
        assert left_behind(tmp_path / "no-escrow") == []

        with db.transaction() as session:
            regulator = add_person(session, "省鉴定中心", ["regulator"], actor="t")
            set_age_recipient(session, regulator, str(escrow.to_public()), actor="t")
        result = attempt(tmp_path / "out")
        assert rendered == [1]
        assert [p.code for p in result.papers_sealed] == ["A", "B", "P"]
        assert set(result.custody_recipients) >= {str(staff.to_public()), str(escrow.to_public())}
        with db.transaction() as session:
            papers = session.scalars(select(Paper).where(Paper.batch_id == 1)).all()
            assert all(p.sealed_at is not None for p in papers)
            assert session.scalar(select(func.count()).select_from(SealedBundle)) == 1
    finally:
        db.dispose()


def test_papers_sealed_at_rest_are_bundled_only_with_an_identity(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    """After qbank.confidential has sealed the compositions, the bundle's paper data comes
    from decrypting them, byte for byte what it was before; without an identity, a clear
    refusal."""
    shutil.copyfile(assembled_database(tmp_path_factory), tmp_path / "qbank.db")
    db = open_database(str(tmp_path / "qbank.db"))
    try:
        w = make_world(db, tmp_path / "keys", 1)
        with db.transaction() as session:
            before = paper_data(session, get_batch(session, 1))
            seal_papers(
                session, get_batch(session, 1), recipients=[str(w.escrow.to_public())], actor="t"
            )
        with pytest.raises(IdentityRequired):
            seal(w, tmp_path / "refused", identities=[])
        assert left_behind(tmp_path / "refused") == []
        with db.transaction() as session:
            assert paper_data(session, get_batch(session, 1), [w.escrow]) == before
        result = seal(
            w, tmp_path / "out", recipients=[str(w.print_office.to_public())], identities=[w.escrow]
        )
        opened = unseal_bundle(
            result.bundle_path,
            result.signature_path,
            identities=[w.print_office],
            trusted_keys=pinned(w),
            out_dir=tmp_path / "opened",
        )
        assert {n: (tmp_path / "opened" / n).read_bytes() for n in before} == before
        assert set(before) < set(opened.files)
    finally:
        db.dispose()


def test_the_database_pins_the_signer_and_knows_the_batch_extractors(
    world: World, tmp_path: Path
) -> None:
    def signed_by(signer: keys.Signer, batch: dict[str, Any]) -> Path:
        statement = bundle_statement(
            batch=batch,
            bundle=BUNDLE,
            ciphertext_sha256="0" * 64,
            manifest_sha256="0" * 64,
            papers=[],
            recipients=None,
            signer=signer,
            signed_at=datetime(2026, 12, 1, tzinfo=UTC),
        )
        path = tmp_path / f"{uuid.uuid4().hex}.sig.json"
        path.write_bytes(sig_document(sign_statement(statement, signer)))
        return path

    ours = {"id": world.batch_id, "code": BATCH_CODE}
    keys.generate("外人", KEY_PASS, keystore=tmp_path / "k")
    stranger = keys.load_signer("外人", KEY_PASS, keystore=tmp_path / "k")
    with world.db.transaction() as session:
        assert expected_signer_keys(
            session, read_signature_file(signed_by(world.signer, ours))
        ) == (pinned(world))
        # The impostor's key is not the registered one: the pin differs, unseal will refuse.
        assert expected_signer_keys(
            session, read_signature_file(signed_by(world.impostor, ours))
        ) == pinned(world)
        for signer in (world.bystander, stranger):  # known staff, unknown person
            with pytest.raises(InvalidInput) as err:
                expected_signer_keys(session, read_signature_file(signed_by(signer, ours)))
            assert err.value.key == "seal.not_extractor"
        elsewhere = {"id": 999, "code": "20270101-01"}  # a batch this database does not hold
        assert (
            expected_signer_keys(session, read_signature_file(signed_by(stranger, elsewhere)))
            is None
        )
