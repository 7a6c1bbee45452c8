"""The custody log in the database: make the signed layout, sign steps, read, export, verify.

Every write goes through the verifier first: a new entry (and its checkpoint) is appended only
when the whole log with it still verifies, so the database never holds an entry that
`verify` would reject, and the refusal names the same failure code a regulator would see.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from qbank import audit, merkle
from qbank.canonical import content_id, sha256_hex
from qbank.checkpoint import sign_checkpoint
from qbank.custody.log import (
    REQUIRED_STEPS,
    STEPS,
    Entry,
    Key,
    Layout,
    Malformed,
    Product,
    SignedLog,
    StepRule,
    check_evidence_key,
    export_files,
    format_time,
    layout_id,
    parse_entry,
    parse_layout,
)
from qbank.custody.verify import INVALID, Act, Verdict, verify_log
from qbank.errors import InvalidInput, NotFound
from qbank.keys import Signer
from qbank.model import (
    Bank,
    Batch,
    BatchStaff,
    CustodyCheckpoint,
    CustodyEntry,
    CustodyLayout,
    Paper,
    PaperItem,
    Person,
    SealedBundle,
)
from qbank.people import get_person, public_key_raw, require_role

COMPUTED_STEPS = ("assemble", "extract")
"""Steps whose products qbank computes: the papers' fingerprints, the sealed bundles."""
_LOCK_CLASS = 0x0C0570D7  # PostgreSQL advisory lock space of custody logs (two-key form)


class CustodyRefused(InvalidInput):
    """A signature was refused because the log with it would not verify; `verdict` says why."""

    def __init__(self, key: str, verdict: Verdict) -> None:
        self.verdict = verdict
        super().__init__(key, reason=verdict.message)


@dataclass(frozen=True)
class Signed:
    """What `sign_step` appended, and the log's verdict with it."""

    entry: Entry
    checkpoint: str
    verdict: Verdict


@dataclass(frozen=True)
class CustodyView:
    """A batch's custody log for reading: the layout, the entries, the verdict."""

    layout: Layout
    entries: list[Entry]
    verdict: Verdict


# --- products -------------------------------------------------------------------------------


def paper_fingerprint(session: Session, paper: Paper) -> str:
    """What the 组卷 step hands on for a paper: its sealing commitment once sealed, else the
    SHA-256 of its canonical composition (layout, seed, practical set, item rows)."""
    if paper.commitment:
        return paper.commitment
    rows = session.execute(
        select(PaperItem.item_id, PaperItem.item_version_id, PaperItem.position)
        .where(PaperItem.paper_id == paper.id)
        .order_by(PaperItem.position, PaperItem.id)
    )
    return content_id(
        {
            "layout": paper.layout,
            "seed": paper.seed,
            "set_version_id": paper.set_version_id,
            "items": [list(row) for row in rows],
        }
    )


def step_products(session: Session, batch: Batch, step: str) -> tuple[Product, ...]:
    """The products qbank computes: papers for 组卷, sealed bundles for 提取."""
    if step == "assemble":
        papers = session.scalars(select(Paper).where(Paper.batch_id == batch.id))
        made = [
            Product("paper", f"{p.kind}:{p.code}", paper_fingerprint(session, p)) for p in papers
        ]
        if not made:
            raise InvalidInput("custody.no_papers", batch=batch.code)
    elif step == "extract":
        bundles = session.scalars(select(SealedBundle).where(SealedBundle.batch_id == batch.id))
        made = [Product("bundle", b.file_name, b.sha256) for b in bundles]
        if not made:
            raise InvalidInput("custody.no_bundles", batch=batch.code)
    else:
        raise ValueError(f"qbank does not compute the products of step {step!r}")
    return tuple(sorted(set(made)))


def file_product(name: str, data: bytes) -> Product:
    """A file handed on (a print list, a scanned seal record) as a product: name and SHA-256."""
    return Product("file", name, sha256_hex(data))


# --- layout ---------------------------------------------------------------------------------


def make_layout(
    session: Session,
    batch: Batch,
    *,
    signer_person: Person,
    signer: Signer,
    quorum: Mapping[str, int] | None = None,
    open_people: Sequence[str] = (),
    archive_people: Sequence[str] = (),
    transport_legs: int | None = None,
    actor: str,
    now: datetime | None = None,
) -> Layout:
    """Fix and sign the batch's custody layout from its designated staff.

    Steps 组卷…封存 take the batch's designated people; 启封 and 归档 are in the layout only
    when people are named for them (role staff or regulator). Quorum is 1 per step unless
    given, except 封存: two when two or more people are designated; with only one designated
    the layout is refused unless `quorum` says seal=1 explicitly. Signed by `signer_person`
    (role institution). Side effects: writes the layout and an audit event.
    """
    if session.scalar(select(CustodyLayout.id).where(CustodyLayout.batch_id == batch.id)):
        raise InvalidInput("custody.layout_exists", batch=batch.code)
    require_role(signer_person, "institution")
    if signer.public_key_raw != public_key_raw(signer_person):
        raise InvalidInput("people.key_mismatch", name=signer_person.name)
    people = _designated(session, batch)
    for step, names in (("open", open_people), ("archive", archive_people)):
        if names:
            people[step] = [_witness(session, name) for name in dict.fromkeys(names)]
    rules = _rules(people, dict(quorum or {}))
    if transport_legs is not None and transport_legs < 1:
        raise InvalidInput("custody.bad_legs", value=transport_legs)
    bank = session.get(Bank, batch.bank_id)
    assert bank is not None
    layout = Layout(
        batch_id=batch.id,
        batch_code=batch.code,
        occupation=bank.occupation.code,
        level=bank.level,
        exam_date=batch.exam_date.isoformat(),
        site=batch.site,
        steps=rules,
        transport_legs=transport_legs,
        signer=Key(signer_person.name, signer.public_key_raw),
        created_at=format_time(now or datetime.now(UTC)),
    )
    payload = layout.payload()
    row = CustodyLayout(
        batch_id=batch.id,
        signer_id=signer_person.id,
        payload=payload.decode("utf-8"),
        signature=_b64(signer.sign(payload)),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="custody_layout",
        entity="batch",
        entity_id=batch.id,
        bank_id=batch.bank_id,
        layout=layout_id(payload),
        signer=signer_person.name,
        quorum={r.step: r.quorum for r in rules},
    )
    return layout


def _designated(session: Session, batch: Batch) -> dict[str, list[Person]]:
    people: dict[str, list[Person]] = {step: [] for step in REQUIRED_STEPS}
    for step, person in session.execute(
        select(BatchStaff.step, Person)
        .join(Person, Person.id == BatchStaff.person_id)
        .where(BatchStaff.batch_id == batch.id)
        .order_by(BatchStaff.id)
    ):
        people[step].append(person)
    return people


def _witness(session: Session, name: str) -> Person:
    """A person named for 启封 or 归档: exam staff or a regulator (督导员)."""
    person = get_person(session, name)
    if not {"staff", "regulator"} & set(person.roles.split(",")):
        raise InvalidInput("custody.bad_witness", name=person.name)
    return person


def _rules(people: Mapping[str, list[Person]], quorum: dict[str, int]) -> tuple[StepRule, ...]:
    unknown = sorted(set(quorum) - set(people))
    if unknown:
        raise InvalidInput("custody.bad_quorum_step", step=unknown[0], steps=" ".join(people))
    rules = []
    for step in STEPS:
        if step not in people:
            continue
        if not people[step]:
            raise InvalidInput("batch.staff_required", steps=step)
        keys = tuple(Key(p.name, public_key_raw(p)) for p in people[step])
        if step in quorum:
            need = quorum[step]
        elif step == "seal":
            if len(keys) < 2:
                raise InvalidInput("custody.seal_needs_two", count=len(keys))
            need = 2
        else:
            need = 1
        if not 1 <= need <= len(keys):
            raise InvalidInput("custody.bad_quorum", step=step, quorum=need, people=len(keys))
        rules.append(StepRule(step, need, keys))
    return tuple(rules)


# --- reading --------------------------------------------------------------------------------


def _layout_row(session: Session, batch: Batch) -> CustodyLayout:
    row = session.scalar(select(CustodyLayout).where(CustodyLayout.batch_id == batch.id))
    if row is None:
        raise NotFound("custody.no_layout", batch=batch.code)
    return row


def stored_log(session: Session, batch: Batch) -> SignedLog:
    """The batch's layout, entries and checkpoints exactly as stored."""
    row = _layout_row(session, batch)
    entries = session.scalars(
        select(CustodyEntry)
        .where(CustodyEntry.batch_id == batch.id)
        .order_by(CustodyEntry.position)
    )
    notes = session.scalars(select(CustodyCheckpoint).where(CustodyCheckpoint.batch_id == batch.id))
    return SignedLog(
        row.payload.encode("utf-8"),
        _unb64(row.signature),
        [(e.payload.encode("utf-8"), _unb64(e.signature)) for e in entries],
        {c.size: c.note for c in notes},
    )


def institution_key(session: Session, batch: Batch) -> bytes:
    """The trust anchor in the database: the registered key of the layout's signer."""
    signer = session.get(Person, _layout_row(session, batch).signer_id)
    assert signer is not None
    return public_key_raw(signer)


def verify_batch(
    session: Session,
    batch: Batch,
    *,
    trusted_key: bytes | None = None,
    known_checkpoints: Sequence[str] = (),
) -> Verdict:
    """Verify the stored log; the layout key is pinned to `trusted_key`, else to the DB's."""
    return verify_log(
        stored_log(session, batch),
        trusted_key=trusted_key or institution_key(session, batch),
        known_checkpoints=known_checkpoints,
    )


def view(session: Session, batch: Batch) -> CustodyView:
    """The layout, the readable entries and the verdict of the stored log."""
    log = stored_log(session, batch)
    layout = _parsed_layout(log)
    entries = []
    for payload, _ in log.entries:
        try:
            entries.append(parse_entry(payload))
        except Malformed:
            break
    return CustodyView(layout, entries, verify_batch(session, batch))


def export_log(session: Session, batch: Batch) -> dict[str, bytes]:
    """The export directory's files (name → bytes) for the stored log, as `verify --dir` reads."""
    log = stored_log(session, batch)
    return export_files(log, _parsed_layout(log))


def _parsed_layout(log: SignedLog) -> Layout:
    try:
        return parse_layout(log.layout_payload)
    except Malformed:
        raise InvalidInput("custody.layout_unreadable") from None


# --- signing --------------------------------------------------------------------------------


def sign_step(
    session: Session,
    batch: Batch,
    step: str,
    *,
    person: Person,
    signer: Signer,
    evidence: Mapping[str, str] | None = None,
    products: Sequence[Product] = (),
    actor: str,
    now: datetime | None = None,
) -> Signed:
    """Append `person`'s signed entry for `step`, and its checkpoint.

    Materials are always the previous step's products as the log records them. Products:
    computed for 组卷 (paper fingerprints) and 提取 (sealed bundles); the given `products`
    (files) for other steps, else what the step received (a co-signer, giving none, vouches
    for the first signer's products). A transport entry gets `leg` evidence automatically:
    the open leg while it lacks co-signers, else the next one. Refused (CustodyRefused, nothing
    written) unless the log with the new entry verifies.
    Side effects: locks the batch's log; writes the entry, its checkpoint and an audit event.
    """
    if step not in STEPS:
        raise InvalidInput("custody.bad_step", step=step, steps=" ".join(STEPS))
    if signer.public_key_raw != public_key_raw(person):
        raise InvalidInput("people.key_mismatch", name=person.name)
    _lock(session, batch)
    log = stored_log(session, batch)
    trusted = institution_key(session, batch)
    before = verify_log(log, trusted_key=trusted)
    if before.status == INVALID:
        raise CustodyRefused("custody.log_invalid", before)
    layout = _parsed_layout(log)
    last = before.acts[-1] if before.acts else None
    given = _evidence(evidence or {})
    if step == "transport" and "leg" not in given:
        given["leg"] = str(_next_leg(last))
    cosign, materials = _materials(step, last, given)
    made = _products(session, batch, step, products, materials, last if cosign else None)
    position = len(log.entries)
    entry = Entry(
        batch_id=layout.batch_id,
        batch_code=layout.batch_code,
        layout=layout_id(log.layout_payload),
        position=position,
        previous_root=merkle.root([p for p, _ in log.entries]).hex(),
        step=step,
        person_name=person.name,
        person_fingerprint=person.key_fingerprint or "",
        claimed_time=format_time(now or datetime.now(UTC)),
        materials=materials,
        products=made,
        evidence=given,
    )
    payload = entry.payload()
    signature = signer.sign(payload)
    root = merkle.root([*(p for p, _ in log.entries), payload])
    note = sign_checkpoint(layout.origin, position + 1, root, name=person.name, signer=signer)
    log.entries.append((payload, signature))
    log.checkpoints[position + 1] = note
    after = verify_log(log, trusted_key=trusted)
    if after.status == INVALID:
        raise CustodyRefused("custody.refused", after)
    _store_entry(session, batch, person, entry, payload, signature, root, note, actor=actor)
    return Signed(entry, note, after)


def _materials(
    step: str, last: Act | None, evidence: Mapping[str, str]
) -> tuple[bool, tuple[Product, ...]]:
    """Whether the new entry co-signs `last` (same step, and same leg for transport), and
    its materials: what `last` received when co-signing, else what `last` produced."""
    cosign = (
        last is not None
        and last.step == step
        and (step != "transport" or evidence.get("leg") == str(last.leg))
    )
    if last is None:
        return cosign, ()
    return cosign, last.materials if cosign else last.products


def _store_entry(
    session: Session,
    batch: Batch,
    person: Person,
    entry: Entry,
    payload: bytes,
    signature: bytes,
    root: bytes,
    note: str,
    *,
    actor: str,
) -> None:
    """Write a verified entry, its checkpoint and the audit event."""
    session.add(
        CustodyEntry(
            batch_id=batch.id,
            position=entry.position,
            step=entry.step,
            person_id=person.id,
            payload=payload.decode("utf-8"),
            signature=_b64(signature),
        )
    )
    session.add(
        CustodyCheckpoint(batch_id=batch.id, size=entry.position + 1, root=root.hex(), note=note)
    )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="custody_sign",
        entity="batch",
        entity_id=batch.id,
        bank_id=batch.bank_id,
        step=entry.step,
        position=entry.position,
        person=person.name,
        root=root.hex(),
    )


def _lock(session: Session, batch: Batch) -> None:
    """Serialise signers of one batch's log until the transaction ends (as assembly does)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:space, :batch)"),
            {"space": _LOCK_CLASS, "batch": batch.id},
        )
    else:
        session.execute(update(Batch).where(Batch.id == batch.id).values(code=Batch.code))


def _evidence(evidence: Mapping[str, str]) -> dict[str, str]:
    out = {}
    for key, value in evidence.items():
        if not check_evidence_key(key) or not isinstance(value, str) or "\n" in value:
            raise InvalidInput("custody.bad_evidence", name=key)
        out[key] = value
    return out


def _next_leg(last: Act | None) -> int:
    if last is None or last.step != "transport":
        return 1
    assert last.leg is not None
    return last.leg if not last.complete else last.leg + 1


def _products(
    session: Session,
    batch: Batch,
    step: str,
    given: Sequence[Product],
    materials: tuple[Product, ...],
    cosigned: Act | None,
) -> tuple[Product, ...]:
    if step in COMPUTED_STEPS:
        if given:
            raise InvalidInput("custody.products_computed", step=step)
        return step_products(session, batch, step)
    if given:
        if len(set(given)) != len(given):
            raise InvalidInput("custody.duplicate_product")
        return tuple(sorted(given))
    return cosigned.products if cosigned else materials


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(value: str) -> bytes:
    """A stored base64 signature; damaged text reads as no signature (verification fails)."""
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error:
        return b""
