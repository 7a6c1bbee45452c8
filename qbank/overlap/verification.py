"""Re-verification of an overlap report: recompute it from what it names, compare each figure.

The versions come from the database, or (for a regulator without it) from the items file or
the practical set contents of a filing package. A report is compared figure by figure on its
canonical JSON, so a changed, deleted or added figure each shows as a mismatch.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from qbank.bank import find_bank
from qbank.canonical import canonical_bytes
from qbank.errors import InvalidInput
from qbank.model import PracticalSet, PracticalSetVersion
from qbank.overlap.adjudication import adjudications
from qbank.overlap.document import (
    BadReport,
    BankReference,
    ItemId,
    ListedTask,
    OverlapReport,
)
from qbank.overlap.report import (
    Adjudications,
    Mark,
    Unit,
    practical_report,
    reference_report,
    theory_report,
)
from qbank.overlap.units import (
    context,
    item_units,
    listed_item_rows,
    practical_units,
    record_units,
    units_from_set_contents,
)
from qbank.records import ItemRecord
from qbank.text.tokens import Tokenizer, default_tokenizer

FIGURES = (
    "scope",
    "policy",
    "tokenizer",
    "minhash",
    "method",
    "threshold",
    "snapshot",
    "reference_snapshot",
    "pairs",
    "adjudicated",
    "adjudicated_counted",
    "clusters",
    "set_pairs",
    "numerator",
    "denominator",
    "rate",
    "cap",
    "verdict",
)
LISTINGS = ("items", "tasks", "reference_items")


@dataclass(frozen=True)
class FigureCheck:
    """One figure of a report: does the claimed value (JSON) match the recomputed one?"""

    figure: str
    ok: bool
    claimed: object
    recomputed: object

    def as_dict(self) -> dict[str, object]:
        return {
            "figure": self.figure,
            "ok": self.ok,
            "claimed": self.claimed,
            "recomputed": self.recomputed,
        }


def compare(claimed: OverlapReport, recomputed: OverlapReport) -> list[FigureCheck]:
    """Per figure: does the claimed report match the recomputation?

    Figures absent from both (e.g. `set_pairs` of a theory report) are skipped; one present in
    only one of them is a mismatch, so a deleted figure is caught too. Claims the report format
    does not know are mismatches as well. The tokenizer is compared on what decides the cuts,
    not on the engine that made them (rjieba and jieba cut alike).
    """
    mine, theirs = claimed.to_json(), recomputed.to_json()
    same_cuts = canonical_bytes(claimed.tokenizer.cuts()) == canonical_bytes(
        recomputed.tokenizer.cuts()
    )
    checks = []
    for figure in FIGURES:
        if figure not in mine and figure not in theirs:
            continue
        a, b = mine.get(figure), theirs.get(figure)
        ok = same_cuts if figure == "tokenizer" else canonical_bytes(a) == canonical_bytes(b)
        checks.append(FigureCheck(figure, ok, a, b))
    for extra, value in claimed.unverified:
        checks.append(FigureCheck(extra, False, value, None))
    for listing in LISTINGS:
        if listing in mine or listing in theirs:
            same = canonical_bytes(mine.get(listing)) == canonical_bytes(theirs.get(listing))
            checks.append(FigureCheck(listing, same, None, None))
    return checks


@dataclass(frozen=True)
class Verification:
    """Outcome of re-deriving a report: one check per figure; valid only if all match."""

    checks: list[FigureCheck]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def failed(self) -> list[str]:
        return [c.figure for c in self.checks if not c.ok]

    def as_dict(self) -> dict[str, object]:
        return {"ok": self.ok, "checks": [c.as_dict() for c in self.checks]}


def parse_report(data: bytes, file: str) -> OverlapReport:
    """A report from its JSON bytes; InvalidInput (BadReport naming the field) otherwise."""
    try:
        parsed = json.loads(data.decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as e:
        raise InvalidInput("overlap.bad_report", file=file, reason=str(e)) from None
    try:
        return OverlapReport.from_json(parsed)
    except BadReport as e:
        raise e.in_file(file) from None


def load_report(path: str) -> OverlapReport:
    """The report in the file at `path` (reads the file)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise InvalidInput("cli.file_missing", path=path) from None
    return parse_report(data, path)


def verify_report(
    session: Session | None,
    report: OverlapReport,
    *,
    records: Sequence[ItemRecord] | None = None,
    source: str = "",
    tokenizer: Tokenizer | None = None,
) -> Verification:
    """Recompute `report` from the versions it names and compare every figure.

    The versions come from the database (`session`) or, for a theory report, from items read
    from a file (`records`, e.g. the bank Excel of a filing package). The policy is the one the
    report embeds; a tokenizer cutting differently shows as a `tokenizer` mismatch, while
    either engine (`Tokenizer(engine=...)`) verifies a report made with the other.
    """
    tok = tokenizer or default_tokenizer()
    policy = report.policy.policy
    ctx = context(policy, tok, report.generated_by or "")
    scope = report.scope
    if report.kind == "theory" and records is not None:
        by_version = {u.version: u for u in record_units(records, source, tok)}
        units = []
        for listed in report.items or ():
            unit = by_version.get(listed.version)
            if unit is not None:
                units.append(
                    Unit(
                        id=listed.id,
                        version=unit.version,
                        tokens=unit.tokens,
                        text_key=unit.text_key,
                        guid=listed.guid,
                        score=unit.score,
                    )
                )
        recomputed = theory_report(units, ctx, scope, _claimed_marks(report))
    elif session is None:
        raise InvalidInput("overlap.verify_needs_source")
    elif report.kind == "theory":
        bank = find_bank(session, scope.occupation, scope.level)
        rows = listed_item_rows(session, report.items or ())
        units = item_units(session, rows, policy, tok, consequence="verify")
        recomputed = theory_report(units, ctx, scope, adjudications(session, bank))
    elif report.kind == "practical":
        bank = find_bank(session, scope.occupation, scope.level)
        versions, codes = _listed_sets(session, bank.id, report.tasks or ())
        recomputed = practical_report(
            practical_units(session, versions, codes, policy, tok, consequence="verify"),
            ctx,
            scope,
        )
    elif report.kind == "reference" and isinstance(scope.reference, BankReference):
        rows = listed_item_rows(session, report.items or ())
        ref_rows = listed_item_rows(session, report.reference_items or ())
        recomputed = reference_report(
            item_units(session, rows, policy, tok, consequence="verify"),
            item_units(session, ref_rows, policy, tok, consequence="verify"),
            ctx,
            scope,
        )
    else:
        raise InvalidInput("overlap.verify_unsupported", kind=report.kind)
    return Verification(compare(report, recomputed))


def verify_practical_from_contents(
    report: OverlapReport,
    sets: Sequence[tuple[str, str, Mapping[str, object]]],
    *,
    tokenizer: Tokenizer | None = None,
) -> Verification:
    """Re-derive a practical report from set contents (a filing package's practical/*.json)."""
    tok = tokenizer or default_tokenizer()
    ctx = context(report.policy.policy, tok, report.generated_by or "")
    recomputed = practical_report(units_from_set_contents(sets, tok), ctx, report.scope)
    return Verification(compare(report, recomputed))


def _claimed_marks(report: OverlapReport) -> Adjudications:
    """The adjudications a theory report lists, by the versions of the items they name."""
    version_of: dict[ItemId, str] = {}
    for listed in reversed(report.items or ()):
        version_of[listed.id] = listed.version  # the first listing of an id wins
    marks = Adjudications()
    for mark in report.adjudicated or ():
        a, b = sorted((version_of.get(mark.pair.a, ""), version_of.get(mark.pair.b, "")))
        marks.marks[(a, b)] = Mark(mark.reviewer, mark.reason)
    return marks


def _listed_sets(
    session: Session, bank_id: int, tasks: Sequence[ListedTask]
) -> tuple[list[PracticalSetVersion], dict[int, str]]:
    """The set versions (of any time) a practical report's tasks name, by code, and the codes."""
    shas = sorted({t.version.split("#")[0] for t in tasks})
    versions = list(
        session.scalars(
            select(PracticalSetVersion)
            .join(PracticalSet, PracticalSet.id == PracticalSetVersion.set_id)
            .where(PracticalSet.bank_id == bank_id, PracticalSetVersion.sha256.in_(shas))
            .options(selectinload(PracticalSetVersion.tasks))
        )
    )
    codes = {
        s.id: s.code
        for s in session.scalars(select(PracticalSet).where(PracticalSet.bank_id == bank_id))
    }
    return sorted(versions, key=lambda v: codes[v.set_id]), codes
