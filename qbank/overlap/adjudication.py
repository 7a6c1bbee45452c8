"""A reviewer's signed judgement that two flagged items are distinct, and reading those marks.

A mark names the items' current versions, so it lapses when either gets a new version; the
theory check lists marked pairs apart and does not count them in the rate.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from qbank import audit
from qbank.canonical import canonical_bytes
from qbank.errors import InvalidInput, NotFound
from qbank.model import Adjudication, Bank, Item, ItemVersion, Person
from qbank.overlap.report import Adjudications, Mark
from qbank.overlap.units import bank_scope
from qbank.queries import current_items

if TYPE_CHECKING:
    from qbank.keys import Signer


def adjudications(session: Session, bank: Bank) -> Adjudications:
    """Every mark recorded in `bank`, by the pair of versions it names."""
    marks = Adjudications()
    for mark in session.scalars(select(Adjudication).where(Adjudication.bank_id == bank.id)):
        marks.marks[(mark.version_a, mark.version_b)] = Mark(mark.reviewer, mark.reason)
    return marks


def _current_versions(session: Session, bank: Bank, ids: tuple[int, int]) -> dict[int, ItemVersion]:
    """The current versions of the live items `ids` of `bank`; a deleted or unknown item is
    refused by name (NotFound), so no mark is signed on what is no longer in the bank."""
    found = {i.id: v for i, v in session.execute(current_items(bank.id, item_ids=ids))}
    for item_id in ids:
        if item_id not in found:
            item = session.get(Item, item_id)
            if item is not None and item.bank_id == bank.id and item.deleted_at is not None:
                raise NotFound("overlap.item_deleted", id=item_id)
            raise NotFound("overlap.item_not_in_bank", id=item_id)
    return found


def adjudicate(
    session: Session,
    bank: Bank,
    item_a: int,
    item_b: int,
    *,
    reviewer: Person,
    signer: Signer,
    reason: str,
    actor: str,
) -> Adjudication:
    """Record, signed, a reviewer's judgement that two live items are distinct.

    The mark names the items' current versions, so it lapses when either gets a new version.
    The reviewer may not judge an item they wrote or imported (回避). Side effects: writes the
    mark and an audit event.
    """
    if not reason.strip():
        raise InvalidInput("overlap.reason_required")
    from qbank.people import public_key_raw, require_role  # keys: loaded to sign only
    from qbank.review import SelfReview

    require_role(reviewer, "reviewer")
    if signer.public_key_raw != public_key_raw(reviewer):
        raise InvalidInput("people.key_mismatch", name=reviewer.name)
    versions = _current_versions(session, bank, (item_a, item_b))
    own = [i for i, v in versions.items() if reviewer.name in {v.author, v.created_by}]
    if own:
        raise SelfReview(reviewer.name, own)
    a, b = sorted((versions[item_a].sha256, versions[item_b].sha256))
    mark = session.scalar(
        select(Adjudication).where(Adjudication.version_a == a, Adjudication.version_b == b)
    )
    if mark is None:
        payload = canonical_bytes(
            {
                "format": "qbank-adjudication/1",
                "bank": bank_scope(bank).to_json(),
                "items": sorted((item_a, item_b)),
                "versions": [a, b],
                "judgement": "distinct",
                "reason": reason.strip(),
                "reviewer": reviewer.name,
                "key": reviewer.key_fingerprint,
            }
        )
        mark = Adjudication(
            bank_id=bank.id,
            version_a=a,
            version_b=b,
            reviewer=reviewer.name,
            reason=reason.strip(),
            payload=payload.decode("utf-8"),
            signature=base64.b64encode(signer.sign(payload)).decode("ascii"),
        )
        session.add(mark)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="adjudicate_distinct",
            entity="item",
            entity_id=item_a,
            bank_id=bank.id,
            other=item_b,
            reviewer=reviewer.name,
            reason=reason.strip(),
        )
    return mark
