"""Papers confidential at rest: once sealed, a paper's composition is only ciphertext.

Sealing (封存) replaces each paper's composition — its items in order, option orders,
sections, seed and, for a practical paper, the drawn set — by an age v1 file encrypted to the
batch's custody recipients, plus a salted commitment to it; the paper row keeps only what
prints on its cover and its `paper_items` rows are deleted. Whoever holds only the database
(a copy, a backup taken after sealing, a stolen laptop) cannot learn a paper before its exam.
The 启封 step of the custody log calls `open_papers`, which decrypts, checks the commitment
and writes the composition back.

Who can open: every designated staff member of the batch with an age recipient, and every
person with the role `regulator` and an age recipient (the regulator's escrow). Their age
identities live outside the database: staff identities encrypted in their keystores
(`qbank.keys.generate_age_identity`), the regulator's off-line at the regulator.

Readers of compositions (history and exposure of assembly, the validator) take an optional
`Keyring` of identities: an unsealed or opened paper is read as stored, a sealed one is
decrypted with the keyring or refused with `IdentityRequired`.

The commitment (SHA-256 of salt ‖ canonical composition) binds the ciphertext: a changed blob
or commitment is caught on opening. It does not stop someone who can write the database from
sealing a composition of their own to the same public recipients with a matching commitment;
the custody log, which signs each paper's commitment, is what pins it.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pyrage
from pyrage import x25519
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from qbank import audit
from qbank.canonical import canonical_bytes, sha256_hex
from qbank.custody.log import parse_layout
from qbank.errors import InvalidInput, QbankError
from qbank.model import Batch, BatchStaff, CustodyLayout, Paper, PaperItem, Person, utcnow
from qbank.queries import live_people

FORMAT = "qbank-sealed-composition/v1"
SALT_BYTES = 32
_COVER_SECTION_KEYS = ("type", "title", "count", "score")


class IdentityRequired(InvalidInput):
    """A sealed paper had to be read and no age identity was given."""

    def __init__(self, paper: Paper) -> None:
        super().__init__("confidential.identity_required", **_label(paper))


class SealedPaperError(QbankError):
    """A sealed paper could not be opened; nothing was changed."""

    def __init__(self, key: str, paper: Paper) -> None:
        super().__init__(key, **_label(paper))


class NoMatchingIdentity(SealedPaperError):
    """None of the given identities is a recipient of the paper."""

    def __init__(self, paper: Paper) -> None:
        super().__init__("confidential.no_matching_identity", paper)


class SealedPaperDamaged(SealedPaperError):
    """The stored ciphertext is not a sealed composition of this paper (altered or swapped)."""

    def __init__(self, paper: Paper) -> None:
        super().__init__("confidential.damaged", paper)


class CommitmentMismatch(SealedPaperError):
    """The decrypted composition does not match the paper's stored commitment."""

    def __init__(self, paper: Paper) -> None:
        super().__init__("confidential.commitment_mismatch", paper)


@dataclass(frozen=True)
class Composition:
    """What sealing hides: layout, seed, drawn set version and (item, version, position) rows."""

    layout: dict[str, Any]
    seed: str
    set_version_id: int | None
    items: tuple[tuple[int, int, int], ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "layout": self.layout,
            "seed": self.seed,
            "set_version_id": self.set_version_id,
            "items": [list(row) for row in self.items],
        }

    @classmethod
    def from_json(cls, data: Any) -> Composition:
        """Raises ValueError, KeyError or TypeError on anything but an `as_json` form."""
        layout, seed, set_version_id = data["layout"], data["seed"], data["set_version_id"]
        if not isinstance(layout, dict) or not isinstance(seed, str):
            raise TypeError("layout or seed")
        if set_version_id is not None and not _is_int(set_version_id):
            raise TypeError("set_version_id")
        items = tuple(tuple(row) for row in data["items"])
        if any(len(row) != 3 or not all(_is_int(v) for v in row) for row in items):
            raise ValueError("items")
        return cls(layout, seed, set_version_id, items)

    @property
    def item_ids(self) -> list[int]:
        return [item_id for item_id, _version, _position in sorted(self.items, key=lambda r: r[2])]


class Keyring:
    """Age identities that may open sealed papers, and the compositions opened so far.

    Passed explicitly to whatever reads compositions (never a global); one keyring per run
    decrypts each paper once.
    """

    def __init__(self, identities: Iterable[x25519.Identity] = ()) -> None:
        self._identities = list(identities)
        self._opened: dict[tuple[int, str | None, str | None], Composition] = {}

    @classmethod
    def of(cls, identities: Identities) -> Keyring:
        """The keyring itself, or a new one over a sequence of identities (None: empty)."""
        if isinstance(identities, Keyring):
            return identities
        return cls(identities or ())

    def open(self, paper: Paper) -> Composition:
        """Decrypt a sealed paper and check it against its commitment and identity.

        Raises IdentityRequired (no identities), NoMatchingIdentity, SealedPaperDamaged or
        CommitmentMismatch. Reads nothing but the paper row.
        """
        key = (paper.id, paper.commitment, paper.sealed_composition)
        if key in self._opened:
            return self._opened[key]
        if not self._identities:
            raise IdentityRequired(paper)
        try:
            blob = base64.b64decode(paper.sealed_composition or "", validate=True)
        except binascii.Error:
            raise SealedPaperDamaged(paper) from None
        try:
            plain = pyrage.decrypt(blob, self._identities)
        except pyrage.DecryptError as e:
            if "no matching keys" in str(e).lower():
                raise NoMatchingIdentity(paper) from None
            raise SealedPaperDamaged(paper) from None
        try:
            document = json.loads(plain)
            salt = bytes.fromhex(document["salt"])
            clear = Composition.from_json(document["composition"])
            bound = document["format"] == FORMAT and document["paper"] == _binding(paper)
        except (ValueError, KeyError, TypeError):
            raise SealedPaperDamaged(paper) from None
        if not bound or len(salt) != SALT_BYTES:
            raise SealedPaperDamaged(paper)
        if commitment(salt, document["composition"]) != paper.commitment:
            raise CommitmentMismatch(paper)
        self._opened[key] = clear
        return clear


Identities = Keyring | Sequence[x25519.Identity] | None
"""What readers of compositions accept: a keyring, a list of identities, or nothing."""


def is_sealed(paper: Paper) -> bool:
    """True while the paper's composition is only ciphertext (sealed and not yet opened)."""
    return paper.sealed_at is not None and paper.opened_at is None


def commitment(salt: bytes, composition: dict[str, Any]) -> str:
    """SHA-256 hex of salt ‖ canonical JSON of the composition (`Composition.as_json`)."""
    return sha256_hex(salt + canonical_bytes(composition))


def cover_layout(layout: dict[str, Any]) -> dict[str, Any]:
    """What stays in the clear once a paper is sealed: what prints on its cover, no items."""
    cover: dict[str, Any] = {"sealed": True}
    if "sections" in layout:
        cover["sections"] = [
            {k: s[k] for k in _COVER_SECTION_KEYS if k in s} for s in layout["sections"]
        ]
    if "score" in layout:
        cover["score"] = layout["score"]
    return cover


def composition(paper: Paper, identities: Identities = None) -> dict[str, Any]:
    """The paper's clear layout: as stored unless sealed, else decrypted with `identities`.

    Raises IdentityRequired for a sealed paper when no identity is given.
    """
    if not is_sealed(paper):
        return paper.layout
    return Keyring.of(identities).open(paper).layout


def clear_composition(session: Session, paper: Paper, identities: Identities = None) -> Composition:
    """The paper's whole composition, from its row and item rows or from its ciphertext."""
    if is_sealed(paper):
        return Keyring.of(identities).open(paper)
    rows = session.execute(
        select(PaperItem.item_id, PaperItem.item_version_id, PaperItem.position)
        .where(PaperItem.paper_id == paper.id)
        .order_by(PaperItem.position)
    )
    return Composition(
        layout=paper.layout,
        seed=paper.seed,
        set_version_id=paper.set_version_id,
        items=tuple((i, v, p) for i, v, p in rows),
    )


def paper_item_ids(session: Session, paper: Paper, identities: Identities = None) -> list[int]:
    """The paper's item ids in order, for a sealed paper from its decrypted composition."""
    return clear_composition(session, paper, identities).item_ids


def custody_recipients(session: Session, batch: Batch) -> list[str]:
    """The age recipients a batch's papers are sealed to: its staff and the regulator escrow.

    Rule: every person designated for any step of the batch (BatchStaff) who has an age
    recipient, then every person with the role `regulator` who has one. Refuses when either
    group is empty: without staff nobody can open at the exam; without escrow a lost staff
    identity loses the papers.
    """
    staff = session.scalars(
        live_people()
        .with_only_columns(Person.age_recipient)
        .join(BatchStaff, BatchStaff.person_id == Person.id)
        .where(BatchStaff.batch_id == batch.id, Person.age_recipient.is_not(None))
        .order_by(BatchStaff.id)
    ).all()
    if not staff:
        raise InvalidInput("confidential.no_staff_recipient", batch=batch.id)
    regulators = [
        p.age_recipient
        for p in session.scalars(
            live_people().where(Person.age_recipient.is_not(None)).order_by(Person.name)
        )
        if "regulator" in p.roles.split(",")
    ]
    if not regulators:
        raise InvalidInput("confidential.no_regulator_recipient", batch=batch.id)
    return list(
        dict.fromkeys(r for r in [*staff, *_layout_people(session, batch), *regulators] if r)
    )


def _layout_people(session: Session, batch: Batch) -> list[str]:
    """Age recipients of the people the batch's custody layout names beyond its staff (the
    启封 and 归档 signers): whoever opens the papers at the exam must be able to decrypt them."""
    stored = session.scalar(select(CustodyLayout).where(CustodyLayout.batch_id == batch.id))
    if stored is None:
        return []
    names = [
        key.name for rule in parse_layout(stored.payload.encode()).steps for key in rule.people
    ]
    return list(
        session.scalars(
            live_people()
            .with_only_columns(Person.age_recipient)
            .where(Person.name.in_(names), Person.age_recipient.is_not(None))
        )
    )


def set_age_recipient(session: Session, person: Person, recipient: str, *, actor: str) -> None:
    """Record the person's age recipient ("age1…"); a change is audited with the previous one.

    Side effects: writes the DB.
    """
    recipient = _check_recipients([recipient])[0]
    if person.age_recipient == recipient:
        return
    previous = person.age_recipient
    person.age_recipient = recipient
    audit.record(
        session,
        actor=actor,
        action="set_age_recipient",
        entity="person",
        entity_id=person.id,
        recipient=recipient,
        previous=previous,
    )


def seal_papers(
    session: Session, batch: Batch, *, recipients: Sequence[str] | None = None, actor: str
) -> list[Paper]:
    """Seal every paper of the batch not sealed yet; returns the papers sealed now.

    Each composition is encrypted (age v1) to `recipients` (default: `custody_recipients`),
    committed to with a fresh 32-byte salt, and removed from the clear: the layout becomes the
    cover, the seed and drawn set are cleared, the item rows deleted. On SQLite the deleted
    content is overwritten in the file (secure_delete).
    Side effects: writes the papers, deletes their item rows, one audit event per paper
    carrying only the commitment and the recipients.
    """
    chosen = _check_recipients(
        recipients if recipients is not None else custody_recipients(session, batch)
    )
    keys = [x25519.Recipient.from_str(r) for r in chosen]
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("PRAGMA secure_delete = ON"))
    papers = list(
        session.scalars(
            select(Paper)
            .where(Paper.batch_id == batch.id, Paper.sealed_at.is_(None))
            .order_by(Paper.id)
            .with_for_update()  # a concurrent sealing waits, then finds them sealed
        )
    )
    for paper in papers:
        clear = clear_composition(session, paper).as_json()
        salt = secrets.token_bytes(SALT_BYTES)
        document = {
            "format": FORMAT,
            "paper": _binding(paper),
            "salt": salt.hex(),
            "composition": clear,
        }
        blob = pyrage.encrypt(canonical_bytes(document), keys)
        paper.sealed_composition = base64.b64encode(blob).decode("ascii")
        paper.commitment = commitment(salt, clear)
        paper.layout = cover_layout(paper.layout)
        paper.seed = ""
        paper.set_version_id = None
        paper.sealed_at = utcnow()
        session.execute(delete(PaperItem).where(PaperItem.paper_id == paper.id))
        audit.record(
            session,
            actor=actor,
            action="seal_paper",
            entity="paper",
            entity_id=paper.id,
            bank_id=batch.bank_id,
            commitment=paper.commitment,
            recipients=chosen,
        )
    return papers


def open_papers(
    session: Session, batch: Batch, *, identities: Identities, actor: str
) -> list[Paper]:
    """Open (启封) the batch's sealed papers: decrypt, check, write their composition back.

    Every paper is decrypted and checked before any is changed, so a wrong identity, an
    altered ciphertext or a commitment mismatch leaves everything as it was.
    Side effects: restores layout, seed, drawn set and item rows, sets `opened_at`, one audit
    event per paper.
    """
    keyring = Keyring.of(identities)
    papers = session.scalars(
        select(Paper)
        .where(Paper.batch_id == batch.id, Paper.sealed_at.is_not(None), Paper.opened_at.is_(None))
        .order_by(Paper.id)
        .with_for_update()
    )
    opened = [(paper, keyring.open(paper)) for paper in papers]
    for paper, clear in opened:
        paper.layout = clear.layout
        paper.seed = clear.seed
        paper.set_version_id = clear.set_version_id
        paper.opened_at = utcnow()
        session.add_all(
            PaperItem(paper_id=paper.id, item_id=i, item_version_id=v, position=p)
            for i, v, p in clear.items
        )
        audit.record(
            session,
            actor=actor,
            action="open_paper",
            entity="paper",
            entity_id=paper.id,
            bank_id=batch.bank_id,
            commitment=paper.commitment,
        )
    session.flush()
    return [paper for paper, _ in opened]


def open_for_exam(
    session: Session,
    batch: Batch,
    *,
    identities: Identities,
    actor: str,
    today: date | None = None,
) -> list[Paper]:
    """启封 at the exam: `open_papers`, but never before the batch's exam date (`today`, default
    the local date). A batch with nothing sealed is left alone and needs no identity.

    Raises InvalidInput (custody.open_too_early) and as `open_papers`.
    """
    sealed = session.scalar(
        select(func.count())
        .select_from(Paper)
        .where(Paper.batch_id == batch.id, Paper.sealed_at.is_not(None), Paper.opened_at.is_(None))
    )
    if not sealed:
        return []
    if (today or date.today()) < batch.exam_date:
        raise InvalidInput("custody.open_too_early", date=batch.exam_date.isoformat())
    return open_papers(session, batch, identities=identities, actor=actor)


def _check_recipients(recipients: Sequence[str]) -> list[str]:
    """Trimmed, de-duplicated X25519 recipients; InvalidInput names the first bad one."""
    chosen = list(dict.fromkeys(r.strip() for r in recipients))
    if not chosen:
        raise InvalidInput("confidential.no_recipients")
    for r in chosen:
        try:
            x25519.Recipient.from_str(r)
        except pyrage.RecipientError:
            raise InvalidInput("confidential.bad_recipient", value=r[:80]) from None
    return chosen


def _binding(paper: Paper) -> dict[str, Any]:
    """The paper a sealed composition belongs to (a blob moved to another paper is refused)."""
    return {"id": paper.id, "batch_id": paper.batch_id, "code": paper.code, "kind": paper.kind}


def _label(paper: Paper) -> dict[str, Any]:
    return {"paper": paper.code, "id": paper.id, "batch": paper.batch_id}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
