"""The bulk-review workbook: written for a reviewer, filled in with openpyxl, read back."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from exporters.review_xlsx import HEADERS, NOTES_SHEET, SHEET, write_review_xlsx
from importers.review_xlsx import parse_decision, read_review_xlsx
from qbank.i18n import set_language
from qbank.items import ItemView

TITLE = "电工（6-31-01-03）四级 理论试题审核表"
COL = {name: i for i, name in enumerate(HEADERS, start=1)}


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def view(item_id: int, item_type: str = "single", **changes: object) -> ItemView:
    fields: dict[str, object] = {
        "id": item_id,
        "guid": f"guid-{item_id}",
        "version": sha(f"item {item_id}"),
        "seq": 1,
        "type": item_type,
        "stem": f"第 {item_id} 题：电流的单位是（ ）。",
        "options": {"B": "伏特", "A": "安培", "C": "欧姆", "D": "瓦特"},
        "answer": "A",
        "knowledge_point": "B-A-C-012",
        "knowledge_path": [],
        "importance": "X",
        "difficulty": 0.5,
        "score": 1.0,
        "explanation": "电流的单位是安培。",
        "source": None,
        "author": "张工",
        "status": "draft",
        "origin": None,
    }
    fields.update(changes)
    return ItemView(**fields)  # type: ignore[arg-type]


ITEMS = [
    view(1, "judgement", options={}, answer=True, stem="安全电压一般为 36 V。", status="approved"),
    view(2),
    view(3, "multiple", answer="ABD", difficulty=0.63, status="rejected"),
    view(4, knowledge_point=None, difficulty=None, explanation=None),
]


@pytest.fixture
def sheet_path(tmp_path: Path) -> Path:
    path = tmp_path / "审核表.xlsx"
    write_review_xlsx(ITEMS, path, title=TITLE)
    return path


def fill(path: Path, rows: dict[int, dict[str, object]], sheet: str = SHEET) -> None:
    """Type values into the sheet as a reviewer would: {excel row: {header: value}}."""
    workbook = load_workbook(path)
    worksheet = workbook[sheet]
    for row, values in rows.items():
        for header, value in values.items():
            worksheet.cell(row=row, column=COL[header]).value = value  # None clears it
    workbook.save(path)


def triples(path: Path) -> set[tuple[int | None, str, str]]:
    parsed = read_review_xlsx(path)
    return {(p.location.row, p.field, p.key) for p in parsed.problems}


# --- the written workbook ------------------------------------------------------------------


def test_written_workbook_layout(sheet_path: Path) -> None:
    workbook = load_workbook(sheet_path)
    assert workbook.sheetnames == [SHEET, NOTES_SHEET]
    ws = workbook[SHEET]
    assert ws["A1"].value == TITLE
    assert [str(r) for r in ws.merged_cells.ranges] == ["A1:M1"]
    assert [c.value for c in ws[2]] == [
        "序号",
        "试题ID",
        "版本",
        "题型",
        "题干",
        "选项",
        "答案",
        "鉴定点",
        "难度",
        "解析",
        "当前状态",
        "审核结论",
        "审核意见",
    ]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=3)]
    assert len(rows) == len(ITEMS)
    first, _, third, fourth = rows
    assert first[:4] == [1, 1, sha("item 1"), "判断题"]
    assert first[5] is None and first[6] == "√" and first[10] == "已通过"
    assert third[3] == "多选题" and third[6] == "ABD" and third[8] == "0.63"
    assert third[5] == "A．安培\nB．伏特\nC．欧姆\nD．瓦特"
    assert third[10] == "未通过" and rows[1][10] == "待审核" and rows[1][8] == "中等"
    assert fourth[7] is None and fourth[8] is None and fourth[9] is None
    assert all(len(r[2]) == 64 for r in rows)
    assert all(r[11] is None and r[12] is None for r in rows)
    assert ws.freeze_panes == "A3"
    assert ws.cell(row=3, column=COL["题干"]).alignment.wrap_text
    assert not ws.protection.sheet
    notes = " ".join(str(c.value) for c in workbook[NOTES_SHEET]["A"])
    for phrase in ("通过", "不通过", "审核意见", "试题ID", "版本", "留空"):
        assert phrase in notes


def test_decision_column_has_a_list_validation(sheet_path: Path) -> None:
    ws = load_workbook(sheet_path)[SHEET]
    validations = ws.data_validations.dataValidation
    assert len(validations) == 1
    validation = validations[0]
    assert validation.type == "list"
    assert validation.formula1 == '"通过,不通过"'
    assert str(validation.sqref) == f"L3:L{2 + len(ITEMS)}"
    assert COL["审核结论"] == 12


def test_empty_bank_still_gives_a_usable_sheet(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    write_review_xlsx([], path, title=TITLE)
    parsed = read_review_xlsx(path)
    assert parsed.ok and parsed.records == []


def test_item_text_that_looks_like_a_formula_stays_text(tmp_path: Path) -> None:
    path = tmp_path / "f.xlsx"
    write_review_xlsx([view(9, stem="=SUM(A1:A2) 表示什么？\x07")], path, title=TITLE)
    cell = load_workbook(path)[SHEET].cell(row=3, column=COL["题干"])
    assert cell.data_type == "s" and cell.value == "=SUM(A1:A2) 表示什么？"


# --- reading decisions back ----------------------------------------------------------------


def test_round_trip(sheet_path: Path) -> None:
    fill(
        sheet_path,
        {
            3: {"审核结论": "通过"},
            4: {"审核结论": "不通过", "审核意见": "选项 B 与 C 表述重复。\n建议改为“千瓦”"},
            6: {"审核结论": "通过", "审核意见": "可用"},
        },
    )
    parsed = read_review_xlsx(sheet_path, display_name="专家返回.xlsx")
    assert parsed.problems == []
    got = [(r.item_id, r.version, r.decision, r.comment) for r in parsed.records]
    assert got == [
        (1, sha("item 1"), "approved", ""),
        (2, sha("item 2"), "rejected", "选项 B 与 C 表述重复。\n建议改为“千瓦”"),
        (4, sha("item 4"), "approved", "可用"),
    ]
    assert [(r.location.file, r.location.sheet, r.location.row) for r in parsed.records] == [
        ("专家返回.xlsx", SHEET, 3),
        ("专家返回.xlsx", SHEET, 4),
        ("专家返回.xlsx", SHEET, 6),
    ]


def test_untouched_sheet_has_no_records_and_no_problems(sheet_path: Path) -> None:
    parsed = read_review_xlsx(sheet_path)
    assert parsed.ok and parsed.records == []


APPROVE_WORDS = [
    "通过",
    "同意",
    "合格",
    "√",
    "是",
    "approve",
    "Approved",
    "PASS",
    " 通过。",
    "（同意）",
]
REJECT_WORDS = ["不通过", "不同意", "不合格", "×", "否", "reject", "REJECTED", "fail", "x"]


@pytest.mark.parametrize(
    ("word", "expected"),
    [(w, "approved") for w in APPROVE_WORDS]
    + [(w, "rejected") for w in REJECT_WORDS]
    + [(w, None) for w in ("待定", "通过吗", "1", "", "TRUE")],
)
def test_parse_decision(word: str, expected: str | None) -> None:
    assert parse_decision(word) == expected


def test_decision_synonyms_in_a_file(tmp_path: Path) -> None:
    words = APPROVE_WORDS + REJECT_WORDS
    items = [view(n) for n in range(1, len(words) + 1)]
    path = tmp_path / "synonyms.xlsx"
    write_review_xlsx(items, path, title=TITLE)
    fill(path, {n + 2: {"审核结论": w, "审核意见": "理由"} for n, w in enumerate(words, start=1)})
    parsed = read_review_xlsx(path)
    assert parsed.ok
    assert [r.decision for r in parsed.records] == ["approved"] * len(APPROVE_WORDS) + [
        "rejected"
    ] * len(REJECT_WORDS)


def test_every_problem_with_its_row_and_field(tmp_path: Path) -> None:
    items = [view(n) for n in range(1, 12)]
    path = tmp_path / "problems.xlsx"
    write_review_xlsx(items, path, title=TITLE)
    fill(
        path,
        {
            3: {"审核结论": "通过"},  # fine
            4: {"审核结论": "待定"},
            5: {"审核结论": "不通过"},
            6: {"审核意见": "题干有错字"},
            7: {"试题ID": None, "审核结论": "通过"},
            8: {"试题ID": "12a", "审核结论": "通过"},
            9: {"试题ID": 3.5, "审核结论": "通过"},
            10: {"版本": sha("item 8")[:12], "审核结论": "通过"},
            11: {"版本": None, "审核结论": "通过"},
            12: {"试题ID": 1, "审核结论": "不通过", "审核意见": "重复"},
            13: {"试题ID": "０", "版本": "xyz", "审核结论": "否", "审核意见": " "},
        },
    )
    parsed = read_review_xlsx(path)
    assert {(p.location.row, p.field, p.key) for p in parsed.problems} == {
        (4, "decision", "review_xlsx.bad_decision"),
        (5, "comment", "review_xlsx.comment_required"),
        (6, "decision", "review_xlsx.comment_without_decision"),
        (7, "id", "problem.missing"),
        (8, "id", "review_xlsx.bad_id"),
        (9, "id", "review_xlsx.bad_id"),
        (10, "version", "review_xlsx.bad_version"),
        (11, "version", "problem.missing"),
        (12, "id", "review_xlsx.duplicate_id"),
        (13, "comment", "review_xlsx.comment_required"),
        (13, "id", "review_xlsx.bad_id"),
        (13, "version", "review_xlsx.bad_version"),
    }
    assert len(parsed.problems) == 12
    assert [r.location.row for r in parsed.records] == [3]
    assert all(p.location.sheet == SHEET for p in parsed.problems)
    assert [p.location.row for p in parsed.problems] == sorted(
        p.location.row or 0 for p in parsed.problems
    )
    duplicate = next(p for p in parsed.problems if p.key == "review_xlsx.duplicate_id")
    assert "第 3 行" in duplicate.message and "1" in duplicate.message
    for lang in ("zh", "en"):  # every problem renders in both languages
        set_language(lang)
        assert all(str(p) for p in parsed.problems)
    set_language("en")
    assert "row 4" in str(parsed.problems[0]) and "待定" in str(parsed.problems[0])


def test_integer_ids_typed_as_text_or_float_are_read(sheet_path: Path) -> None:
    fill(
        sheet_path,
        {
            3: {"试题ID": "１", "审核结论": "通过"},
            4: {"试题ID": 2.0, "审核结论": "通过"},
            5: {"试题ID": " 3 ", "版本": sha("item 3").upper(), "审核结论": "通过"},
        },
    )
    parsed = read_review_xlsx(sheet_path)
    assert parsed.ok
    assert [(r.item_id, r.version) for r in parsed.records] == [
        (1, sha("item 1")),
        (2, sha("item 2")),
        (3, sha("item 3")),
    ]


def test_same_id_on_a_second_sheet_is_a_duplicate(sheet_path: Path) -> None:
    workbook = load_workbook(sheet_path)
    copy = workbook.copy_worksheet(workbook[SHEET])
    copy.title = "审核(2)"
    copy.cell(row=4, column=COL["审核结论"], value="通过")
    workbook[SHEET].cell(row=4, column=COL["审核结论"], value="不通过")
    workbook[SHEET].cell(row=4, column=COL["审核意见"], value="答案有误")
    workbook.save(sheet_path)
    parsed = read_review_xlsx(sheet_path)
    assert [(p.location.sheet, p.location.row, p.field, p.key) for p in parsed.problems] == [
        ("审核(2)", 4, "id", "review_xlsx.duplicate_id")
    ]
    assert [(r.item_id, r.decision) for r in parsed.records] == [(2, "rejected")]


def test_header_found_anywhere_in_the_first_rows_with_odd_spelling(tmp_path: Path) -> None:
    """A hand-made sheet: header on row 5, re-ordered, full-width and broken header cells."""
    workbook = Workbook()
    ws = workbook.active
    assert ws is not None
    ws.title = "Sheet1"
    ws["A1"] = "审核表"
    ws["A3"] = "审核人：李工"
    ws.append([])
    ws.append(["审核意见", "审 核\n结 论（通过/不通过）", "备注", "试题ＩＤ", "版　本"])
    ws.append(["", "同意", "", 7, sha("seven")])
    ws.append(["选项 D 错误", "不同意", "", "8", sha("eight")])
    ws.append([None, None, "审核人备注", 9, sha("nine")])
    path = tmp_path / "hand.xlsx"
    workbook.save(path)
    parsed = read_review_xlsx(path)
    assert parsed.ok
    assert [(r.item_id, r.decision, r.comment, r.location.row) for r in parsed.records] == [
        (7, "approved", "", 6),
        (8, "rejected", "选项 D 错误", 7),
    ]


def test_header_beyond_the_first_ten_rows_is_not_found(tmp_path: Path) -> None:
    workbook = Workbook()
    ws = workbook.active
    assert ws is not None
    for _ in range(10):
        ws.append(["说明"])
    ws.append(["试题ID", "版本", "审核结论", "审核意见"])
    ws.append([1, sha("one"), "通过", ""])
    path = tmp_path / "late.xlsx"
    workbook.save(path)
    parsed = read_review_xlsx(path)
    assert [(p.location, p.field, p.key) for p in parsed.problems] == [
        (parsed.problems[0].location, "header", "review_xlsx.header_not_found")
    ]
    assert parsed.problems[0].location.as_dict() == {"file": "late.xlsx"}
    assert parsed.records == []


def test_missing_version_column_is_a_header_problem(sheet_path: Path) -> None:
    workbook = load_workbook(sheet_path)
    workbook[SHEET].delete_cols(COL["版本"])
    workbook.save(sheet_path)
    assert triples(sheet_path) == {(None, "header", "review_xlsx.header_not_found")}


@pytest.mark.parametrize(
    "content",
    [b"", b"not a workbook at all", b"PK\x03\x04broken zip", b"\xd0\xcf\x11\xe0old xls"],
)
def test_unreadable_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.xlsx"
    path.write_bytes(content)
    parsed = read_review_xlsx(path, display_name="返回.xlsx")
    assert [(p.location.as_dict(), p.field, p.key) for p in parsed.problems] == [
        ({"file": "返回.xlsx"}, "file", "problem.unreadable_file")
    ]


def test_missing_file_is_a_problem(tmp_path: Path) -> None:
    parsed = read_review_xlsx(tmp_path / "nowhere.xlsx")
    assert [(p.field, p.key) for p in parsed.problems] == [("file", "problem.unreadable_file")]


# --- never raising ---------------------------------------------------------------------------

_text = st.text(
    st.characters(blacklist_categories=("Cs", "Cc")).filter(lambda c: c != "="), max_size=70
)
_cell = st.one_of(
    st.none(),
    _text,
    st.sampled_from(["通过", "不通过", "同意", "×", "1", "０", sha("x"), sha("x")[:12]]),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2090, 1, 1)),
)


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(st.tuples(_cell, _cell, _cell, _cell), max_size=6))
def test_random_cells_never_raise(sheet_path: Path, rows: list[tuple[object, ...]]) -> None:
    path = sheet_path.with_name("random.xlsx")
    write_review_xlsx(ITEMS[:1], path, title=TITLE)
    fill(
        path,
        {
            n: dict(zip(("试题ID", "版本", "审核结论", "审核意见"), row, strict=True))
            for n, row in enumerate(rows, start=3)
        },
    )
    parsed = read_review_xlsx(path)
    last_row = 2 + max(1, len(rows))
    for problem in parsed.problems:
        assert problem.location.sheet == SHEET
        assert problem.location.row is not None and 3 <= problem.location.row <= last_row
        assert problem.message
    for record in parsed.records:
        assert record.decision in ("approved", "rejected")
        assert len(record.version) == 64 and record.item_id > 0
        assert record.decision == "approved" or record.comment
    problem_rows = {p.location.row for p in parsed.problems}
    assert not problem_rows & {r.location.row for r in parsed.records}
