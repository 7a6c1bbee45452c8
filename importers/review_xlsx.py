"""A filled-in review workbook (from `exporters.review_xlsx`) back as one ReviewRow per decision.

The header row (试题ID, 版本, 审核结论, optionally 审核意见) is looked for in the first 10 rows of
every sheet, so the title row, a re-ordered or renamed column (`审核结论（通过/不通过）`,
`试题 ID`) and extra columns the reviewer added do not matter. Rows whose 审核结论 and 审核意见
are both blank are not decided this time and are skipped. Decisions are read generously
(同意/合格/√ …) because reviewers type rather than pick from the drop-down; everything else
that cannot be trusted (an id or version that was edited, a rejection without a reason, the
same item twice) is reported with its sheet and row, all at once.
"""

from __future__ import annotations

import re
from pathlib import Path

from importers.tables import Cell, Sheet, cell_text, display_name_of, norm_header, pad, read_sheets
from qbank.records import Location, Parsed, Problem, ReviewRow
from qbank.text.normalize import clean_text, fold_text

HEADER_SEARCH_ROWS = 10
APPROVED, REJECTED = "approved", "rejected"

_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("试题id", "题目id", "id", "itemid", "item_id"),
    "version": ("版本", "版本号", "版本id", "试题版本", "version", "versionsha256", "sha256"),
    "decision": ("审核结论", "审核结果", "审题结论", "结论", "decision"),
    "comment": ("审核意见", "审题意见", "意见", "修改意见", "comment", "comments"),
}
_FIELD_OF = {alias: name for name, aliases in _ALIASES.items() for alias in aliases}
REQUIRED = ("id", "version", "decision")
REQUIRED_LABEL = "试题ID、版本、审核结论"

_DECISIONS: dict[str, str] = {}
for _words, _decision in (
    ("通过 审核通过 同意 合格 √ ✓ ✔ ☑ 是 approve approved pass passed ok yes", APPROVED),
    (
        "不通过 未通过 审核不通过 不同意 不合格 退回 驳回 × ✗ ✘ x ☒ 否 "
        "reject rejected fail failed no",
        REJECTED,
    ),
):
    for _w in _words.split():
        _DECISIONS[_w] = _decision

_VERSION = re.compile(r"[0-9a-f]{64}")
_WHOLE_NUMBER = re.compile(r"\d+(?:\.0+)?")
_DECISION_TRIM = "()（）[]【】<>《》 .。!！,，;；"
_SHOWN_CHARS = 40


def parse_decision(value: Cell) -> str | None:
    """`通过`, `同意`, `√`, `approve` … → "approved"; `不通过`, `×`, `reject` … → "rejected".

    Returns None when the word is not known (a blank cell is the caller's business).
    """
    return _DECISIONS.get(fold_text(cell_text(value)).strip(_DECISION_TRIM))


def _shown(value: Cell) -> str:
    """A cell as quoted in a message: one line, clipped, so a pasted paragraph stays readable."""
    text = clean_text(cell_text(value))
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 1] + "…"


def _comment(value: Cell) -> str:
    """The reviewer's comment, line breaks kept (they separate points), each line cleaned."""
    lines = (clean_text(line) for line in cell_text(value).splitlines())
    return "\n".join(line for line in lines if line)


def _item_id(value: Cell) -> int | None:
    """A positive whole number (`12`, `12.0`, `１２`); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, float):
        return int(value) if value.is_integer() and value > 0 else None
    if not isinstance(value, str):
        return None
    text = fold_text(value)
    if not _WHOLE_NUMBER.fullmatch(text):
        return None
    number = int(text.split(".")[0])
    return number if number > 0 else None


def _version(value: Cell) -> str | None:
    text = fold_text(cell_text(value))
    return text if _VERSION.fullmatch(text) else None


def _header(sheet: Sheet) -> tuple[int, dict[str, int]] | None:
    """Index into `sheet.rows` of the header row and each field's column, or None."""
    for index, (_, cells) in enumerate(sheet.rows[:HEADER_SEARCH_ROWS]):
        columns: dict[str, int] = {}
        for column, value in enumerate(cells):
            name = _FIELD_OF.get(norm_header(value))
            if name is not None:
                columns.setdefault(name, column)
        if all(name in columns for name in REQUIRED):
            return index, columns
    return None


class _Reader:
    def __init__(self, display: str) -> None:
        self.display = display
        self.parsed: Parsed[ReviewRow] = Parsed()
        self.first_seen: dict[int, Location] = {}

    def problem(self, where: Location, field: str, key: str, /, **params: object) -> None:
        self.parsed.problems.append(Problem(where, field, key, dict(params)))

    def sheet(self, sheet: Sheet, header_index: int, columns: dict[str, int]) -> None:
        width = max(columns.values()) + 1
        for number, raw in sheet.rows[header_index + 1 :]:
            cells = pad(raw, width)
            comment_column = columns.get("comment")
            self.row(
                sheet.location(self.display, number),
                cells[columns["id"]],
                cells[columns["version"]],
                cells[columns["decision"]],
                cells[comment_column] if comment_column is not None else None,
            )

    def row(
        self,
        where: Location,
        id_cell: Cell,
        version_cell: Cell,
        decision_cell: Cell,
        comment_cell: Cell,
    ) -> None:
        comment = _comment(comment_cell)
        decision_text = clean_text(cell_text(decision_cell))
        if not decision_text and not comment:
            return  # not decided this time
        before = len(self.parsed.problems)

        decision: str | None = None
        if not decision_text:
            self.problem(where, "decision", "review_xlsx.comment_without_decision")
        else:
            decision = parse_decision(decision_cell)
            if decision is None:
                self.problem(
                    where, "decision", "review_xlsx.bad_decision", value=_shown(decision_cell)
                )
            elif decision == REJECTED and not comment:
                self.problem(where, "comment", "review_xlsx.comment_required")

        item_id = _item_id(id_cell)
        if not clean_text(cell_text(id_cell)):
            self.problem(where, "id", "problem.missing")
        elif item_id is None:
            self.problem(where, "id", "review_xlsx.bad_id", value=_shown(id_cell))
        elif item_id in self.first_seen:
            self.problem(
                where,
                "id",
                "review_xlsx.duplicate_id",
                id=item_id,
                first=self.first_seen[item_id].describe(),
            )
        else:
            self.first_seen[item_id] = where

        version = _version(version_cell)
        if not clean_text(cell_text(version_cell)):
            self.problem(where, "version", "problem.missing")
        elif version is None:
            self.problem(where, "version", "review_xlsx.bad_version", value=_shown(version_cell))

        if len(self.parsed.problems) == before:
            assert item_id is not None and version is not None
            self.parsed.records.append(ReviewRow(item_id, version, decision, comment, where))


def read_review_xlsx(path: str | Path, *, display_name: str | None = None) -> Parsed[ReviewRow]:
    """Read the reviewer's decisions from a filled-in review workbook; never raises on bad input.

    Records are the rows with a readable decision (`decision` "approved" or "rejected"); every
    problem of the file is reported, in reading order.
    """
    path = Path(path)
    display = display_name_of(path, display_name)
    sheets, problems = read_sheets(path, display)
    if problems:
        return Parsed(problems=problems)
    reader = _Reader(display)
    found = False
    for sheet in sheets:
        header = _header(sheet)
        if header is not None:
            found = True
            reader.sheet(sheet, *header)
    if not found:
        reader.problem(
            Location(file=display),
            "header",
            "review_xlsx.header_not_found",
            required=REQUIRED_LABEL,
            rows=HEADER_SEARCH_ROWS,
        )
    return reader.parsed
