"""The print run of a batch (印制), database side: which papers are printed, as print records,
and the `export` audit event that accounts for the files made from them.

The files themselves (Word documents, serials, the print list) are the exporter's
(`exporters.print_run`); `workflows.printing` joins the two.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qbank import audit
from qbank.bank import LEVEL_NAMES
from qbank.confidential import Identities, composition, is_sealed
from qbank.errors import InvalidInput, NotFound
from qbank.i18n import tr
from qbank.model import Bank, Batch, Paper
from qbank.printing import PrintDoc, PrintRunDoc, practical_document, theory_document

__all__ = ["PAPER_KINDS", "print_run_doc", "record_export"]

PAPER_KINDS = ("theory", "practical")
"""The kinds of paper a batch prints, in print-run order."""


def print_run_doc(
    session: Session,
    batch: Batch,
    *,
    paper_kinds: Collection[str] = PAPER_KINDS,
    papers: Sequence[str] | None = None,
    layouts: Mapping[str, dict[str, Any]] | None = None,
    identities: Identities = None,
) -> PrintRunDoc:
    """The batch's papers of `paper_kinds` as print records, with the batch's cover values.

    `papers` restricts to those paper codes (default: every paper of those kinds). A sealed
    paper's composition comes from `layouts` (paper code → decrypted layout) or is decrypted
    with `identities` (age identities or a `qbank.confidential.Keyring`).
    Reads the database, writes nothing. Raises InvalidInput when the batch has no such paper,
    NotFound for a paper code it does not have, the `qbank.confidential` errors
    (IdentityRequired, SealedPaperError…) for a sealed paper that neither opens nor has a
    layout, and ValueError for no or unknown `paper_kinds`.
    """
    records: list[PrintDoc] = []
    for paper in _papers(session, batch, paper_kinds, papers):
        layout = (layouts or {}).get(paper.code)
        if layout is None and identities is not None and is_sealed(paper):
            layout = composition(paper, identities)
        if paper.kind == "theory":
            records.append(theory_document(session, paper, layout=layout))
        else:
            records.append(practical_document(session, paper, layout=layout))
    bank = session.get(Bank, batch.bank_id)
    assert bank is not None, "a batch belongs to a bank"
    grade, traditional = LEVEL_NAMES[bank.level]
    return PrintRunDoc(
        batch_id=batch.id,
        batch_code=batch.code,
        occupation_code=bank.occupation.code,
        occupation_name=bank.occupation.name,
        level=bank.level,
        level_name=f"{grade}/{traditional}",
        exam_date=batch.exam_date.isoformat(),
        site=batch.site,
        created=batch.created_at,
        papers=tuple(records),
    )


def record_export(
    session: Session, batch: Batch, *, actor: str, copies: int, files: Mapping[str, str]
) -> None:
    """Record that `actor` exported `files` (name → SHA-256), `copies` per paper, of `batch`.

    Side effects: writes one `export` audit event in the caller's transaction and flushes it.
    """
    audit.record(
        session,
        actor=actor,
        action="export",
        entity="batch",
        entity_id=batch.id,
        bank_id=batch.bank_id,
        copies=copies,
        files=dict(files),
    )
    session.flush()


def _papers(
    session: Session, batch: Batch, kinds: Collection[str], codes: Sequence[str] | None
) -> list[Paper]:
    """The batch's papers of `kinds` (theory first, by code), restricted to `codes`."""
    families = [kind for kind in PAPER_KINDS if kind in kinds]
    if not families or len(families) != len(set(kinds)):
        raise ValueError(f"unknown paper kinds {sorted(kinds)}; expected some of {PAPER_KINDS}")
    available = list(
        session.scalars(
            select(Paper)
            .where(Paper.batch_id == batch.id, Paper.kind.in_(families))
            .order_by(Paper.kind.desc(), Paper.code)
        )
    )
    kind_label = tr(f"print.kind_{families[0]}") if len(families) == 1 else ""
    if codes is None:
        if not available:
            raise InvalidInput("print.nothing", batch=batch.code, kind=kind_label)
        return available
    chosen = []
    for code in dict.fromkeys(codes):
        matches = [p for p in available if p.code == code]
        if not matches:
            raise NotFound(
                "print.unknown_paper",
                batch=batch.code,
                code=code,
                kind=kind_label,
                available=tr("print.list_sep").join(p.code for p in available) or "—",
            )
        chosen += matches
    return chosen
