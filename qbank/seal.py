"""Sealed bundles (提取封存包): a batch's documents and paper data, encrypted and signed.

The file format (a deterministic tar with `manifest.json` first, age v1 encryption, the
`.sig.json` signature document) is `exporters.sealed_bundle` to write and
`importers.sealed_bundle` to read; this module says what goes in and what is signed, and
checks it against the database:

- the archive holds `papers/<code>-<kind>.json` (each paper's composition with the canonical
  content of its item or set versions) and `documents/…` (the print run);
- the statement (`qbank-sealed-bundle/v1`, canonical JSON, signed as its UTF-8) names the
  batch, the bundle file, the ciphertext's and the manifest's SHA-256, the papers, the
  recipients (sorted, or "passphrase"), the signer (the batch's designated 提取 person) and
  the time.

`unseal` is the checklist, each step failing with its own error and nothing written:
1. the signature file parses and the signature verifies under its own key, whose fingerprint
   the statement names (`BadSignature`); when the caller knows the signer's key (the database,
   or a `--signer-key` file) it must be that key (`UntrustedSigner`); when it knows none,
   unsealing is refused unless the caller accepts an unpinned signer (`UnpinnedSigner`);
2. the bundle's SHA-256 is the signed one (`HashMismatch`) — a replaced or damaged bundle is
   caught here, before anything is decrypted;
3. the age header is well formed and an identity (or the passphrase) opens it
   (`DecryptFailed`, with the kind of failure);
4. the manifest is the signed one and the archive holds exactly its files with their hashes
   (`ManifestMismatch`, `UnsafeName`, `NameTooLong`, `NameConflict`, `BadArchive`, and the
   reading limits' `LimitExceeded`), and every item's and set's content in
   `papers/*.json` re-hashes to its version id, the one its paper's layout names
   (`PaperContentMismatch`);
5. the files are written into a fresh directory that appears whole or not at all.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pyrage import x25519
from sqlalchemy import select
from sqlalchemy.orm import Session

from exporters.sealed_bundle import (
    BUNDLE_SUFFIX,
    build_archive,
    check_mode,
    check_out_dir,
    encrypt,
    normalize_recipients,
    signature_document,
    write_bundle,
    write_directory,
)
from importers.sealed_bundle import (
    MANIFEST,
    BadSignature,
    ManifestMismatch,
    SealError,
    check_name,
    decrypt,
    parse_signature_document,
    read_archive,
    read_bundle_file,
)
from qbank import audit
from qbank.assembly.layout import PaperLayout, PracticalLayout
from qbank.canonical import canonical_bytes, content_id, sha256_hex
from qbank.confidential import Identities, clear_composition
from qbank.content import ContentTampered, Mismatch, verified_item_content, verified_set_content
from qbank.errors import InvalidInput
from qbank.i18n import tr
from qbank.keys import Signer, fingerprint, verify
from qbank.model import (
    Bank,
    Batch,
    BatchStaff,
    ItemVersion,
    Paper,
    Person,
    PracticalSetVersion,
    SealedBundle,
)
from qbank.people import public_key_raw
from qbank.queries import item_versions_with_guid, live_people, set_versions_with_code

PAPER_FORMAT = "qbank-paper-data/v1"
STATEMENT_TYPE = "qbank-sealed-bundle/v1"
PASSPHRASE_MODE = "passphrase"
EXTRACT_STEP = "extract"
DOCUMENTS_DIR = "documents"
PAPERS_DIR = "papers"


class UntrustedSigner(SealError):
    """The signature verifies, but not under the key the caller expects for its signer."""

    def __init__(self, name: str, got: str, expected: str) -> None:
        super().__init__("seal.untrusted_signer", name=name, got=got, expected=expected)


class UnpinnedSigner(SealError):
    """No key to pin the signer by, and the caller did not accept an unpinned signer."""

    def __init__(self, name: str, fingerprint: str) -> None:
        super().__init__("seal.unpinned_refused", name=name, fingerprint=fingerprint)


class PaperContentMismatch(SealError):
    """A paper data file of an opened bundle holds content that is not its version id's."""

    def __init__(self, file: str, subject: str, version: str, actual: str) -> None:
        super().__init__(
            "seal.paper_content_mismatch",
            file=file,
            subject=subject,
            version=version,
            actual=actual,
        )


class HashMismatch(SealError):
    """The bundle is not the one that was signed (replaced, truncated or damaged)."""

    def __init__(self, path: str, actual: str, expected: str) -> None:
        super().__init__("seal.hash_mismatch", file=path, actual=actual, expected=expected)


@dataclass(frozen=True)
class SignedStatement:
    """A statement and its signature; from `read_signature`, one that verifies under
    `public_key`, whose fingerprint the statement names as its signer's."""

    statement: dict[str, Any]
    text: str
    signature: bytes
    public_key: bytes

    @property
    def signer_name(self) -> str:
        return str(self.statement["signer"]["name"])

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)

    def document(self) -> bytes:
        """The `.sig.json` bytes that carry it. Pure."""
        return signature_document(self.text, self.signature, self.public_key)


@dataclass(frozen=True)
class SealResult:
    bundle_path: Path
    signature_path: Path
    bundle: SealedBundle
    statement: dict[str, Any]
    manifest: dict[str, Any]


@dataclass(frozen=True)
class UnsealResult:
    out_dir: Path
    files: tuple[str, ...]  # manifest.json first, then the manifest's files
    statement: dict[str, Any]
    signer: str
    fingerprint: str
    trusted: bool  # the signer's key was checked against a key the caller knows


# --- the signed statement ------------------------------------------------------------------


def bundle_statement(
    *,
    batch: Mapping[str, Any],
    bundle: str,
    ciphertext_sha256: str,
    manifest_sha256: str,
    papers: Sequence[Mapping[str, Any]],
    recipients: Sequence[str] | None,
    signer: Signer,
    signed_at: datetime,
) -> dict[str, Any]:
    """The statement the extracting person signs (see the module docstring). Pure."""
    return {
        "type": STATEMENT_TYPE,
        "batch": dict(batch),
        "bundle": bundle,
        "ciphertext_sha256": ciphertext_sha256,
        "manifest_sha256": manifest_sha256,
        "papers": [dict(p) for p in papers],
        "recipients": normalize_recipients(recipients)
        if recipients is not None
        else PASSPHRASE_MODE,
        "signer": {"name": signer.name, "fingerprint": signer.fingerprint},
        "signed_at": signed_at.astimezone(UTC).replace(microsecond=0).isoformat(),
    }


def sign_statement(statement: Mapping[str, Any], signer: Signer) -> SignedStatement:
    """`statement` signed by `signer`: the signature is over its canonical JSON's UTF-8.
    Pure apart from the signing key's use."""
    text = canonical_bytes(statement)
    return SignedStatement(
        dict(statement), text.decode("utf-8"), signer.sign(text), signer.public_key_raw
    )


def read_signature(data: bytes, *, source: str) -> SignedStatement:
    """Parse a `.sig.json` and verify its signature under its own key; BadSignature if not.

    The statement must be canonical JSON of type `qbank-sealed-bundle/v1` naming the key's
    fingerprint as its signer's. Pure.
    """
    document = parse_signature_document(data, source=source)
    statement = document.statement
    if statement.get("type") != STATEMENT_TYPE or not _statement_fields_ok(statement):
        raise BadSignature(source, tr("seal.signature.malformed"))
    if not verify(document.public_key, document.text.encode("utf-8"), document.signature):
        raise BadSignature(source, tr("seal.signature.invalid"))
    if statement["signer"]["fingerprint"] != fingerprint(document.public_key):
        raise BadSignature(source, tr("seal.signature.other_key"))
    return SignedStatement(statement, document.text, document.signature, document.public_key)


def read_signature_file(path: Path) -> SignedStatement:
    """`read_signature` of a file (InvalidInput if unreadable). Side effects: reads it."""
    return read_signature(read_bundle_file(Path(path)), source=str(path))


def _statement_fields_ok(statement: dict[str, Any]) -> bool:
    signer = statement.get("signer")
    recipients = statement.get("recipients")
    return (
        isinstance(signer, dict)
        and isinstance(signer.get("name"), str)
        and isinstance(signer.get("fingerprint"), str)
        and all(
            isinstance(statement.get(k), str)
            for k in ("bundle", "ciphertext_sha256", "manifest_sha256", "signed_at")
        )
        and isinstance(statement.get("batch"), dict)
        and isinstance(statement.get("papers"), list)
        and (recipients == PASSPHRASE_MODE or isinstance(recipients, list))
    )


def expected_signer_keys(session: Session, signed: SignedStatement) -> dict[str, bytes] | None:
    """The key this database registers for the statement's signer, if it knows them.

    When the database holds the statement's batch (same id and code), the signer must be a
    designated 提取 person of it (InvalidInput otherwise). None when the database has no such
    person or no key for them: the caller then has no key to pin. Reads the DB.
    """
    batch_info = signed.statement["batch"]
    batch_id = batch_info.get("id")
    batch = session.get(Batch, batch_id) if isinstance(batch_id, int) else None
    if batch is not None and batch.code == batch_info.get("code"):
        _require_extractor(session, batch, signed.signer_name)
    person = session.scalar(live_people().where(Person.name == signed.signer_name))
    if person is None or not person.public_key:
        return None
    return {person.name: public_key_raw(person)}


# --- the database side: paper data and sealing a batch ------------------------------------


def paper_data(session: Session, batch: Batch, identities: Identities = None) -> dict[str, bytes]:
    """`papers/<code>-<kind>.json` for every paper of the batch: its composition in full.

    Theory: the layout and, per position, the item and its version's canonical content;
    practical: the layout and the drawn set version's canonical content. Each `content` is
    the verified content (`qbank.content`): it re-encodes to the bytes whose SHA-256 is the
    version id, and that id is the one the layout names, else ContentTampered. A sealed paper is read with
    `identities` (qbank.confidential). Raises InvalidInput when the batch has no papers.
    Reads the DB.
    """
    papers = list(
        session.scalars(select(Paper).where(Paper.batch_id == batch.id).order_by(Paper.id))
    )
    if not papers:
        raise InvalidInput("seal.no_papers", batch=batch.code)
    out: dict[str, bytes] = {}
    for paper in papers:
        clear = clear_composition(session, paper, identities)
        record: dict[str, Any] = {
            "format": PAPER_FORMAT,
            "batch": batch.code,
            "paper": {"id": paper.id, "code": paper.code, "kind": paper.kind},
            "blueprint": {
                k: paper.blueprint[k] for k in ("name", "sha256") if k in paper.blueprint
            },
            "layout": clear.layout,
        }
        if paper.kind == "practical":
            practical = PracticalLayout.from_json(clear.layout)
            record["set"] = _set_content(session, clear.set_version_id, practical)
        else:
            theory = PaperLayout.from_json(clear.layout)
            record["items"] = _item_contents(session, clear.items, theory)
        out[check_name(f"{PAPERS_DIR}/{paper.code}-{paper.kind}.json")] = canonical_bytes(record)
    return out


def _item_contents(
    session: Session, rows: Sequence[tuple[int, int, int]], layout: PaperLayout
) -> list[dict[str, Any]]:
    """Each position's item and verified content (ContentTampered when a version does not
    re-hash to its id, or is not the version the layout names)."""
    version_ids = [v for _i, v, _p in rows]
    found = {
        v.id: (v, guid)
        for v, guid in session.execute(
            item_versions_with_guid().where(ItemVersion.id.in_(version_ids))
        )
    }
    named = dict(zip(layout.items, layout.versions, strict=True))
    out = []
    for item_id, version_id, position in sorted(rows, key=lambda r: r[2]):
        version, guid = found[version_id]
        content = verified_item_content(version, guid=guid, consequence="seal")
        if named.get(item_id, content.version) != content.version:
            raise ContentTampered(
                kind="item",
                subject=guid,
                version=content.version,
                mismatch=Mismatch("content.paper", str(named[item_id])),
                consequence="seal",
            )
        out.append(
            {
                "position": position,
                "item_id": item_id,
                "guid": guid,
                "version": content.version,
                "content": content.content(),
            }
        )
    return out


def _set_content(
    session: Session, version_id: int | None, layout: PracticalLayout
) -> dict[str, Any]:
    """The drawn set's verified content (ContentTampered as for items)."""
    row = session.execute(
        set_versions_with_code().where(PracticalSetVersion.id == version_id)
    ).one()
    version, code = row
    content = verified_set_content(version, code=code, consequence="seal")
    if layout.version != version.sha256:
        raise ContentTampered(
            kind="set",
            subject=code,
            version=version.sha256,
            mismatch=Mismatch("content.paper", layout.version),
            consequence="seal",
        )
    return {"code": code, "version": version.sha256, "content": content}


def check_paper_data(files: Mapping[str, bytes]) -> None:
    """Every `papers/*.json` of an opened bundle: each item's and the set's `content` must
    re-hash to the version id beside it, and be the version the paper's layout names.
    Raises PaperContentMismatch (a SealError) naming the paper, item or set and version.
    Pure."""
    for name, data in sorted(files.items()):
        if not name.startswith(f"{PAPERS_DIR}/"):
            continue
        try:
            record = json.loads(data)
            layout = record["layout"]
            if "set" in record:
                units = [(record["set"]["code"], record["set"], layout.get("version"))]
            else:
                named = dict(zip(layout["items"], layout["versions"], strict=True))
                units = [(x["guid"], x, named.get(x["item_id"])) for x in record["items"]]
            for subject, unit, listed in units:
                actual = content_id(unit["content"])
                if actual != unit["version"] or listed != unit["version"]:
                    raise PaperContentMismatch(name, str(subject), str(unit["version"]), actual)
        except PaperContentMismatch:
            raise
        except (ValueError, TypeError, KeyError, AttributeError):
            raise PaperContentMismatch(name, "-", "-", "-") from None


def bundle_name(batch: Batch) -> str:
    """The bundle's file name, `<batch-code>.tar.age`; UnsafeName if the code cannot be one."""
    return check_name(f"{batch.code}{BUNDLE_SUFFIX}")


def seal_batch(
    session: Session,
    batch: Batch,
    files: Mapping[str, bytes],
    *,
    recipients: Sequence[str] | None,
    passphrase: str | None,
    signer_person: Person,
    signer: Signer,
    out_dir: Path,
    actor: str,
    identities: Identities = None,
) -> SealResult:
    """Bundle the batch's paper data and `files` (under `documents/`), encrypt, sign, store.

    The signer must pass `check_signer` and the mode `exporters.sealed_bundle.check_mode`
    (both checked first, so a caller may also run them before preparing `files`).
    Writes `<batch-code>.tar.age` and its `.sig.json` into `out_dir` (created if missing),
    never replacing a file: both appear or neither does.
    Side effects: writes the two files, a SealedBundle row and an audit event.
    """
    check_signer(session, batch, signer_person, signer)
    check_mode(recipients, passphrase)
    contents = paper_data(session, batch, identities)
    contents.update({check_name(f"{DOCUMENTS_DIR}/{name}"): data for name, data in files.items()})
    archive, manifest = build_archive(contents)
    ciphertext = encrypt(archive, recipients=recipients, passphrase=passphrase)
    name = bundle_name(batch)
    statement = bundle_statement(
        batch=_batch_info(session, batch),
        bundle=name,
        ciphertext_sha256=sha256_hex(ciphertext),
        manifest_sha256=sha256_hex(canonical_bytes(manifest)),
        papers=[
            {"id": p.id, "code": p.code, "kind": p.kind}
            for p in session.scalars(
                select(Paper).where(Paper.batch_id == batch.id).order_by(Paper.id)
            )
        ],
        recipients=recipients,
        signer=signer,
        signed_at=datetime.now(UTC),
    )
    signed = sign_statement(statement, signer)
    row = SealedBundle(
        batch_id=batch.id,
        sha256=statement["ciphertext_sha256"],
        manifest_sha256=statement["manifest_sha256"],
        file_name=name,
        signer_id=signer_person.id,
        payload=signed.text,
        signature=base64.b64encode(signed.signature).decode("ascii"),
    )
    session.add(row)
    audit.record(
        session,
        actor=actor,
        action="seal_bundle",
        entity="batch",
        entity_id=batch.id,
        bank_id=batch.bank_id,
        bundle=name,
        sha256=statement["ciphertext_sha256"],
        manifest_sha256=statement["manifest_sha256"],
        recipients=statement["recipients"],
        signer=signer_person.name,
    )
    session.flush()  # a database error surfaces before any file is written
    bundle_path, signature_path = write_bundle(out_dir, name, ciphertext, signed.document())
    return SealResult(bundle_path, signature_path, row, statement, manifest)


def check_signer(session: Session, batch: Batch, person: Person, signer: Signer) -> None:
    """InvalidInput unless `person` is a designated 提取 person of the batch and `signer` is
    their registered key. Reads the DB."""
    _require_extractor(session, batch, person.name)
    registered = public_key_raw(person)
    if registered != signer.public_key_raw:
        raise InvalidInput(
            "seal.key_mismatch",
            name=person.name,
            fingerprint=signer.fingerprint,
            registered=fingerprint(registered),
        )


def _batch_info(session: Session, batch: Batch) -> dict[str, Any]:
    bank = session.get(Bank, batch.bank_id)
    assert bank is not None
    return {
        "id": batch.id,
        "code": batch.code,
        "occupation": bank.occupation.code,
        "level": bank.level,
    }


def _require_extractor(session: Session, batch: Batch, name: str) -> None:
    extractors = list(
        session.scalars(
            select(Person.name)
            .join(BatchStaff, BatchStaff.person_id == Person.id)
            .where(BatchStaff.batch_id == batch.id, BatchStaff.step == EXTRACT_STEP)
            .order_by(BatchStaff.id)
        )
    )
    if name not in extractors:
        raise InvalidInput(
            "seal.not_extractor", name=name, batch=batch.code, names="、".join(extractors)
        )


# --- unsealing ----------------------------------------------------------------------------


def unseal(
    bundle_path: Path,
    signature_path: Path,
    *,
    identities: Sequence[str | x25519.Identity] | None = None,
    passphrase: str | None = None,
    trusted_keys: Mapping[str, bytes] | None = None,
    allow_unpinned: bool = False,
    out_dir: Path,
) -> UnsealResult:
    """Check and open a bundle into `out_dir` (absent or empty, not a symlink), in the order
    of the module docstring's checklist; every failure is a SealError and nothing is written.

    `trusted_keys` (signer name → raw public key) pins the signer's key. None means the
    caller knows none: then only the key inside the signature file vouches for the bundle,
    which anyone can make, so it is refused (UnpinnedSigner) unless `allow_unpinned`, and the
    result says `trusted=False`.
    Side effects: reads both files; creates `out_dir` with the files (dirs 0700, files 0600).
    """
    bundle_path, signature_path, out_dir = Path(bundle_path), Path(signature_path), Path(out_dir)
    check_out_dir(out_dir)
    signed = read_signature_file(signature_path)
    if trusted_keys is None and not allow_unpinned:
        raise UnpinnedSigner(signed.signer_name, signed.fingerprint)
    if trusted_keys is not None:
        expected = trusted_keys.get(signed.signer_name)
        if expected != signed.public_key:
            raise UntrustedSigner(
                signed.signer_name,
                signed.fingerprint,
                fingerprint(expected) if expected else "-",
            )
    ciphertext = read_bundle_file(bundle_path)
    actual = sha256_hex(ciphertext)
    if actual != signed.statement["ciphertext_sha256"]:
        raise HashMismatch(str(bundle_path), actual, signed.statement["ciphertext_sha256"])
    archive = read_archive(
        decrypt(ciphertext, identities=identities, passphrase=passphrase), source=str(bundle_path)
    )
    if archive.manifest_sha256 != signed.statement["manifest_sha256"]:
        raise ManifestMismatch(tr("seal.manifest.not_signed"))
    contents = {MANIFEST: canonical_bytes(archive.manifest), **dict(sorted(archive.files.items()))}
    check_paper_data(archive.files)
    write_directory(out_dir, contents)
    return UnsealResult(
        out_dir,
        tuple(contents),
        signed.statement,
        signed.signer_name,
        signed.fingerprint,
        trusted_keys is not None,
    )
