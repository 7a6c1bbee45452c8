"""The knowledge-point tree (鉴定要素细目表) out as .xlsx, in the national multi-level form.

One column group per range level (代码, 名称, 鉴定比重) and one for the points (代码, 名称,
重要程度), under a two-row header; each row holds one point, and a range's code, name and
weight sit on its group's first row with the cells below merged, as such tables are printed.
Codes are written as single segments (`B`, `A`, `C`, `012`), which `importers.tree` joins.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from qbank.records import TreeNode

_LEVEL_NAMES = "一二三四五六七八九"
_GROUP = 3  # columns per level: code, name, weight (or importance for points)
_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WIDTHS = (8, 28, 10)


@dataclass
class _Span:
    level: int
    first: int
    last: int


def _number(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def _depth(node: TreeNode) -> int:
    return len(node.code.split("-"))


class _Rows:
    """Rows of the table (column index → value) and the range spans to merge."""

    def __init__(self, nodes: list[TreeNode], depth: int) -> None:
        self.depth = depth
        self.codes = {n.code for n in nodes}
        self.children: dict[str | None, list[TreeNode]] = {}
        for node in nodes:
            parent = node.parent if node.parent in self.codes else None
            self.children.setdefault(parent, []).append(node)
        self.rows: list[dict[int, object]] = []
        self.spans: list[_Span] = []
        for root in self.children.get(None, []):
            self.emit(root)

    def segment(self, node: TreeNode) -> str:
        """The last code segment when the parent is on the sheet, else the full code."""
        if node.parent in self.codes:
            return node.code.rsplit("-", 1)[-1]
        return node.code

    def emit(self, node: TreeNode) -> None:
        if node.is_point:
            base = self.depth * _GROUP
            self.rows.append(
                {
                    base: self.segment(node),
                    base + 1: node.name,
                    base + 2: node.importance.value if node.importance else None,
                }
            )
            return
        first = len(self.rows)
        kids = self.children.get(node.code, [])
        # Points before sub-ranges: a reader fills blank range cells from above.
        for kid in [k for k in kids if k.is_point] + [k for k in kids if not k.is_point]:
            self.emit(kid)
        if len(self.rows) == first:
            self.rows.append({})
        level = min(_depth(node), self.depth)
        base = (level - 1) * _GROUP
        self.rows[first].update(
            {base: self.segment(node), base + 1: node.name, base + 2: _number(node.weight)}
        )
        self.spans.append(_Span(level, first, len(self.rows) - 1))


def write_tree_xlsx(
    nodes: Iterable[TreeNode], path: str | Path, *, title: str | None = None
) -> None:
    """Write the tree as a 鉴定要素细目表 workbook, with `title` merged above the header.

    Side effects: creates or overwrites `path`.
    """
    nodes = list(nodes)
    depth = max([1, *(_depth(n) for n in nodes if not n.is_point)])
    table = _Rows(nodes, depth)
    width = (depth + 1) * _GROUP
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "鉴定要素细目表"
    top = 1
    if title:
        sheet.cell(row=1, column=1, value=title).font = Font(bold=True, size=14)
        sheet.cell(row=1, column=1).alignment = Alignment(horizontal="center")
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
        top = 2
    groups = [f"鉴定范围{_LEVEL_NAMES[n]}级" for n in range(depth)] + ["鉴定点"]
    for g, group in enumerate(groups):
        column = g * _GROUP + 1
        sheet.cell(row=top, column=column, value=group)
        sheet.merge_cells(
            start_row=top, start_column=column, end_row=top, end_column=column + _GROUP - 1
        )
        last = "重要程度" if g == depth else "鉴定比重"
        for offset, label in enumerate(("代码", "名称", last)):
            sheet.cell(row=top + 1, column=column + offset, value=label)
    for row in sheet.iter_rows(min_row=top, max_row=top + 1, max_col=width):
        for cell in row:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(horizontal="center", vertical="center")
            cell.border = _BORDER
    first_data = top + 2
    for r, values in enumerate(table.rows):
        for c in range(width):
            cell = sheet.cell(row=first_data + r, column=c + 1, value=values.get(c))
            cell.border = _BORDER
            cell.alignment = Alignment(vertical="center", wrap_text=c % _GROUP == 1)
    for span in table.spans:
        if span.last > span.first:
            base = (span.level - 1) * _GROUP + 1
            for c in range(base, base + _GROUP):
                sheet.merge_cells(
                    start_row=first_data + span.first,
                    start_column=c,
                    end_row=first_data + span.last,
                    end_column=c,
                )
    for c in range(width):
        sheet.column_dimensions[get_column_letter(c + 1)].width = _WIDTHS[c % _GROUP]
    sheet.freeze_panes = sheet.cell(row=first_data, column=1)
    workbook.save(path)
