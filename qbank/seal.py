"""Sealed bundles (提取封存包): what goes into a batch's bundle, what is signed, and the checks
an opened bundle must pass against its statement and the database.

The file format (a deterministic tar with `manifest.json` first, age v1 encryption, the
`.sig.json` signature document) is `formats.sealed_bundle`; the flows that write a bundle to
disk and open one are `workflows.sealing`. This module is their engine:

- the archive holds `papers/<code>-<kind>.json` (each paper's composition with the canonical
  content of its item or set versions, `paper_data`) and `documents/…` (the print run),
  `bundle_contents`;
- the statement (`qbank-sealed-bundle/v1`, canonical JSON, signed as its UTF-8) names the
  batch, the bundle file, the ciphertext's and the manifest's SHA-256, the papers, the
  recipients (sorted, or "passphrase"), the signer (the batch's designated 提取 person) and
  the time (`batch_statement`, `sign_statement`); the signer must be that person with their
  registered key (`check_signer`), and the seal is recorded with an audit event
  (`record_seal`);
- opening checks, in the order `workflows.sealing.unseal_bundle` runs them: the statement's
  signature verifies under its own key, whose fingerprint it names (`verify_signed`,
  `BadSignature`); the key is the one the caller knows for the signer (`check_trusted`:
  `UntrustedSigner`, or `UnpinnedSigner` when the caller knows none and did not accept an
  unpinned signer); the bundle's bytes are the signed ones (`check_ciphertext`,
  `HashMismatch`); every item's and set's content in `papers/*.json` re-hashes to its
  version id, the one its paper's layout names (`check_paper_data`, `PaperContentMismatch`).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from qbank import audit
from qbank.assembly.layout import PaperLayout, PracticalLayout
from qbank.canonical import canonical_bytes, content_id, sha256_hex
from qbank.confidential import Identities, clear_composition
from qbank.content import ContentTampered, Mismatch, verified_item_content, verified_set_content
from qbank.errors import BadSignature, InvalidInput, SealError
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


class SignatureParts(Protocol):
    """A parsed signature document (`formats.sealed_bundle.SignatureDocument`), not yet
    verified: the statement's canonical JSON text and its parse, the signature, the key."""

    @property
    def text(self) -> str: ...
    @property
    def statement(self) -> dict[str, Any]: ...
    @property
    def signature(self) -> bytes: ...
    @property
    def public_key(self) -> bytes: ...


@dataclass(frozen=True)
class SignedStatement:
    """A statement and its signature; from `verify_signed`, one that verifies under
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
    """The statement the extracting person signs (see the module docstring); `recipients`
    as `formats.sealed_bundle.normalize_recipients` gives them, None for a passphrase. Pure."""
    return {
        "type": STATEMENT_TYPE,
        "batch": dict(batch),
        "bundle": bundle,
        "ciphertext_sha256": ciphertext_sha256,
        "manifest_sha256": manifest_sha256,
        "papers": [dict(p) for p in papers],
        "recipients": sorted(recipients) if recipients is not None else PASSPHRASE_MODE,
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


def verify_signed(document: SignatureParts, *, source: str) -> SignedStatement:
    """Verify a parsed signature document under its own key; BadSignature (naming `source`)
    if not. The statement must be of type `qbank-sealed-bundle/v1`, with its fields, and
    name the key's fingerprint as its signer's. Pure."""
    statement = document.statement
    if statement.get("type") != STATEMENT_TYPE or not _statement_fields_ok(statement):
        raise BadSignature(source, tr("seal.signature.malformed"))
    if not verify(document.public_key, document.text.encode("utf-8"), document.signature):
        raise BadSignature(source, tr("seal.signature.invalid"))
    if statement["signer"]["fingerprint"] != fingerprint(document.public_key):
        raise BadSignature(source, tr("seal.signature.other_key"))
    return SignedStatement(statement, document.text, document.signature, document.public_key)


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
        out[f"{PAPERS_DIR}/{paper.code}-{paper.kind}.json"] = canonical_bytes(record)
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


def bundle_contents(
    session: Session, batch: Batch, documents: Mapping[str, bytes], identities: Identities = None
) -> dict[str, bytes]:
    """Every file a batch's bundle holds: `paper_data` and the `documents` (the print run)
    under `documents/`. The names are checked when the archive is built. Reads the DB."""
    contents = paper_data(session, batch, identities)
    contents.update({f"{DOCUMENTS_DIR}/{name}": data for name, data in documents.items()})
    return contents


def batch_statement(
    session: Session,
    batch: Batch,
    *,
    bundle: str,
    ciphertext_sha256: str,
    manifest_sha256: str,
    recipients: Sequence[str] | None,
    signer: Signer,
) -> dict[str, Any]:
    """`bundle_statement` for the batch as the database holds it, signed now. Reads the DB."""
    return bundle_statement(
        batch=_batch_info(session, batch),
        bundle=bundle,
        ciphertext_sha256=ciphertext_sha256,
        manifest_sha256=manifest_sha256,
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


def record_seal(
    session: Session, batch: Batch, signed: SignedStatement, *, signer_person: Person, actor: str
) -> SealedBundle:
    """Store the signed statement of a sealed bundle (a SealedBundle row) and its audit event.

    Side effects: adds the row and the audit event (not flushed).
    """
    statement = signed.statement
    row = SealedBundle(
        batch_id=batch.id,
        sha256=statement["ciphertext_sha256"],
        manifest_sha256=statement["manifest_sha256"],
        file_name=statement["bundle"],
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
        bundle=statement["bundle"],
        sha256=statement["ciphertext_sha256"],
        manifest_sha256=statement["manifest_sha256"],
        recipients=statement["recipients"],
        signer=signer_person.name,
    )
    return row


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


# --- opening ------------------------------------------------------------------------------


def check_trusted(
    signed: SignedStatement, trusted_keys: Mapping[str, bytes] | None, *, allow_unpinned: bool
) -> None:
    """The signer's key against the keys the caller knows (signer name → raw public key).

    None means the caller knows none: then only the key inside the signature file vouches
    for the bundle, which anyone can make, so it is refused (UnpinnedSigner) unless
    `allow_unpinned`. Else the signer's key must be the known one (UntrustedSigner). Pure.
    """
    if trusted_keys is None:
        if not allow_unpinned:
            raise UnpinnedSigner(signed.signer_name, signed.fingerprint)
        return
    expected = trusted_keys.get(signed.signer_name)
    if expected != signed.public_key:
        raise UntrustedSigner(
            signed.signer_name, signed.fingerprint, fingerprint(expected) if expected else "-"
        )


def check_ciphertext(signed: SignedStatement, ciphertext: bytes, *, source: str) -> None:
    """HashMismatch (naming `source`) unless `ciphertext` is the bundle the statement signs:
    a replaced or damaged bundle is caught here, before anything is decrypted. Pure."""
    actual = sha256_hex(ciphertext)
    if actual != signed.statement["ciphertext_sha256"]:
        raise HashMismatch(source, actual, signed.statement["ciphertext_sha256"])
