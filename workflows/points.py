"""鉴定点 suggestions to a workbook, and the expert's accepted rows back into the bank.

`suggest_points_to_sheet`: the model's proposals for every item of a bank
(`qbank.point_coding.propose_points`), written as 鉴定点建议.xlsx (`exporters.points_xlsx`)
once they are all computed.

`import_points_sheet`: the workbook read (`importers.points_xlsx`), its bank found, and every
accepted row checked and stored as a new item version (`apply_point_choices`), all or nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from exporters.points_xlsx import write_points_xlsx
from importers.points_xlsx import read_points_xlsx
from qbank.bank import LEVEL_NAMES, find_bank
from qbank.errors import ImportRejected
from qbank.i18n import DOCUMENT_LANGUAGE, tr
from qbank.model import Bank
from qbank.point_coding import PointProposals, PointsSummary, apply_point_choices, propose_points


def suggest_points_to_sheet(
    session: Session, bank: Bank, out: Path, *, random_state: int = 0
) -> PointProposals:
    """Propose points for every item of `bank` and write the workbook to `out`.

    Side effects: creates or overwrites `out` (after every proposal is made); reads the DB.
    """
    proposals = propose_points(session, bank, random_state=random_state)
    level = LEVEL_NAMES.get(bank.level, (str(bank.level), ""))[0]
    title = tr(
        "points.sheet_title",
        lang=DOCUMENT_LANGUAGE,
        name=bank.occupation.name,
        code=bank.occupation.code,
        level=level,
    )
    write_points_xlsx(
        proposals.proposals,
        out,
        title=title,
        occupation=bank.occupation.code,
        level=bank.level,
    )
    return proposals


@dataclass(frozen=True)
class PointsImported:
    """What `import_points_sheet` did: the engine's summary and the rows left unmarked."""

    summary: PointsSummary
    unmarked: int

    def as_dict(self) -> dict[str, Any]:
        return self.summary.as_dict() | {"unmarked": self.unmarked}


def import_points_sheet(
    session: Session, path: Path, *, actor: str, dry_run: bool = False
) -> PointsImported:
    """Store the accepted rows of the workbook at `path` in the bank it names.

    Raises ImportRejected
    (PointsRejected once the bank is known) listing every problem; nothing is written then.

    Side effects: writes item versions and audit events (not when `dry_run`).
    """
    sheet = read_points_xlsx(path)
    if sheet.occupation is None or sheet.level is None:
        raise ImportRejected(path.name, sheet.problems)
    bank = find_bank(session, sheet.occupation, sheet.level)
    summary = apply_point_choices(
        session,
        bank,
        sheet.choices,
        source=path.name,
        actor=actor,
        parse_problems=sheet.problems,
        dry_run=dry_run,
    )
    return PointsImported(summary, sheet.unmarked)
