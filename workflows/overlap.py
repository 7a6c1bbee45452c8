"""Checking content repetition and writing its report files: the report is stored with the
bank, then written as JSON (for `qbank overlap verify`) and as the reviewer's workbook.
`qbank overlap check|compare` and the demo call these."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from qbank.bank import find_bank
from qbank.overlap.checks import (
    check_practical,
    check_practical_levels,
    check_theory,
    compare_banks,
    compare_with_file,
    store_report,
)
from qbank.overlap.document import OverlapReport
from qbank.overlap.report import report_bytes
from qbank.overlap.shown import ShownItem, shown_items
from qbank.policy import Policy
from workflows.types import BankRef, Progress, Transaction

Scope = Literal["theory", "practical", "levels"]


@dataclass(frozen=True)
class OverlapChecked:
    """The stored report and where its files were written (None: not asked for)."""

    report: OverlapReport
    json_path: Path | None
    xlsx_path: Path | None

    @property
    def passed(self) -> bool:
        return self.report.verdict == "pass"


def check_overlap(
    transaction: Transaction,
    bank: BankRef,
    scope: Scope,
    policy: Policy,
    *,
    actor: str,
    out: Path | None = None,
    xlsx: Path | None = None,
    progress: Progress | None = None,
) -> OverlapChecked:
    """Check one scope of `bank` (`theory` within the bank, `practical` between its sets,
    `levels` against the other levels), store the report and write the files asked for.

    `progress` follows a theory check's stages: `tokenise` (texts read or tokenised),
    `signatures`, `candidates` (LSH bands), `verify` (candidate pairs). Side effects: the
    report and an audit event in the database; then `out` and `xlsx` (replaced if present).
    """
    with transaction() as session:
        target = find_bank(session, bank.occupation, bank.level)
        if scope == "theory":
            report = check_theory(session, target, policy, actor=actor, progress=progress)
        elif scope == "practical":
            report = check_practical(session, target, policy, actor=actor)
        else:
            report = check_practical_levels(session, target, policy, actor=actor)
        body = report_bytes(report)
        store_report(session, target, report, actor=actor, body=body)
        shown = shown_items(session, report) if xlsx is not None else {}
    return _write(report, body, shown, out, xlsx)


def compare_overlap(
    transaction: Transaction,
    bank: BankRef,
    reference: BankRef | Path,
    policy: Policy,
    *,
    actor: str,
    out: Path | None = None,
    xlsx: Path | None = None,
) -> OverlapChecked:
    """Compare `bank` with a reference bank or a reference items file (read, never stored),
    store the report and write the files asked for.

    Raises ImportRejected when the reference file has problems.
    """
    from importers.dispatch import read_items_or_reject

    records = read_items_or_reject(reference) if isinstance(reference, Path) else None
    with transaction() as session:
        target = find_bank(session, bank.occupation, bank.level)
        if isinstance(reference, BankRef):
            other = find_bank(session, reference.occupation, reference.level)
            report = compare_banks(session, target, other, policy, actor=actor)
        else:
            report = compare_with_file(
                session, target, records or [], reference.name, policy, actor=actor
            )
        body = report_bytes(report)
        store_report(session, target, report, actor=actor, body=body)
        shown = shown_items(session, report, records=records) if xlsx is not None else {}
    return _write(report, body, shown, out, xlsx)


def _write(
    report: OverlapReport,
    body: bytes,
    shown: Mapping[int | str, ShownItem],
    out: Path | None,
    xlsx: Path | None,
) -> OverlapChecked:
    """Write the report's canonical JSON (`body`) and its workbook where asked."""
    if out is not None:
        out.write_bytes(body)
    if xlsx is not None:
        from exporters.overlap_xlsx import write_overlap_xlsx

        write_overlap_xlsx(report, shown, xlsx)
    return OverlapChecked(report, out, xlsx)
