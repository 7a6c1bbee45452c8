"""The 鉴定点 suggestion workbook (鉴定点建议.xlsx): what its writer and reader share.

Sheet 鉴定点建议 has a title row, a header row and one row per item: 试题编号 (the item's
guid) and 版本 (the full SHA-256 of the version the suggestions were made for) name it; 建议1–3
hold suggested codes; the expert fills 采纳 with 1, 2 or 3 (that suggestion) or types a code,
and leaves it blank to change nothing. Sheet 说明 starts with the bank (职业编码, 等级 in columns
A–B), then explains how to fill the sheet. `exporters.points_xlsx` writes it;
`importers.points_xlsx` reads it back.
"""

from __future__ import annotations

import re

from qbank.text.normalize import canonical_knowledge_code, fold_text

SHEET = "鉴定点建议"
NOTES_SHEET = "说明"
TITLE_ROW, HEADER_ROW, FIRST_DATA_ROW = 1, 2, 3

GUID, VERSION, ACCEPT = "试题编号", "版本", "采纳"
SUGGESTIONS = ("建议1", "建议2", "建议3")
OCCUPATION_LABEL, LEVEL_LABEL = "职业编码", "等级"

_PICK = re.compile(r"(?:第|建议)*([1-9])(?:条|个)?(?:建议)?")


def parse_choice(text: str) -> int | str | None:
    """What the 采纳 cell says: a suggestion's number (`1`, `建议2`, `第3条`, `１`) as an int,
    a point code (`BAC012`, `B-A-C-012`) in canonical form, or None when it is neither."""
    folded = re.sub(r"\s+", "", fold_text(text))
    pick = _PICK.fullmatch(folded)
    if pick is not None:
        return int(pick.group(1))
    code = canonical_knowledge_code(folded)
    if code is None or not code.rsplit("-", 1)[-1].isdigit():
        return None  # a range (`B-A-C`) is not a point
    return code
