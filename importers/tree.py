"""The knowledge-point tree (鉴定要素细目表) from an Excel workbook (.xlsx/.xlsm) or CSV.

Two layouts are read; the header is looked for in the first 20 rows (a title row may come
first) of each sheet, and the first sheet that has one is read.

1. Multi-level (the national form). One column group per level, left to right::

       鉴定范围一级          鉴定范围二级          鉴定范围三级          鉴定点
       代码 名称 鉴定比重    代码 名称 鉴定比重    代码 名称 鉴定比重    代码 名称 重要程度
       B    相关知识 75      A    工作准备 10      C    安全用电 4        012  触电急救 X
                                                                        013  …        Y

   The header may take one row (`一级代码`, `鉴定点名称`, …) or two or three rows with merged
   cells (`鉴定范围` over `一级` over `代码`); merged header cells are spread over their span.
   A range's code, name and weight are written on its group's first row only (merged or just
   left blank): blanks below are filled from above until a higher level starts a new range.
   A row whose deeper range columns are blank hangs its point on the deepest range given, so
   branches may differ in depth. Codes are single segments (`B`, `A`, `C`, `012`) joined
   under the parent, or already joined (`B-A-C-012`, `BAC012`); both may be mixed.
2. Flat: 代码 | 名称 | 鉴定比重 | 重要程度, one node per row with its full code (`B`, `B-A`,
   `BAC012`); the parent is the code without its last segment.

Ranges carry a weight (`25`, `25%`, or a cell formatted as a percentage), points (codes ending
in a number) an importance X/Y/Z. Problems reported, each with its row: missing code or name,
malformed code, bad weight or importance, duplicate code, a node whose parent range is absent,
and sibling weights that do not add up to the parent's (level-1 ranges to 100).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from importers.tables import (
    HEADER_SEARCH_ROWS,
    Cell,
    Sheet,
    cell_text,
    display_name_of,
    norm_header,
    pad,
    read_sheets,
)
from qbank.records import Importance, Location, Parsed, Problem, ProblemList, TreeNode
from qbank.text.nfkc import nfkc
from qbank.text.normalize import (
    canonical_knowledge_code,
    clean_text,
    parse_importance,
    parse_number,
)

TOTAL_WEIGHT = 100.0
WEIGHT_TOLERANCE = 0.01
REQUIRED_LABEL = "代码、名称"

Kind = Literal["code", "name", "weight", "importance"]
POINT = 0
"""Level number of the 鉴定点 column group (range levels are 1, 2, 3, …)."""

_LEVEL_WORDS = r"(?:鉴定范围|范围|鉴定要素|鉴定点)"
_LEVEL_PART = rf"{_LEVEL_WORDS}?(?:[一二三四五六1-6]级?)?{_LEVEL_WORDS}?"
_KIND_WORDS = r"(?:代码|编码|编号|名称|内容|鉴定比重|比重|权重|占比|重要程度|重要性)"
_KIND_CELL = re.compile(rf"^{_LEVEL_PART}{_KIND_WORDS}%?$")
_LEVEL_CELL = re.compile(rf"^{_LEVEL_PART}$")
_OTHER_HEADER_CELLS = frozenset({"序号", "备注", "说明"})
_KINDS: tuple[tuple[Kind, re.Pattern[str]], ...] = (
    ("importance", re.compile("重要")),
    ("weight", re.compile("比重|权重|占比")),
    ("code", re.compile("代码|编码|编号")),
    ("name", re.compile("名称|内容")),
)
_LEVEL_NUMBER = re.compile(r"([一二三四五六1-6])级|(?:鉴定范围|范围)([一二三四五六1-6])")
_CHINESE_DIGITS = {c: i for i, c in enumerate("一二三四五六", start=1)}
_SEGMENT_LETTER = re.compile(r"^[A-Z]$")
_SEGMENT_DIGITS = re.compile(r"^\d{1,3}$")


# --- header --------------------------------------------------------------------------------


def _kind(label: str) -> Kind | None:
    return next((kind for kind, pattern in _KINDS if pattern.search(label)), None)


def _level(label: str) -> int | None:
    if "鉴定点" in label:
        return POINT
    if match := _LEVEL_NUMBER.search(label):
        digit = match.group(1) or match.group(2)
        return _CHINESE_DIGITS.get(digit) or int(digit)
    return None


def _is_kind_cell(cell: Cell) -> bool:
    key = norm_header(cell)
    return bool(key) and bool(_KIND_CELL.match(key))


def _is_upper_cell(cell: Cell) -> bool:
    key = norm_header(cell)
    if not key:
        return True
    return (
        (bool(_LEVEL_CELL.match(key)) and not key.isdigit())
        or _is_kind_cell(cell)
        or key in _OTHER_HEADER_CELLS
    )


def looks_like_header(cells: Sequence[Cell]) -> bool:
    """A header's last row names at least a code and a name column."""
    kinds = {_kind(norm_header(c)) for c in cells if _is_kind_cell(c)}
    return {"code", "name"} <= kinds


def _spread(rows: list[list[str]]) -> list[list[str]]:
    """Fill merged header cells rightwards, within the span of the cell above them."""
    filled: list[list[str]] = []
    for r, row in enumerate(rows):
        out = list(row)
        for c in range(1, len(out)):
            if out[c] or not out[c - 1]:
                continue
            same_parent = r == 0 or filled[r - 1][c] == filled[r - 1][c - 1]
            if same_parent:
                out[c] = out[c - 1]
        filled.append(out)
    return filled


@dataclass
class _Layout:
    """Column of each (level, kind); `flat` when one group holds full codes."""

    columns: dict[int, dict[Kind, int]] = field(default_factory=dict)
    flat: bool = False

    @property
    def range_levels(self) -> list[int]:
        return sorted(level for level in self.columns if level != POINT)


def _layout(header_rows: list[list[Cell]]) -> _Layout | None:
    """Classify columns by level and kind from the header rows (top to bottom)."""
    width = max(len(r) for r in header_rows)
    texts = [[norm_header(c) for c in pad(r, width)] for r in header_rows]
    spread = [*_spread(texts[:-1]), texts[-1]]
    found: list[tuple[int, int | None, Kind]] = []
    for col in range(width):
        label = "".join(row[col] for row in spread)
        own = "".join(row[col] for row in texts)
        kind = _kind(label)
        if kind is None:
            if not (own and _LEVEL_CELL.match(own)):
                continue
            kind = "name"  # a lone 鉴定点 / 一级 column holds names
        found.append((col, _level(label), kind))
    if not found:
        return None
    if all(level is None for _, level, _ in found):
        return _unlabelled_layout(found)
    found = [(c, POINT if lv is None and k == "importance" else lv, k) for c, lv, k in found]
    layout = _Layout()
    previous: int | None = next(level for _, level, _ in found if level is not None)
    for col, level, kind in found:
        level = previous if level is None else level
        previous = level
        assert level is not None
        layout.columns.setdefault(level, {}).setdefault(kind, col)
    if not all("code" in kinds for kinds in layout.columns.values()):
        return None
    return layout


def _unlabelled_layout(found: list[tuple[int, int | None, Kind]]) -> _Layout | None:
    """Groups without level words: one group is the flat layout, several are levels in order."""
    groups: list[dict[Kind, int]] = [{}]
    for col, _, kind in found:
        if kind in groups[-1]:
            groups.append({})
        groups[-1][kind] = col
    if not all("code" in g for g in groups):
        return None
    if len(groups) == 1:
        return _Layout({1: groups[0]}, flat=True)
    columns = {n: g for n, g in enumerate(groups[:-1], start=1)}
    columns[POINT] = groups[-1]
    return _Layout(columns)


def _find_header(sheet: Sheet) -> tuple[int, _Layout] | None:
    """(index of the header's last row in `sheet.rows`, layout), or None."""
    head = sheet.rows[:HEADER_SEARCH_ROWS]
    for bottom, (_, cells) in enumerate(head):
        if not looks_like_header(cells):
            continue
        top = bottom
        while top > 0 and bottom - top < 2 and all(_is_upper_cell(c) for c in head[top - 1][1]):
            top -= 1
        layout = _layout([cells for _, cells in head[top : bottom + 1]])
        if layout is not None:
            return bottom, layout
    return None


# --- nodes ---------------------------------------------------------------------------------


@dataclass
class _Node:
    code: str
    name: str
    location: Location
    weight: float | None = None
    importance: Importance | None = None
    valid: bool = True
    weight_given: bool = False

    @property
    def parent(self) -> str | None:
        return self.code.rsplit("-", 1)[0] if "-" in self.code else None

    @property
    def is_point(self) -> bool:
        return self.code.rsplit("-", 1)[-1].isdigit()


class _Broken:
    """Stands for a range that could not be read, so its children are not misplaced."""


BROKEN = _Broken()
Parent = str | _Broken | None


def _segment_text(value: Cell) -> str:
    return re.sub(r"\s+", "", nfkc(cell_text(value))).upper()


@dataclass
class _Builder:
    display: str
    sheet: Sheet
    nodes: dict[str, _Node] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=ProblemList)

    def problem(self, location: Location, field_name: str, key: str, /, **params: object) -> None:
        self.problems.append(Problem(location, field_name, key, dict(params)))

    def code(self, parent: Parent, value: Cell, location: Location, point: bool) -> Parent:
        """Full canonical code of a cell under `parent`, or BROKEN after reporting why."""
        text = _segment_text(value)
        if not text:
            self.problem(location, "code", "problem.missing")
            return BROKEN
        if isinstance(parent, _Broken):
            return BROKEN
        bad_key = "problem.bad_knowledge_code" if point else "problem.bad_range_code"
        if _SEGMENT_DIGITS.match(text):
            if parent is None:
                self.problem(location, "code", "problem.orphan_node", code=text)
                return BROKEN
            code: str | None = f"{parent}-{int(text):03d}"
        elif _SEGMENT_LETTER.match(text):
            code = f"{parent}-{text}" if parent else text
        else:
            code = canonical_knowledge_code(text)
        if code is None or code.rsplit("-", 1)[-1].isdigit() != point:
            self.problem(location, "code", bad_key, value=clean_text(cell_text(value)))
            return BROKEN
        return code

    def add(
        self,
        code: str,
        name: Cell,
        location: Location,
        *,
        weight: Cell = None,
        importance: Cell = None,
    ) -> None:
        node = _Node(code, clean_text(cell_text(name)), location)
        if code in self.nodes:
            first = self.nodes[code].location.describe()
            self.problem(location, "code", "problem.duplicate_code", code=code, first=first)
            return
        if not node.name:
            self.problem(location, "name", "problem.missing")
            node.valid = False
        if node.is_point:
            text = clean_text(cell_text(importance))
            try:
                node.importance = parse_importance(text)
            except ValueError:
                self.problem(location, "importance", "problem.bad_importance", value=text)
                node.valid = False
            if node.importance is None and node.valid:
                self.problem(location, "importance", "problem.missing")
                node.valid = False
        else:
            text = clean_text(cell_text(weight))
            node.weight_given = bool(text)
            try:
                node.weight = parse_number(text)
            except ValueError:
                node.weight = math.inf
            if node.weight is not None and not 0 <= node.weight <= TOTAL_WEIGHT:
                self.problem(location, "weight", "problem.bad_weight", value=text)
                node.weight = None
                node.valid = False
        self.nodes[code] = node

    def read_flat(self, rows: list[tuple[int, list[Cell]]], kinds: dict[Kind, int]) -> None:
        for number, cells in rows:
            row = pad(cells, max(kinds.values()) + 1)
            values = {kind: row[col] for kind, col in kinds.items()}
            if all(not cell_text(v).strip() for v in values.values()):
                continue
            location = self.sheet.location(self.display, number)
            text = _segment_text(values.get("code"))
            point = bool(text) and text[-1].isdigit()
            code = self.code(None, values.get("code"), location, point)
            if isinstance(code, str):
                self.add(
                    code,
                    values.get("name"),
                    location,
                    weight=values.get("weight"),
                    importance=values.get("importance"),
                )

    def read_levels(self, rows: list[tuple[int, list[Cell]]], layout: _Layout) -> None:
        width = max(c for kinds in layout.columns.values() for c in kinds.values()) + 1
        current: dict[int, Parent] = dict.fromkeys(layout.range_levels)
        names: dict[int, str] = {}
        for number, cells in rows:
            row = pad(cells, width)
            location = self.sheet.location(self.display, number)
            parent: Parent = None
            started = False
            for level in layout.range_levels:
                values = {kind: row[col] for kind, col in layout.columns[level].items()}
                name = clean_text(cell_text(values.get("name")))
                if all(not cell_text(values.get(k)).strip() for k in ("code", "name", "weight")):
                    if started:
                        current[level] = None
                    parent = current[level] if current[level] is not None else parent
                    continue
                if not _segment_text(values.get("code")) and name and name == names.get(level):
                    parent = current[level]  # the group's name repeated on every row
                    continue
                code = self.code(parent, values.get("code"), location, point=False)
                if isinstance(code, str) and code == current[level]:
                    parent = code  # the group's code repeated on every row
                    continue
                started = True
                current[level] = code
                names[level] = name
                if isinstance(code, str):
                    self.add(code, values.get("name"), location, weight=values.get("weight"))
                parent = code
            point = layout.columns.get(POINT, {})
            values = {kind: row[col] for kind, col in point.items()}
            if any(cell_text(v).strip() for v in values.values()):
                code = self.code(parent, values.get("code"), location, point=True)
                if isinstance(code, str):
                    self.add(
                        code, values.get("name"), location, importance=values.get("importance")
                    )

    def check(self) -> None:
        """Whole-tree checks: every parent exists, sibling weights add up to the parent's."""
        children: dict[str | None, list[_Node]] = {}
        for node in self.nodes.values():
            if node.parent is not None and node.parent not in self.nodes:
                self.problem(node.location, "code", "problem.orphan_node", code=node.code)
                node.valid = False
            if not node.is_point:
                children.setdefault(node.parent, []).append(node)
        for parent_code, siblings in children.items():
            self._check_weights(parent_code, siblings)

    def _check_weights(self, parent_code: str | None, siblings: list[_Node]) -> None:
        if not any(s.weight_given for s in siblings):
            return
        for node in siblings:
            if not node.weight_given:
                self.problem(node.location, "weight", "problem.missing")
                node.valid = False
        weights = [s.weight for s in siblings]
        if any(w is None for w in weights):
            return
        total = round(math.fsum(w for w in weights if w is not None), 6)
        if parent_code is None:
            if not math.isclose(total, TOTAL_WEIGHT, abs_tol=WEIGHT_TOLERANCE):
                self.problem(
                    siblings[0].location,
                    "weight",
                    "problem.top_weights_do_not_sum",
                    total=f"{total:g}",
                    expected=f"{TOTAL_WEIGHT:g}",
                )
            return
        parent = self.nodes.get(parent_code)
        if parent is None or parent.weight is None:
            return
        if not math.isclose(total, parent.weight, abs_tol=WEIGHT_TOLERANCE):
            self.problem(
                parent.location,
                "weight",
                "problem.weights_do_not_sum",
                parent=parent_code,
                total=f"{total:g}",
                expected=f"{parent.weight:g}",
            )

    def records(self) -> list[TreeNode]:
        return [
            TreeNode(
                code=n.code,
                name=n.name,
                location=n.location,
                parent=n.parent,
                weight=None if n.is_point else n.weight,
                importance=n.importance,
            )
            for n in self.nodes.values()
            if n.valid
        ]


def read_tree(path: str | Path, *, display_name: str | None = None) -> Parsed[TreeNode]:
    """Read a 鉴定要素细目表; never raises on a bad file (problems say what and where)."""
    path = Path(path)
    display = display_name_of(path, display_name)
    sheets, problems = read_sheets(path, display, looks_like_header)
    parsed: Parsed[TreeNode] = Parsed(problems=problems)
    if problems:
        return parsed
    for sheet in sheets:
        found = _find_header(sheet)
        if found is None:
            continue
        bottom, layout = found
        builder = _Builder(display, sheet)
        rows = [row for row in sheet.rows[bottom + 1 :] if not looks_like_header(row[1])]
        if layout.flat:
            builder.read_flat(rows, layout.columns[1])
        else:
            builder.read_levels(rows, layout)
        builder.check()
        parsed.records = builder.records()
        parsed.problems = builder.problems
        return parsed
    parsed.problems.append(
        Problem(
            Location(file=display),
            "header",
            "problem.tree_header_not_found",
            {"required": REQUIRED_LABEL},
        )
    )
    return parsed
