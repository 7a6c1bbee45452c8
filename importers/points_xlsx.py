"""A filled-in 鉴定点 suggestion workbook (`formats.points_sheet`) back as the expert's choices.

The bank comes from the 说明 sheet (职业编码, 等级 in columns A–B). The header row (试题编号,
版本, 采纳, and 建议1–3 when a row picks a suggestion by number) is looked for in the first 10
rows of every sheet, so re-ordered columns and columns the expert added do not matter. Rows
with a blank 采纳 are not accepted and only counted. Everything that cannot be trusted (an
edited 试题编号 or 版本, a 采纳 that is neither 1–3 nor a point code, a picked suggestion that
is empty, the same item twice) is reported with its sheet and row, all at once; whether the
item and the code exist is the engine's check (`qbank.point_coding.apply_point_choices`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from formats.points_sheet import (
    ACCEPT,
    GUID,
    LEVEL_LABEL,
    OCCUPATION_LABEL,
    SUGGESTIONS,
    VERSION,
    parse_choice,
)
from importers import convert
from importers.tables import Cell, Sheet, cell_text, display_name_of, norm_header, pad, read_sheets
from qbank.errors import InvalidInput
from qbank.point_coding import PointChoice
from qbank.records import Location, Problem, ProblemList
from qbank.text.normalize import clean_text, fold_text

SUFFIXES = (".xlsx", ".xlsm")
HEADER_SEARCH_ROWS = 10
_REQUIRED = {
    norm_header(GUID): "guid",
    norm_header(VERSION): "version",
    norm_header(ACCEPT): "accept",
}
_PICKED = {norm_header(h): n for n, h in enumerate(SUGGESTIONS, start=1)}
_VERSION = re.compile(r"[0-9a-f]{64}")
_SHOWN_CHARS = 40


@dataclass
class PointsSheet:
    """What the workbook says: its bank, the accepted rows, how many rows were left blank,
    and every problem found."""

    occupation: str | None = None
    level: int | None = None
    choices: list[PointChoice] = field(default_factory=list)
    unmarked: int = 0
    problems: list[Problem] = field(default_factory=ProblemList)


def _shown(value: Cell) -> str:
    text = clean_text(cell_text(value))
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 1] + "…"


def _header(sheet: Sheet) -> tuple[int, dict[str, int], dict[int, int]] | None:
    """Index into `sheet.rows` of the header row, the required fields' columns and each
    suggestion number's column; None when the sheet has no such header."""
    for index, (_, cells) in enumerate(sheet.rows[:HEADER_SEARCH_ROWS]):
        columns: dict[str, int] = {}
        picks: dict[int, int] = {}
        for column, value in enumerate(cells):
            key = norm_header(value)
            if key in _REQUIRED:
                columns.setdefault(_REQUIRED[key], column)
            elif key in _PICKED:
                picks.setdefault(_PICKED[key], column)
        if len(columns) == len(_REQUIRED):
            return index, columns, picks
    return None


def _bank(sheet: Sheet, result: PointsSheet) -> None:
    """The bank named in the first rows of the 说明 sheet, when it names one."""
    for _, cells in sheet.rows[:HEADER_SEARCH_ROWS]:
        label, value = pad(cells, 2)[:2]
        key = norm_header(label)
        if key == norm_header(OCCUPATION_LABEL) and clean_text(cell_text(value)):
            result.occupation = clean_text(cell_text(value))
        elif key == norm_header(LEVEL_LABEL):
            text = fold_text(cell_text(value))
            if re.fullmatch(r"\d+", text):
                result.level = int(text)


class _Reader:
    def __init__(self, display: str) -> None:
        self.display = display
        self.result = PointsSheet()
        self.first_seen: dict[str, Location] = {}

    def problem(self, where: Location, field: str, key: str, **params: object) -> None:
        self.result.problems.append(Problem(where, field, key, dict(params)))

    def sheet(
        self, sheet: Sheet, header_index: int, columns: dict[str, int], picks: dict[int, int]
    ) -> None:
        width = max([*columns.values(), *picks.values()]) + 1
        for number, raw in sheet.rows[header_index + 1 :]:
            cells = pad(raw, width)
            self.row(
                sheet.location(self.display, number),
                cells,
                columns,
                picks,
            )

    def row(
        self, where: Location, cells: list[Cell], columns: dict[str, int], picks: dict[int, int]
    ) -> None:
        accept_cell = cells[columns["accept"]]
        if not clean_text(cell_text(accept_cell)):
            if any(clean_text(cell_text(c)) for c in cells):
                self.result.unmarked += 1
            return
        before = len(self.result.problems)

        code: str | None = None
        choice = parse_choice(cell_text(accept_cell))
        if choice is None:
            self.problem(
                where, "knowledge_point", "points_xlsx.bad_choice", value=_shown(accept_cell)
            )
        elif isinstance(choice, int):
            column = picks.get(choice)
            picked = cell_text(cells[column]).split() if column is not None else []
            suggested = parse_choice(picked[0]) if picked else None  # the code comes first
            if isinstance(suggested, str):
                code = suggested
            else:
                self.problem(
                    where, "knowledge_point", "points_xlsx.empty_suggestion", number=choice
                )
        else:
            code = choice

        guid_cell = cells[columns["guid"]]
        guid = clean_text(cell_text(guid_cell))
        if not guid:
            self.problem(where, "guid", "problem.missing")
        elif guid in self.first_seen:
            self.problem(
                where,
                "guid",
                "points_xlsx.duplicate_guid",
                guid=guid,
                first=self.first_seen[guid].describe(),
            )
        else:
            self.first_seen[guid] = where

        version_cell = cells[columns["version"]]
        version = fold_text(cell_text(version_cell))
        if not version:
            self.problem(where, "version", "problem.missing")
        elif not _VERSION.fullmatch(version):
            self.problem(where, "version", "points_xlsx.bad_version", value=_shown(version_cell))

        if len(self.result.problems) == before:
            assert code is not None
            self.result.choices.append(PointChoice(guid, version, code, where))


def read_points_xlsx(path: str | Path, *, display_name: str | None = None) -> PointsSheet:
    """Read the expert's choices from a filled-in suggestion workbook; never raises on bad
    input (every problem is in `problems`, in reading order).

    Raises InvalidInput when `path` is a directory, missing, or not an .xlsx workbook.
    """
    path = Path(path)
    if path.is_dir():
        raise InvalidInput("file.is_directory", path=str(path))
    if path.suffix.lower() not in SUFFIXES:
        raise InvalidInput(
            "cli.unsupported_file", suffix=path.suffix or path.name, expected=" ".join(SUFFIXES)
        )
    if not path.is_file():
        raise InvalidInput("cli.file_missing", path=str(path))
    convert.check_package(path)
    display = display_name_of(path, display_name)
    sheets, problems = read_sheets(path, display)
    if problems:
        return PointsSheet(problems=problems)
    reader = _Reader(display)
    found = False
    for sheet in sheets:
        _bank(sheet, reader.result)
        header = _header(sheet)
        if header is not None:
            found = True
            reader.sheet(sheet, *header)
    where = Location(file=display)
    if not found:
        reader.problem(
            where,
            "header",
            "points_xlsx.header_not_found",
            required="、".join((GUID, VERSION, ACCEPT)),
            rows=HEADER_SEARCH_ROWS,
        )
    if reader.result.occupation is None or reader.result.level is None:
        reader.problem(where, "file", "points_xlsx.bank_missing")
    return reader.result
