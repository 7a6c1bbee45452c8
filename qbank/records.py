"""Typed records that importers produce and the engine stores.

Importers turn files into these records plus a list of `Problem`s; they never touch the
database. The engine validates them against the bank (e.g. knowledge-point codes in the
tree), versions and stores them. Nothing here knows a file format.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, Self, TypeVar

from qbank.i18n import language, tr


class ItemType(StrEnum):
    JUDGEMENT = "judgement"  # 判断题
    SINGLE = "single"  # 单项选择题
    MULTIPLE = "multiple"  # 多项选择题


class Importance(StrEnum):
    X = "X"  # core
    Y = "Y"  # general
    Z = "Z"  # auxiliary


@dataclass(frozen=True)
class Location:
    """Where in a source file a record or problem sits, as the user would look for it.

    `row` is the row number Excel shows (header = row 1) or the CSV line's record number;
    `paragraph` is the 1-based paragraph number of a Word document; `table` the 1-based table
    number of a Word document (with `row` inside it), `column` the 1-based column of a Word
    table's cell.
    """

    file: str
    sheet: str | None = None
    row: int | None = None
    paragraph: int | None = None
    table: int | None = None
    column: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}

    def at_row(self, row: int) -> Location:
        """This location with `row` (`dataclasses.replace`, at a quarter of its cost: a
        sheet's reader asks it of every row)."""
        return Location(self.file, self.sheet, row, self.paragraph, self.table, self.column)

    def sort_key(self) -> tuple[str, str, int, int, int]:
        """Reading order within a file, so problems list from top to bottom."""
        return (self.file, self.sheet or "", self.table or 0, self.row or 0, self.paragraph or 0)

    def describe(self) -> str:
        return self._described(self.row, self.paragraph)

    def _described(self, row: object, paragraph: object, lang: str | None = None) -> str:
        """`describe` with `row` and `paragraph` (where set) rendered as given, in `lang`
        (None: the current language)."""
        if self.table is not None and self.row is not None and self.column is not None:
            return tr(
                "loc.table_cell",
                lang=lang,
                file=self.file,
                table=self.table,
                row=row,
                column=self.column,
            )
        if self.table is not None and self.row is not None:
            return tr("loc.table", lang=lang, file=self.file, table=self.table, row=row)
        if self.sheet is not None and self.row is not None:
            return tr("loc.sheet_row", lang=lang, file=self.file, sheet=self.sheet, row=row)
        if self.row is not None:
            return tr("loc.row", lang=lang, file=self.file, row=row)
        if self.paragraph is not None:
            return tr("loc.paragraph", lang=lang, file=self.file, paragraph=paragraph)
        return tr("loc.file", lang=lang, file=self.file)


_ROW_SLOT, _PARAGRAPH_SLOT = "\x00r", "\x00p"  # NUL: in no file name, sheet name or XML text


def describer() -> Callable[[Location], str]:
    """`Location.describe` for the many locations of an import: each kind of place in a file
    (a sheet's rows, a table's cells, paragraphs) is rendered once, its row or paragraph left
    open, and filled in for each location (a catalogue lookup and format per record was most
    of the cost of an import's version origins). In the language current when it is made: a
    command runs in one, and asking it per location (the environment read each time) cost
    as much as the rest."""
    templates: dict[tuple[object, ...], str] = {}
    lang = language()

    def describe(location: Location) -> str:
        row, paragraph = location.row, location.paragraph
        key = (
            location.file,
            location.sheet,
            location.table,
            location.column,
            row is None,
            paragraph is None,
        )
        template = templates.get(key)
        if template is None:
            template = templates[key] = location._described(_ROW_SLOT, _PARAGRAPH_SLOT, lang)
        return template.replace(_ROW_SLOT, str(row)).replace(_PARAGRAPH_SLOT, str(paragraph))

    return describe


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, precise enough to fix without guessing.

    `field` is a record field name (`stem`, `answer`, …, or `file`/`header`); `key` is a
    catalogue key from `qbank.messages`; `params` fill it.
    """

    location: Location
    field: str
    key: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)  # `field` is a name here

    @property
    def message(self) -> str:
        params = dict(self.params)
        params.setdefault("field", tr(f"field.{self.field}"))
        return tr(self.key, **params)

    def as_dict(self) -> dict[str, Any]:
        return {"location": self.location.as_dict(), "field": self.field, "message": self.message}

    def __str__(self) -> str:
        return f"{self.location.describe()}：{self.message}"


Answer = str | bool
"""Canonical answer: upper-case letters in order (`"ABD"`) for choice items, a bool for judgement."""


@dataclass(frozen=True)
class ItemRecord:
    """One theory item as read from a file, already normalised.

    `knowledge_code` is the canonical 鉴定点 code (`B-A-C-012`) when the source names one;
    `knowledge_path` is the path of names as given (知识点一级…六级, or 章节).
    `difficulty` is on the 0–1 scale of `qbank.text.normalize.parse_difficulty`.
    """

    type: ItemType
    stem: str
    answer: Answer
    location: Location
    options: dict[str, str] = field(default_factory=dict)
    number: str | None = None
    guid: str | None = None
    knowledge_code: str | None = None
    knowledge_path: tuple[str, ...] = ()
    importance: Importance | None = None
    difficulty: float | None = None
    discrimination: float | None = None
    score: float | None = None
    explanation: str | None = None
    source: str | None = None
    author: str | None = None


@dataclass(frozen=True)
class TreeNode:
    """A node of the knowledge-point tree (鉴定要素细目表).

    Ranges (鉴定范围) have a `weight` (% of the paper) and no importance; leaves (鉴定点)
    have a 3-digit final code segment and an importance. `code` is canonical (`B-A-C-012`),
    `parent` the parent's canonical code or None for a level-1 range.
    """

    code: str
    name: str
    location: Location
    parent: str | None = None
    weight: float | None = None
    importance: Importance | None = None

    @property
    def is_point(self) -> bool:
        return self.code.rsplit("-", 1)[-1].isdigit()


@dataclass(frozen=True)
class PrepRow:
    """A row of a preparation list (准备通知单): tool, material or equipment."""

    name: str
    spec: str = ""
    quantity: str = ""
    note: str = ""
    category: str = ""  # e.g. 工具 / 材料 / 设备, as the source groups them


@dataclass(frozen=True)
class RubricRow:
    """A row of the 评分记录表."""

    element: str  # 评分要素
    score: float  # 配分
    criteria: str  # 评分标准 (with deductions as written)
    veto: bool = False  # 否决项: failing it zeroes the task


@dataclass(frozen=True)
class PracticalTask:
    """One task of a practical paper (试题) with its requirements and rubric."""

    number: str
    title: str
    requirements: str
    score: float
    time_limit_minutes: int | None = None
    module_code: str | None = None  # 鉴定范围 code of the practical 细目表, when given
    rubric: tuple[RubricRow, ...] = ()


@dataclass(frozen=True)
class PracticalSetRecord:
    """A practical paper set: preparation lists, tasks, rubric (操作技能试卷)."""

    code: str
    title: str
    location: Location
    venue_prep: tuple[PrepRow, ...] = ()
    candidate_prep: tuple[PrepRow, ...] = ()
    tasks: tuple[PracticalTask, ...] = ()
    total_minutes: int | None = None
    author: str | None = None


@dataclass(frozen=True)
class ReviewRow:
    """One row of a filled-in review sheet: the reviewer's conclusion on one item version.

    `decision` is None when the reviewer left the row blank (not decided this time).
    """

    item_id: int
    version: str
    decision: str | None  # "approved" | "rejected" | None
    comment: str
    location: Location


R = TypeVar("R")


PROBLEMS_KEPT = 10_000
"""Problems of one input held in memory; any beyond are only counted (`ProblemList.omitted`)."""


class ProblemList(list[Problem]):
    """Problems of one input, bounded in memory: the first `cap` are kept, the rest counted.

    A hostile file can have a problem in every one of a million rows; the user needs the
    first few hundred and the total (`total`), not gigabytes of messages.
    """

    def __init__(self, problems: Iterable[Problem] = (), cap: int = PROBLEMS_KEPT) -> None:
        super().__init__()
        self.cap = cap
        self.omitted = 0
        self.extend(problems)

    def append(self, problem: Problem) -> None:
        if len(self) < self.cap:
            super().append(problem)
        else:
            self.omitted += 1

    def extend(self, problems: Iterable[Problem]) -> None:
        for problem in problems:
            self.append(problem)
        self.omitted += getattr(problems, "omitted", 0)

    # `+=` on a list goes around `extend`, so it is overridden too. The signature is list's own
    # (typeshed); mypy compares it with list's overloaded `__add__` and finds them at odds.
    def __iadd__(self, problems: Iterable[Problem]) -> Self:  # type: ignore[override, misc]
        self.extend(problems)
        return self

    @property
    def total(self) -> int:
        """Problems found, kept or not."""
        return len(self) + self.omitted

    def sorted_by_location(self) -> ProblemList:
        """The kept problems in reading order, with the same count of omitted ones."""
        ordered = ProblemList(sorted(self, key=lambda p: p.location.sort_key()), self.cap)
        ordered.omitted = self.omitted
        return ordered


def problem_count(problems: Iterable[Problem]) -> int:
    """How many problems were found, counting those a ProblemList did not keep."""
    total = getattr(problems, "total", None)
    return total if isinstance(total, int) else len(list(problems))


@dataclass
class Parsed(Generic[R]):
    """What an importer returns: the records it could read and every problem it found."""

    records: list[R] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=ProblemList)

    @property
    def ok(self) -> bool:
        return not self.problems
