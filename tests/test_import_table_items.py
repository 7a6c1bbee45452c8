"""Excel/CSV theory items: both layouts round-trip, header variants, --map, validation."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from exporters.items_xlsx import Style, write_items_csv, write_items_xlsx
from importers.table_items import read_items_table
from qbank.messages import CATALOGUE
from qbank.records import Importance, ItemRecord, ItemType, Location, Parsed

HERE = Location(file="test")


def workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = Workbook()
    assert book.active is not None
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def write_csv(
    path: Path, rows: list[list[object]], *, encoding: str = "utf-8", delimiter: str = ","
) -> Path:
    with open(path, "w", encoding=encoding, newline="") as handle:
        csv.writer(handle, delimiter=delimiter).writerows(rows)
    return path


def without_location(records: list[ItemRecord]) -> list[ItemRecord]:
    return [dataclasses.replace(r, location=HERE) for r in records]


def problems(parsed: Parsed[ItemRecord]) -> set[tuple[str | None, int | None, str, str]]:
    return {(p.location.sheet, p.location.row, p.field, p.key) for p in parsed.problems}


NATIONAL_ITEMS = [
    ItemRecord(
        type=ItemType.JUDGEMENT,
        stem="安全用电是每个电工的基本职责。",
        answer=True,
        location=HERE,
        number="1",
        guid="6f1c2a3e-0001",
        knowledge_code="B-A-C-012",
        knowledge_path=("相关知识", "工作准备", "安全用电"),
        importance=Importance.X,
        difficulty=0.3,
        discrimination=0.25,
        score=1.0,
        explanation="见安全操作规程。",
        source="《电工》第 2 章",
        author="张三",
    ),
    ItemRecord(
        type=ItemType.JUDGEMENT,
        stem="万用表可以在带电状态下测量电阻。",
        answer=False,
        location=HERE,
        number="2",
        knowledge_code="B-A-C-013",
        importance=Importance.Y,
        difficulty=0.5,
    ),
    ItemRecord(
        type=ItemType.SINGLE,
        stem="我国低压供电系统的线电压为（ ）。",
        answer="C",
        location=HERE,
        options={"A": "110 V", "B": "220 V", "C": "380 V", "D": "10 kV"},
        number="3",
        knowledge_path=("基本要求",),
        difficulty=0.65,
        score=1.5,
    ),
    ItemRecord(
        type=ItemType.MULTIPLE,
        stem="下列属于电工常用工具的有（ ）。",
        answer="ABE",
        location=HERE,
        options={"A": "验电笔", "B": "剥线钳", "C": "游标卡尺", "D": "千分尺", "E": "螺丝刀"},
        number="4",
        knowledge_code="A-B-A-001",
        knowledge_path=("基本要求", "基础知识", "工具", "常用工具", "手动工具", "电工工具"),
        importance=Importance.Z,
        score=2.0,
    ),
    ItemRecord(
        type=ItemType.SINGLE,
        stem="=IF（A1>0） 在电子表格中表示（ ）。",
        answer="H",
        location=HERE,
        options=dict(zip("ABCDEFGH", "一二三四五六七八", strict=True)),
        number="5",
    ),
]

APP_ITEMS = [
    ItemRecord(
        type=ItemType.JUDGEMENT,
        stem="触电急救应先使触电者脱离电源。",
        answer=True,
        location=HERE,
        knowledge_path=("第一章 安全用电",),
        difficulty=0.2,
        explanation="脱离电源是第一步。",
    ),
    ItemRecord(
        type=ItemType.JUDGEMENT,
        stem="熔断器可以用铜丝代替。",
        answer=False,
        location=HERE,
    ),
    ItemRecord(
        type=ItemType.SINGLE,
        stem="三相交流电的相位差为（ ）。",
        answer="B",
        location=HERE,
        options={"A": "90°", "B": "120°", "C": "180°", "D": "360°"},
        difficulty=0.5,
    ),
    ItemRecord(
        type=ItemType.MULTIPLE,
        stem="导线连接的基本要求有（ ）。",
        answer="ABCD",
        location=HERE,
        options={"A": "接触紧密", "B": "机械强度足够", "C": "耐腐蚀", "D": "绝缘良好"},
        knowledge_path=("第二章 导线连接",),
        difficulty=0.9,
    ),
]


# --- round trips ---------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["national", "app"])
def test_xlsx_round_trip(tmp_path: Path, style: Style) -> None:
    items = NATIONAL_ITEMS if style == "national" else APP_ITEMS
    path = tmp_path / "bank.xlsx"
    write_items_xlsx(items, path, style=style)
    parsed = read_items_table(path)
    assert parsed.problems == []
    assert without_location(parsed.records) == items
    assert [r.location for r in parsed.records] == [
        Location(file="bank.xlsx", sheet="试题", row=n) for n in range(2, len(items) + 2)
    ]


@pytest.mark.parametrize("style", ["national", "app"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_round_trip(tmp_path: Path, style: Style, encoding: str) -> None:
    items = NATIONAL_ITEMS if style == "national" else APP_ITEMS
    path = tmp_path / "bank.csv"
    if encoding == "utf-8":
        write_items_csv(items, path, style=style)
        data = path.read_bytes()
        assert data.startswith(b"\xef\xbb\xbf")
        path.write_bytes(data[3:])
    else:
        write_items_csv(items, path, style=style, encoding=encoding)
    if encoding == "gb18030":
        with pytest.raises(UnicodeDecodeError):
            path.read_bytes().decode("utf-8")
    parsed = read_items_table(path, display_name="题库.csv")
    assert parsed.problems == []
    assert without_location(parsed.records) == items
    assert parsed.records[0].location == Location(file="题库.csv", row=2)


def test_export_layouts(tmp_path: Path) -> None:
    """Judgements read √/× (national) and 正确/错误 (app); codes sit in 鉴定点; header frozen."""
    from openpyxl import load_workbook

    write_items_xlsx(NATIONAL_ITEMS, tmp_path / "n.xlsx")
    write_items_xlsx(APP_ITEMS, tmp_path / "a.xlsx", style="app")
    national = load_workbook(tmp_path / "n.xlsx").active
    app = load_workbook(tmp_path / "a.xlsx").active
    assert national is not None and app is not None
    header = [c.value for c in national[1]]
    assert header[:5] == ["题号", "试题编号", "题型", "题干", "选项A"]
    assert "选项H" in header and "知识点六级" in header
    rows = {h: national.cell(row=2, column=i + 1).value for i, h in enumerate(header)}
    assert (rows["答案"], rows["鉴定点"], rows["难度"], rows["重要程度"]) == (
        "√",
        "B-A-C-012",
        0.3,
        "X",
    )
    assert national.freeze_panes == "A2"
    app_header = [c.value for c in app[1]]
    assert app_header[:3] == ["题干（必填）", "题型 （必填）", "选项 A"]
    assert app.cell(row=2, column=app_header.index("正确答案（必填）") + 1).value == "正确"
    assert app.cell(row=3, column=app_header.index("正确答案（必填）") + 1).value == "错误"


# --- header variants -----------------------------------------------------------------------


def test_header_variants_title_rows_and_blank_rows(tmp_path: Path) -> None:
    header = [
        None,
        "题干（必填）",
        "题型 （必填）",
        "选项 A",
        "选项\nB",
        "选项C（选填）",
        "选项 D",
        "正确答案(必填)",
        "解析",
        "章节",
        "难度",
    ]
    path = workbook(
        tmp_path / "app.xlsx",
        {
            "Sheet1": [
                ["电工题库导入模板", None, "说明：带（必填）的列不能为空"],
                [],
                header,
                [
                    None,
                    "电流的单位是（ ）。",
                    "单选题",
                    "安培",
                    "伏特",
                    "欧姆",
                    "瓦特",
                    "A",
                    None,
                    "电工基础",
                    "简单",
                ],
                [],
                [None, None, None, None, None, None, None, None],
                [
                    None,
                    "接地线可以缠绕连接。",
                    "判断题",
                    None,
                    None,
                    None,
                    None,
                    "错误",
                    None,
                    None,
                    "一般",
                ],
                [None, "电阻串联时总电阻（ ）。", "单选", "变大", "变小", None, None, "a"],
                header,  # repeated on a second page
                [None, "电阻并联时总电阻变小。", "判断", None, None, None, None, "√"],
            ]
        },
    )
    parsed = read_items_table(path)
    assert parsed.problems == []
    assert [(r.location.sheet, r.location.row) for r in parsed.records] == [
        ("Sheet1", 4),
        ("Sheet1", 7),
        ("Sheet1", 8),
        ("Sheet1", 10),
    ]
    first, second, third, _ = parsed.records
    assert first.options == {"A": "安培", "B": "伏特", "C": "欧姆", "D": "瓦特"}
    assert (first.answer, first.knowledge_path, first.difficulty) == ("A", ("电工基础",), 0.2)
    assert (second.type, second.answer, second.difficulty) == (ItemType.JUDGEMENT, False, 0.5)
    assert (third.options, third.answer) == ({"A": "变大", "B": "变小"}, "A")


def test_numbers_and_booleans_from_cells(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "n.xlsx",
        {
            "题库": [
                [
                    "序号",
                    "题型",
                    "题干",
                    "答案",
                    "分数",
                    "难度",
                    "知识点一级",
                    "知识点二级",
                    "知识点三级",
                ],
                [
                    1.0,
                    "判断",
                    "电压的单位是伏特。",
                    True,
                    2.0,
                    3,
                    "基础知识",
                    "电工基础",
                    "A-B-A-001",
                ],
                [
                    2.0,
                    "判断",
                    "电流的单位是瓦特。",
                    False,
                    0.5,
                    0.7,
                    "基础知识",
                    "B-A-C-012 安全用电",
                ],
                [3.0, "单选", "1+1=（ ）。", 1, None, None],
            ]
        },
    )
    parsed = read_items_table(path)
    assert problems(parsed) == {
        ("题库", 4, "options", "problem.too_few_options"),
        ("题库", 4, "answer", "problem.unparseable_answer"),
    }
    first, second = parsed.records
    assert (first.number, first.answer, first.score, first.difficulty) == ("1", True, 2.0, 0.5)
    assert (first.knowledge_code, first.knowledge_path) == ("A-B-A-001", ("基础知识", "电工基础"))
    assert (second.number, second.answer, second.score) == ("2", False, 0.5)
    assert (second.knowledge_code, second.knowledge_path) == ("B-A-C-012", ("基础知识", "安全用电"))


def test_knowledge_point_column_code_or_name(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "k.csv",
        [
            ["题型", "题干", "答案", "鉴定点", "鉴定点代码"],
            ["判断", "甲。", "对", "BAC012", None],
            ["判断", "乙。", "对", "安全用电", None],
            ["判断", "丙。", "对", "安全用电", "b.a.c.13"],
        ],
    )
    records = read_items_table(path).records
    assert [(r.knowledge_code, r.knowledge_path) for r in records] == [
        ("B-A-C-012", ()),
        (None, ("安全用电",)),
        ("B-A-C-013", ("安全用电",)),
    ]


def test_percent_formatted_difficulty_and_letter_judgement(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["题型", "题干", "选项A", "选项B", "答案", "难度"])
    sheet.append(["判断题", "绝缘手套应定期试验。", "正确", "错误", "A", 0.65])
    sheet["F2"].number_format = "0%"
    book.save(tmp_path / "p.xlsx")
    (record,) = read_items_table(tmp_path / "p.xlsx").records
    assert (record.answer, record.options, record.difficulty) == (True, {}, 0.65)


@pytest.mark.parametrize("delimiter", ["\t", ";"])
def test_csv_delimiters(tmp_path: Path, delimiter: str) -> None:
    path = write_csv(
        tmp_path / "d.csv",
        [
            ["题型", "题干", "选项A", "选项B", "选项C", "答案"],
            ["多选", "下列说法正确的有（ ）,请选择。", "甲", "乙", "丙", "A,C"],
        ],
        delimiter=delimiter,
    )
    parsed = read_items_table(path)
    assert parsed.problems == []
    assert (parsed.records[0].answer, parsed.records[0].stem) == (
        "AC",
        "下列说法正确的有（ ），请选择。",
    )


def test_excel_unicode_text_utf16_tab_separated(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "u.csv",
        [["题型", "题干", "答案"], ["判断", "验电笔可用于区分相线和零线。", "√"]],
        encoding="utf-16",
        delimiter="\t",
    )
    parsed = read_items_table(path)
    assert parsed.problems == []
    assert parsed.records[0].stem == "验电笔可用于区分相线和零线。"


def test_csv_rows_are_record_numbers(tmp_path: Path) -> None:
    """A quoted stem spanning lines is one row, as Excel shows the file."""
    path = write_csv(
        tmp_path / "r.csv",
        [
            ["试题导出"],
            ["题型", "题干", "答案"],
            ["判断", "第一行\n第二行。", "对"],
            ["判断", "", "对"],
        ],
        encoding="gb18030",
    )
    parsed = read_items_table(path)
    assert problems(parsed) == {(None, 4, "stem", "problem.missing")}
    assert parsed.records[0].location == Location(file="r.csv", row=3)


# --- mapping -------------------------------------------------------------------------------


def test_mapping_reads_other_layouts(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "m.xlsx",
        {
            "Q": [
                ["Kind", "Question text", "Opt 1", "Opt 2", "Key", "Topic", "题型"],
                ["single", "电阻的单位是（ ）。", "欧姆", "安培", "A", "电工基础", "多选"],
            ]
        },
    )
    mapping = {
        "Kind": "type",
        "Question  text": "stem",
        "Opt1": "option_a",
        "Opt 2": "option_b",
        "Key": "answer",
        "Topic": "knowledge_1",
    }
    parsed = read_items_table(path, mapping=mapping)
    assert parsed.problems == []
    (record,) = parsed.records
    assert (record.type, record.stem, record.answer) == (
        ItemType.SINGLE,
        "电阻的单位是（ ）。",
        "A",
    )
    assert (record.options, record.knowledge_path) == ({"A": "欧姆", "B": "安培"}, ("电工基础",))


def test_mapping_problems(tmp_path: Path) -> None:
    path = workbook(tmp_path / "m.xlsx", {"S": [["题型", "题干", "答案"], ["判断", "甲。", "对"]]})
    parsed = read_items_table(path, mapping={"难度等级": "difficulty", "题干": "question"})
    assert [(p.location, p.field, p.key) for p in parsed.problems] == [
        (Location(file="m.xlsx"), "header", "problem.unknown_map_field"),
        (Location(file="m.xlsx"), "header", "problem.unknown_map_column"),
    ]
    assert parsed.problems[0].params["name"] == "question"
    assert parsed.problems[1].params == {"column": "难度等级"}
    assert len(parsed.records) == 1


# --- sheets --------------------------------------------------------------------------------


def test_type_from_sheet_names_and_sheets_without_header(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "s.xlsx",
        {
            "说明": [["本文件共三个工作表，按题型分列。"]],
            "判断题": [
                ["序号", "题干", "答案"],
                [1, "电流表应串联在电路中。", "√"],
                [2, "电压表应串联在电路中。", "×"],
            ],
            "空表": [],
            "单选题": [
                ["序号", "题干", "选项A", "选项B", "答案"],
                [1, "电流的单位是（ ）。", "安培", "伏特", "A"],
            ],
            "多选题": [
                ["序号", "题干", "选项A", "选项B", "选项C", "答案"],
                [1, "属于导体的有（ ）。", "铜", "铝", "橡胶", "AB"],
                [1, "属于绝缘体的有（ ）。", "陶瓷", "铁", "橡胶", "AC"],
            ],
        },
    )
    parsed = read_items_table(path)
    assert [(r.type, r.location.sheet, r.location.row, r.number) for r in parsed.records] == [
        (ItemType.JUDGEMENT, "判断题", 2, "1"),
        (ItemType.JUDGEMENT, "判断题", 3, "2"),
        (ItemType.SINGLE, "单选题", 2, "1"),
        (ItemType.MULTIPLE, "多选题", 2, "1"),
        (ItemType.MULTIPLE, "多选题", 3, "1"),
    ]
    assert problems(parsed) == {("多选题", 3, "number", "problem.duplicate_number")}


def test_no_header_anywhere(tmp_path: Path) -> None:
    path = workbook(tmp_path / "h.xlsx", {"A": [["题目", "类型"], ["x", "y"]], "B": []})
    parsed = read_items_table(path)
    assert [(p.location, p.field, p.key) for p in parsed.problems] == [
        (Location(file="h.xlsx"), "header", "problem.header_not_found")
    ]
    assert "题干" in parsed.problems[0].message


def test_header_without_items(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "e.csv", [["题型", "题干", "答案"], [], ["", "", ""]])
    assert [p.key for p in read_items_table(path).problems] == ["problem.no_items"]


# --- validation ----------------------------------------------------------------------------


def test_every_problem_of_a_file_with_sheet_row_and_field(tmp_path: Path) -> None:
    header = [
        "题号",
        "题型",
        "题干",
        "选项A",
        "选项B",
        "选项C",
        "选项D",
        "答案",
        "难度",
        "重要程度",
        "鉴定点代码",
        "分数",
    ]
    path = workbook(
        tmp_path / "bad.xlsx",
        {
            "题库": [
                ["某职业理论知识题库"],
                header,
                [1, "单选", "", "甲", "乙", "丙", "丁", "A"],
                [2, "单选", "正确的是（ ）。", "甲", "乙", "丙", "丁", "E"],
                [3, "单选", "正确的是（ ）。", "甲", "乙", "丙", "丁", "A", "很难"],
                [4, "多选", "正确的有（ ）。", "甲", "乙", "丙", "丁", "B"],
                [5, "问答", "简述安全规程。", None, None, None, None, "略"],
                [6, "判断", "接地是安全措施。", None, None, None, None, "也许"],
                [7, "判断", "接地是安全措施。", None, None, None, None, "对", None, "W", "12B"],
                [
                    7,
                    "单选",
                    "正确的是（ ）。",
                    "甲",
                    None,
                    "丙",
                    None,
                    "A",
                    None,
                    None,
                    None,
                    "两分",
                ],
                [7, "单选", "正确的是（ ）。", "甲", "乙", "丙", "丁", "D"],
                [7, "单选", "错误的是（ ）。", "甲", "乙", "丙", "丁", "C"],
            ]
        },
    )
    parsed = read_items_table(path)
    assert problems(parsed) == {
        ("题库", 3, "stem", "problem.missing"),
        ("题库", 4, "answer", "problem.answer_not_in_options"),
        ("题库", 5, "difficulty", "problem.bad_difficulty"),
        ("题库", 6, "answer", "problem.multiple_one_answer"),
        ("题库", 7, "type", "problem.unknown_type"),
        ("题库", 8, "answer", "problem.judgement_answer"),
        ("题库", 9, "importance", "problem.bad_importance"),
        ("题库", 9, "knowledge_point", "problem.bad_knowledge_code"),
        ("题库", 10, "options", "problem.option_gap"),
        ("题库", 10, "score", "problem.bad_number"),
        ("题库", 12, "number", "problem.duplicate_number"),
    }
    assert len(parsed.problems) == 11
    assert [r.location.row for r in parsed.records] == [11, 12]
    duplicate = next(p for p in parsed.problems if p.key == "problem.duplicate_number")
    assert "第 11 行" in duplicate.message
    assert str(duplicate).startswith("bad.xlsx 工作表“题库”第 12 行")


def test_duplicate_columns_reported_on_header_row(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "dup.csv", [["题型", "题干", "题目", "答案"], ["判断", "甲。", "乙。", "对"]]
    )
    parsed = read_items_table(path)
    assert problems(parsed) == {(None, 1, "stem", "problem.duplicate_column")}
    assert parsed.problems[0].params == {"column": "题干", "other": "题目"}
    assert parsed.records[0].stem == "甲。"


def test_unreadable_files(tmp_path: Path) -> None:
    (tmp_path / "x.xlsx").write_bytes(b"this is not a workbook")
    (tmp_path / "x.csv").write_bytes(b"\xff\xfe\x00")
    bad_xlsx = read_items_table(tmp_path / "x.xlsx")
    bad_csv = read_items_table(tmp_path / "x.csv")
    assert [(p.field, p.key) for p in bad_xlsx.problems] == [("file", "problem.unreadable_file")]
    assert [(p.field, p.key) for p in bad_csv.problems] == [("file", "problem.unknown_encoding")]
    assert bad_xlsx.problems[0].message.startswith("无法读取文件")


# --- robustness ----------------------------------------------------------------------------

_cells = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=12).map(lambda s: ILLEGAL_CHARACTERS_RE.sub("", s)),
    st.sampled_from(
        ["判断", "单选", "多选题", "√", "×", "AB", "A,C", "X", "难", "B-A-C-012", "0.5", "25%", ""]
    ),
)
_headers = st.lists(
    st.sampled_from(
        [
            "题型",
            "题干（必填）",
            "答案",
            "选项A",
            "选项 B",
            "选项C",
            "难度",
            "重要程度",
            "鉴定点",
            "知识点一级",
            "分数",
            "题号",
            "区分度",
            "Q",
        ]
    ),
    min_size=1,
    max_size=8,
)


def _assert_well_formed(parsed: Parsed[ItemRecord]) -> None:
    for problem in parsed.problems:
        assert problem.key in CATALOGUE
        assert problem.message
        assert str(problem)
    for record in parsed.records:
        assert record.stem and record.location.row is not None


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(header=_headers, rows=st.lists(st.lists(_cells, max_size=9), max_size=6))
def test_random_cells_never_raise(
    tmp_path: Path, header: list[str], rows: list[list[object]]
) -> None:
    path = workbook(tmp_path / "r.xlsx", {"判断题": [header, *rows]})
    _assert_well_formed(read_items_table(path))
    text_rows = [[str(c) if c is not None else "" for c in row] for row in [header, *rows]]
    _assert_well_formed(read_items_table(write_csv(tmp_path / "r.csv", text_rows)))


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=300), suffix=st.sampled_from([".csv", ".xlsx"]))
def test_random_bytes_never_raise(tmp_path: Path, data: bytes, suffix: str) -> None:
    path = tmp_path / f"junk{suffix}"
    path.write_bytes(data)
    parsed = read_items_table(path)
    assert parsed.problems
    _assert_well_formed(parsed)
