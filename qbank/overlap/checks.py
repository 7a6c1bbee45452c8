"""Overlap checks of stored banks: build the units of a scope, run it, keep the report.

Scopes: a bank's theory items (`check_theory`), its practical sets pairwise
(`check_practical`), its practical tasks against the other levels' (`check_practical_levels`),
and a bank against another bank or a file (`compare_banks`, `compare_with_file`). Each reads
the live items or sets (`qbank.queries`) and writes token sets and signatures the first time
it meets a text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from itertools import islice
from typing import TYPE_CHECKING

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, selectinload

from qbank import audit
from qbank.canonical import sha256_hex
from qbank.gcpause import gc_paused
from qbank.item_rows import ItemRow
from qbank.model import Bank, PracticalSetVersion
from qbank.model import OverlapReport as StoredReport
from qbank.overlap.adjudication import adjudications
from qbank.overlap.document import BankReference, FileReference, OverlapReport
from qbank.overlap.pairs import cross_duplicates
from qbank.overlap.report import (
    Unit,
    finish,
    practical_report,
    reference_report,
    report_bytes,
    theory_document,
    theory_report,
)
from qbank.overlap.stored_scope import scope_rows_in_parts, stored_theory
from qbank.overlap.units import (
    Progress,
    bank_scope,
    context,
    current_item_rows,
    current_set_versions,
    item_scope,
    item_units,
    practical_units,
    record_units,
    stream_item_rows,
)
from qbank.policy import Policy
from qbank.records import ItemRecord
from qbank.utf8_text import utf8_text

if TYPE_CHECKING:
    from qbank.text.tokens import Tokenizer


def check_theory(
    session: Session,
    bank: Bank,
    policy: Policy,
    *,
    actor: str,
    tokenizer: Tokenizer | None = None,
    progress: Progress = None,
) -> OverlapReport:
    """Repetition within one bank's theory items (the 30% rule). Reads the stored tokens and
    signatures; writes those missing. `progress` follows the stages (`units.Progress`).

    A scope compared by LSH whose signatures are all stored reads tokens only for the rows in
    candidate pairs (`stored_scope`); the report is the same. The cyclic garbage collector is
    paused meanwhile (`qbank.gcpause`)."""
    with gc_paused():
        return _check_theory(session, bank, policy, actor, tokenizer, progress)


def _check_theory(
    session: Session,
    bank: Bank,
    policy: Policy,
    actor: str,
    tokenizer: Tokenizer | None,
    progress: Progress,
) -> OverlapReport:
    ctx = context(policy, tokenizer, actor)
    # Up to the exact comparison's limit the rows are kept (one read whichever way the scope
    # goes); beyond it they are re-hashed as they stream.
    limit = int(policy.exact_max_items.value)
    rows = stream_item_rows(session, bank)
    head = list(islice(rows, limit + 1))
    scope: Iterable[ItemRow] = head
    if len(head) > limit:
        listed, keys = scope_rows_in_parts(session, bank, head, rows)
        del head, scope
        found = stored_theory(session, listed, keys, policy, tokenizer, progress)
        del keys
        if found is not None:
            report = theory_document(
                found.listed,
                found.pairs,
                found.method,
                ctx,
                bank_scope(bank),
                adjudications(session, bank),
            )
            return finish(report, actor)
        scope = stream_item_rows(session, bank)  # a signature is missing: computed and stored
    scoped = item_scope(session, scope, policy, tokenizer, progress)
    report = theory_report(
        scoped.units,
        ctx,
        bank_scope(bank),
        adjudications(session, bank),
        sigs=scoped.signatures,
        progress=progress,
    )
    return finish(report, actor)


def check_practical(
    session: Session, bank: Bank, policy: Policy, *, actor: str, tokenizer: Tokenizer | None = None
) -> OverlapReport:
    """Pairwise repetition between the practical sets of one bank."""
    versions, codes = current_set_versions(session, bank)
    units = practical_units(session, versions, codes, policy, tokenizer)
    return finish(
        practical_report(units, context(policy, tokenizer, actor), bank_scope(bank)), actor
    )


def _other_levels(session: Session, bank: Bank) -> list[Bank]:
    return list(
        session.scalars(
            select(Bank)
            .where(Bank.occupation_id == bank.occupation_id, Bank.id != bank.id)
            .order_by(Bank.level)
        )
    )


def check_practical_levels(
    session: Session, bank: Bank, policy: Policy, *, actor: str, tokenizer: Tokenizer | None = None
) -> OverlapReport:
    """This bank's practical tasks against the other levels' tasks of the same occupation."""
    versions, codes = current_set_versions(session, bank)
    units = practical_units(session, versions, codes, policy, tokenizer)
    others: list[Unit] = []
    levels = []
    for other in _other_levels(session, bank):
        o_versions, o_codes = current_set_versions(session, other)
        o_codes = {k: f"L{other.level}:{v}" for k, v in o_codes.items()}
        others += practical_units(session, o_versions, o_codes, policy, tokenizer, real_codes=False)
        levels.append(other.level)
    report = reference_report(
        units,
        others,
        context(policy, tokenizer, actor),
        replace(bank_scope(bank), other_levels=tuple(levels)),
        kind="practical-levels",
        cap_value=float(policy.max_cross_level_practical_share.value),
    )
    return finish(report, actor)


def compare_banks(
    session: Session,
    bank: Bank,
    reference: Bank,
    policy: Policy,
    *,
    actor: str,
    tokenizer: Tokenizer | None = None,
) -> OverlapReport:
    """A bank's items against another bank's (a provincial bank, another institution's)."""
    units = item_units(session, current_item_rows(session, bank), policy, tokenizer)
    ref = item_units(session, current_item_rows(session, reference), policy, tokenizer)
    scope = replace(
        bank_scope(bank), reference=BankReference(reference.occupation.code, reference.level)
    )
    return finish(reference_report(units, ref, context(policy, tokenizer, actor), scope), actor)


def compare_with_file(
    session: Session,
    bank: Bank,
    records: Sequence[ItemRecord],
    source: str,
    policy: Policy,
    *,
    actor: str,
    tokenizer: Tokenizer | None = None,
) -> OverlapReport:
    """A bank's items against items read from a reference file (imported for the comparison only)."""
    units = item_units(session, current_item_rows(session, bank), policy, tokenizer)
    ref = record_units(records, source, tokenizer)
    scope = replace(bank_scope(bank), reference=FileReference(source))
    return finish(reference_report(units, ref, context(policy, tokenizer, actor), scope), actor)


def store_report(
    session: Session,
    bank: Bank | None,
    report: OverlapReport,
    *,
    actor: str,
    body: bytes | None = None,
) -> str:
    """Keep the report (canonical JSON and its hash) and audit it; returns the hash.
    `body` may pass `report_bytes(report)` when the caller has it.

    The body is bound as its UTF-8 bytes (`qbank.utf8_text`), never decoded to a `str`: on a
    million-item bank that `str` and the driver's copies of it were the check's peak memory."""
    body = report_bytes(report) if body is None else body
    sha = sha256_hex(body)
    if session.scalar(select(StoredReport.id).where(StoredReport.sha256 == sha)) is None:
        session.execute(
            insert(StoredReport).values(
                bank_id=bank.id if bank else None,
                scope=report.kind,
                sha256=sha,
                body=utf8_text(body),
                verdict=report.verdict,
                created_by=actor,
            )
        )
        audit.record(
            session,
            actor=actor,
            action="overlap_check",
            entity="bank",
            entity_id=bank.id if bank else "-",
            bank_id=bank.id if bank else None,
            scope=report.kind,
            report=sha,
            rate=report.rate,
            verdict=report.verdict,
        )
    return sha


def sets_sharing_tasks_with_other_levels(
    session: Session, bank: Bank, versions: Sequence[PracticalSetVersion], policy: Policy
) -> set[int]:
    """Ids of `versions` with a task that near-duplicates a task of another level's sets."""
    loaded = list(
        session.scalars(
            select(PracticalSetVersion)
            .where(PracticalSetVersion.id.in_([v.id for v in versions]))
            .options(selectinload(PracticalSetVersion.tasks))
        )
    )
    units = practical_units(
        session,
        loaded,
        {v.set_id: str(v.id) for v in loaded},
        policy,
        None,
        consequence="assemble",
        real_codes=False,
    )
    others: list[Unit] = []
    for other in _other_levels(session, bank):
        o_versions, o_codes = current_set_versions(session, other)
        others += practical_units(
            session, o_versions, o_codes, policy, None, consequence="assemble"
        )
    if not units or not others:
        return set()
    found, _ = cross_duplicates(
        [u.tokens for u in units],
        [u.tokens for u in others],
        policy,
        keys_a=[u.text_key for u in units],
        keys_b=[u.text_key for u in others],
    )
    return {int(units[p.i].group) for p in found}
