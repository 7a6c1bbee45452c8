"""Filing (报备): freeze a compliant bank into a signed, Merkle-rooted snapshot.

A filing is refused unless every compliance rule passes. Its manifest lists every filed
version (items, practical sets, the knowledge tree) as canonical JSON entries; the Merkle
root (RFC 6962) over those entries identifies the snapshot. The approving reviewers and the
institution sign the manifest. Later edits make new, unfiled versions; assembly draws only on
`filed_item_versions`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qbank import audit, merkle
from qbank.canonical import canonical_bytes, content_id
from qbank.compliance import Compliance, check_bank
from qbank.content import (
    ContentTampered,
    ItemContent,
    Mismatch,
    filed_versions,
    verified_item_content,
    verified_set_content,
)
from qbank.errors import InvalidInput, QbankError
from qbank.keys import Signer
from qbank.model import (
    Bank,
    Filing,
    FilingEntry,
    Item,
    ItemVersion,
    Person,
    PracticalSet,
    PracticalSetVersion,
    Review,
    TreeVersion,
)
from qbank.overlap.checks import store_report
from qbank.overlap.document import OverlapReport
from qbank.people import public_key_raw, require_role
from qbank.policy import Policy
from qbank.queries import (
    SET_CONTENT,
    current_items,
    current_sets,
    filing_items,
    latest_filing,
)

MANIFEST_FORMAT = "qbank-filing/1"


class NotCompliant(QbankError):
    """A filing was asked for a bank that fails rules; `compliance` says which."""

    def __init__(self, compliance: Compliance) -> None:
        self.compliance = compliance
        failed = "、".join(r.rule for r in compliance.rules if not r.ok)
        super().__init__("filing.not_compliant", rules=failed)


def entry_leaf(entry: dict[str, Any]) -> bytes:
    """A manifest entry as a Merkle leaf: its canonical JSON."""
    return canonical_bytes(entry)


def merkle_root_hex(entries: Sequence[dict[str, Any]]) -> str:
    return merkle.root([entry_leaf(e) for e in entries]).hex()


@dataclass
class FilingResult:
    """Everything a filing package holds, ready for an exporter to write."""

    filing_id: int
    manifest: dict[str, Any]
    reports: dict[str, OverlapReport]
    items: list[tuple[Item, ItemVersion]]
    sets: list[tuple[PracticalSet, PracticalSetVersion]]
    reviews: list[dict[str, Any]]
    public_keys: dict[str, dict[str, Any]]
    signatures: list[dict[str, str]]


def _approvers(session: Session, bank: Bank) -> dict[int, Person]:
    return {
        p.id: p
        for p in session.scalars(
            select(Person)
            .join(Review, Review.reviewer_id == Person.id)
            .where(Review.bank_id == bank.id, Review.decision == "approved")
        )
    }


def file_bank(
    session: Session,
    bank: Bank,
    policy: Policy,
    *,
    institution: Person,
    institution_signer: Signer,
    reviewers: Sequence[tuple[Person, Signer]],
    actor: str,
) -> FilingResult:
    """File `bank`: check, freeze, sign, store. Raises NotCompliant when a rule fails.

    Raises ContentTampered, before anything is written, when a version to file does not
    re-hash to its id or a review of it signed another id.
    Side effects: writes the filing, its entries, the overlap reports and an audit event.
    """
    approvers = _check_signers(session, bank, institution, institution_signer, reviewers)
    items = [
        (item, version)
        for item, version in session.execute(current_items(bank.id).order_by(Item.id))
    ]
    sets = [
        (practical_set, version)
        for practical_set, version in session.execute(
            current_sets(bank.id).order_by(PracticalSet.code).options(*SET_CONTENT)
        )
    ]
    _verify_content(session, bank, items, sets)

    compliance = check_bank(session, bank, policy, actor=actor)
    if not compliance.compliant:
        raise NotCompliant(compliance)
    tree = session.get(TreeVersion, bank.tree_version_id) if bank.tree_version_id else None
    entries = _entries(items, sets, tree)
    report_ids = {
        scope: store_report(session, bank, report, actor=actor)
        for scope, report in compliance.reports.items()
    }
    manifest = _manifest(bank, policy, compliance, entries, report_ids, institution)
    manifest_bytes = canonical_bytes(manifest)
    signatures = _signatures(
        manifest_bytes,
        [
            *((p, s, "reviewer") for p, s in reviewers),
            (institution, institution_signer, "institution"),
        ],
    )
    filing = Filing(
        bank_id=bank.id,
        merkle_root=manifest["merkle_root"],
        manifest=manifest_bytes.decode("utf-8"),
        manifest_sha256=content_id(manifest),
        signatures={"manifest": signatures},
        created_by=actor,
    )
    session.add(filing)
    session.flush()
    session.add_all(FilingEntry(filing_id=filing.id, item_version_id=v.id) for _, v in items)
    session.add_all(FilingEntry(filing_id=filing.id, set_version_id=v.id) for _, v in sets)
    audit.record(
        session,
        actor=actor,
        action="file",
        entity="bank",
        entity_id=bank.id,
        bank_id=bank.id,
        filing=filing.id,
        merkle_root=manifest["merkle_root"],
        items=len(items),
        sets=len(sets),
    )
    version_ids = [v.id for _, v in items] + [v.id for _, v in sets]
    reviews = _review_records(session, bank, version_ids)
    keys = _public_keys(session, [*(p for p, _ in reviewers), institution, *approvers.values()])
    return FilingResult(
        filing.id, manifest, compliance.reports, items, sets, reviews, keys, signatures
    )


def _check_signers(
    session: Session,
    bank: Bank,
    institution: Person,
    institution_signer: Signer,
    reviewers: Sequence[tuple[Person, Signer]],
) -> dict[int, Person]:
    """The bank's approving reviewers, after checking that each signer is one of them (or
    the institution) and holds that person's key. Raises InvalidInput otherwise."""
    require_role(institution, "institution")
    if institution_signer.public_key_raw != public_key_raw(institution):
        raise InvalidInput("people.key_mismatch", name=institution.name)
    approvers = _approvers(session, bank)
    if not reviewers:
        raise InvalidInput("filing.reviewer_required")
    for person, signer in reviewers:
        if person.id not in approvers:
            raise InvalidInput("filing.not_an_approver", name=person.name)
        if signer.public_key_raw != public_key_raw(person):
            raise InvalidInput("people.key_mismatch", name=person.name)
    return approvers


def _entries(
    items: Sequence[tuple[Item, ItemVersion]],
    sets: Sequence[tuple[PracticalSet, PracticalSetVersion]],
    tree: TreeVersion | None,
) -> list[dict[str, Any]]:
    """The manifest's entries, one per filed version: the Merkle leaves."""
    entries: list[dict[str, Any]] = [
        {"kind": "item", "id": item.id, "guid": item.guid, "version": version.sha256}
        for item, version in items
    ]
    entries += [{"kind": "practical_set", "code": s.code, "version": v.sha256} for s, v in sets]
    if tree is not None:
        entries.append({"kind": "tree", "version": tree.sha256})
    return entries


def _manifest(
    bank: Bank,
    policy: Policy,
    compliance: Compliance,
    entries: list[dict[str, Any]],
    report_ids: dict[str, str],
    institution: Person,
) -> dict[str, Any]:
    """The document the reviewers and the institution sign."""
    return {
        "format": MANIFEST_FORMAT,
        "bank": {
            "occupation": bank.occupation.code,
            "occupation_name": bank.occupation.name,
            "level": bank.level,
        },
        "policy": {"name": policy.name, "id": policy.id},
        "compliance": compliance.as_dict(),
        "entries": entries,
        "merkle_root": merkle_root_hex(entries),
        "overlap_reports": report_ids,
        "institution": institution.name,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _signatures(
    manifest_bytes: bytes, signers: Sequence[tuple[Person, Signer, str]]
) -> list[dict[str, str]]:
    """One signature of the canonical manifest per (person, signer, role)."""
    return [
        {
            "signer": person.name,
            "role": role,
            "fingerprint": person.key_fingerprint or "",
            "signature": base64.b64encode(signer.sign(manifest_bytes)).decode("ascii"),
        }
        for person, signer, role in signers
    ]


def _verify_content(
    session: Session,
    bank: Bank,
    items: Sequence[tuple[Item, ItemVersion]],
    sets: Sequence[tuple[PracticalSet, PracticalSetVersion]],
) -> None:
    """ContentTampered unless every version to file re-hashes to its id (columns and child
    rows included) and every review of it signed that same id."""
    for item, version in items:
        verified_item_content(version, guid=item.guid, consequence="file")
    for practical_set, set_version in sets:
        verified_set_content(set_version, code=practical_set.code, consequence="file")
    subjects: dict[tuple[str, int], tuple[str, str]] = {
        ("item", v.id): (i.guid, v.sha256) for i, v in items
    }
    subjects.update({("set", v.id): (s.code, v.sha256) for s, v in sets})
    for item_version_id, set_version_id, payload in session.execute(
        select(Review.item_version_id, Review.set_version_id, Review.payload).where(
            Review.bank_id == bank.id
        )
    ):
        key = ("item", item_version_id) if item_version_id else ("set", set_version_id)
        if key not in subjects:
            continue
        subject, sha = subjects[key]
        signed = _signed_version(payload)
        if signed != sha:
            raise ContentTampered(
                kind=key[0],
                subject=subject,
                version=sha,
                mismatch=Mismatch("content.review", signed or "-"),
                consequence="file",
            )


def _signed_version(payload: str) -> str | None:
    try:
        version = json.loads(payload).get("version")
    except (ValueError, AttributeError):
        return None
    return version if isinstance(version, str) else None


def _review_records(session: Session, bank: Bank, version_ids: list[int]) -> list[dict[str, Any]]:
    """The signed approvals of the filed versions, as the package carries them."""
    wanted = set(version_ids)
    out = []
    for row, reviewer in session.execute(
        select(Review, Person)
        .join(Person, Person.id == Review.reviewer_id)
        .where(Review.bank_id == bank.id)
        .order_by(Review.id)
    ):
        if (row.item_version_id or row.set_version_id) in wanted:
            out.append(
                {"payload": row.payload, "signature": row.signature, "reviewer": reviewer.name}
            )
    return out


def _public_keys(session: Session, people: Sequence[Person]) -> dict[str, dict[str, Any]]:
    return {
        p.name: {
            "public_key": p.public_key,
            "fingerprint": p.key_fingerprint,
            "roles": p.roles.split(","),
        }
        for p in people
        if p.public_key
    }


def filed_item_contents(
    session: Session, bank: Bank, *, consequence: str = "assemble"
) -> list[tuple[ItemVersion, ItemContent]]:
    """Item versions of the bank's latest filing, the only ones assembly may use, each with
    its verified content.

    Raises ContentTampered (with `consequence`, see `qbank.content.CONSEQUENCES`) when a
    version does not re-hash to its id or is not the version the filing's manifest lists for
    its item.
    """
    latest = session.execute(latest_filing(bank.id)).first()
    if latest is None:
        return []
    listed, _sets = filed_versions(latest.manifest, latest.manifest_sha256)
    out = []
    for version, guid in session.execute(filing_items(latest.id)):
        content = verified_item_content(version, guid=guid, consequence=consequence)
        if listed.get(version.item_id) != version.sha256:
            raise ContentTampered(
                kind="item",
                subject=guid,
                version=version.sha256,
                mismatch=Mismatch("content.not_filed", listed.get(version.item_id, "-")),
                consequence=consequence,
            )
        out.append((version, content))
    return out


def filed_item_versions(
    session: Session, bank: Bank, *, consequence: str = "assemble"
) -> list[ItemVersion]:
    """The rows of `filed_item_contents` (their columns verified equal to their content)."""
    return [version for version, _ in filed_item_contents(session, bank, consequence=consequence)]
