"""鉴定要素细目表: multi-level and flat layouts, forward-fill, code joining, weight checks."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from exporters.tree_xlsx import write_tree_xlsx
from importers.tree import read_tree
from qbank.messages import CATALOGUE
from qbank.records import Importance, Location, Parsed, TreeNode

HERE = Location(file="test")


def rng(code: str, name: str, weight: float | None) -> TreeNode:
    parent = code.rsplit("-", 1)[0] if "-" in code else None
    return TreeNode(code, name, HERE, parent, weight=weight)


def pt(code: str, name: str, importance: str) -> TreeNode:
    return TreeNode(code, name, HERE, code.rsplit("-", 1)[0], importance=Importance(importance))


TREE = [
    rng("A", "基本要求", 25),
    rng("A-A", "职业道德", 5),
    rng("A-A-A", "职业道德基本知识", 5),
    pt("A-A-A-001", "职业道德的基本内涵", "X"),
    pt("A-A-A-002", "电工职业守则", "Y"),
    rng("A-B", "基础知识", 20),
    rng("A-B-A", "电工基础", 12.5),
    pt("A-B-A-001", "欧姆定律", "X"),
    rng("A-B-B", "安全知识", 7.5),
    pt("A-B-B-001", "安全用电常识", "X"),
    pt("A-B-B-002", "触电急救", "Z"),
    rng("B", "相关知识", 75),
    rng("B-A", "工作准备", 75),
    rng("B-A-C", "工具与仪表", 75),
    pt("B-A-C-012", "万用表的使用", "X"),
]


def workbook(path: Path, rows: list[list[object]], title: str = "细目表") -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def without_location(nodes: list[TreeNode]) -> list[TreeNode]:
    return [dataclasses.replace(n, location=HERE) for n in nodes]


def problems(parsed: Parsed[TreeNode]) -> set[tuple[int | None, str, str]]:
    return {(p.location.row, p.field, p.key) for p in parsed.problems}


HEADER_2 = [
    [
        "鉴定范围一级",
        None,
        None,
        "鉴定范围二级",
        None,
        None,
        "鉴定范围三级",
        None,
        None,
        "鉴定点",
        None,
        None,
    ],
    [
        "代码",
        "名称",
        "鉴定比重",
        "代码",
        "名称",
        "鉴定比重",
        "代码",
        "名称",
        "鉴定比重",
        "代码",
        "名称",
        "重要程度",
    ],
]


# --- round trip ----------------------------------------------------------------------------


@pytest.mark.parametrize("title", [None, "电工（四级）理论知识鉴定要素细目表"])
def test_round_trip(tmp_path: Path, title: str | None) -> None:
    path = tmp_path / "tree.xlsx"
    write_tree_xlsx(TREE, path, title=title)
    parsed = read_tree(path)
    assert parsed.problems == []
    assert without_location(parsed.records) == TREE
    first_data = 4 if title else 3
    assert parsed.records[0].location == Location(
        file="tree.xlsx", sheet="鉴定要素细目表", row=first_data
    )
    assert parsed.records[-1].location.row == first_data + 5


def test_export_merges_groups_and_writes_segments(tmp_path: Path) -> None:
    path = tmp_path / "tree.xlsx"
    write_tree_xlsx(TREE, path)
    sheet = load_workbook(path).active
    assert sheet is not None
    assert [c.value for c in sheet[3]] == [
        "A", "基本要求", 25, "A", "职业道德", 5, "A", "职业道德基本知识", 5, "001", "职业道德的基本内涵", "X",
    ]  # fmt: skip
    assert "A3:A7" in {str(r) for r in sheet.merged_cells.ranges}
    assert sheet.freeze_panes == "A3"


def test_variable_depth_and_points_directly_under_a_range(tmp_path: Path) -> None:
    tree = [
        rng("A", "基本要求", 40),
        rng("A-A", "职业道德", 20),
        pt("A-A-001", "爱岗敬业", "X"),
        pt("A-A-002", "诚实守信", "Y"),
        rng("A-A-A", "守则", 20),
        pt("A-A-A-001", "遵纪守法", "X"),
        rng("A-B", "基础知识", 20),  # its level-3 cells are blank: not the previous 守则
        pt("A-B-001", "电工基础", "X"),
        rng("B", "相关知识", 60),
        rng("B-A", "无鉴定点的范围", 60),
    ]
    write_tree_xlsx(tree, tmp_path / "t.xlsx")
    parsed = read_tree(tmp_path / "t.xlsx")
    assert parsed.problems == []
    assert without_location(parsed.records) == tree


# --- layouts -------------------------------------------------------------------------------


def test_unmerged_blanks_three_row_header_title_and_info_rows(tmp_path: Path) -> None:
    """Forward-fill of blanks (no merged cells) under a 鉴定范围 / 一级 / 代码 header.

    The header's last row is repeated once inside the data, as in tables pasted page by page.
    """
    path = workbook(
        tmp_path / "t.xlsx",
        [
            ["电工（三级）理论知识鉴定要素细目表"],
            ["职业名称", "电工", None, "等级", "三级"],
            ["序号", "鉴定范围", None, None, None, None, None, "鉴定点", None, None],
            [None, "一级", None, None, "二级", None, None, None, None, None],
            [
                None,
                "代码",
                "名称",
                "鉴定比重(%)",
                "代码",
                "名称",
                "鉴定比重(%)",
                "代码",
                "名称",
                "重要程度",
            ],
            [1, "A", "基本要求", "25%", "A", "职业道德", "25%", "001", "职业道德内涵", "X"],
            [2, None, None, None, None, None, None, "002", "职业守则", "Y"],
            [3, "B", "相关知识", "75%", "A", "工作准备", "50%", "001", "劳动保护", "X"],
            [
                None,
                "代码",
                "名称",
                "鉴定比重(%)",
                "代码",
                "名称",
                "鉴定比重(%)",
                "代码",
                "名称",
                "重要程度",
            ],
            [4, None, None, None, "B", "设备维护", "25%", 1, "日常保养", "Z"],
            [5, None, None, None, None, None, None, 2.0, "定期检修", "x"],
        ],
    )
    parsed = read_tree(path)
    assert parsed.problems == []
    assert [(n.code, n.parent, n.weight, n.importance, n.location.row) for n in parsed.records] == [
        ("A", None, 25, None, 6),
        ("A-A", "A", 25, None, 6),
        ("A-A-001", "A-A", None, Importance.X, 6),
        ("A-A-002", "A-A", None, Importance.Y, 7),
        ("B", None, 75, None, 8),
        ("B-A", "B", 50, None, 8),
        ("B-A-001", "B-A", None, Importance.X, 8),
        ("B-B", "B", 25, None, 10),
        ("B-B-001", "B-B", None, Importance.Z, 10),
        ("B-B-002", "B-B", None, Importance.X, 11),
    ]


def test_joined_codes_and_repeated_group_cells(tmp_path: Path) -> None:
    """Codes already joined (`BAC012`, `B-A`) and ranges repeated on every row both work."""
    header = [
        "一级代码",
        "一级名称",
        "一级比重",
        "二级代码",
        "二级名称",
        "二级比重",
        "鉴定点代码",
        "鉴定点名称",
        "重要程度",
    ]
    path = workbook(
        tmp_path / "t.xlsx",
        [
            header,
            ["A", "基本要求", 30, "A-A", "职业道德", 30, "AA001", "爱岗敬业", "X"],
            ["A", "基本要求", 30, "A-A", "职业道德", 30, "A-A-002", "诚实守信", "Y"],
            ["B", "相关知识", 70, "BA", "工作准备", 70, "b-a-012", "工具", "X"],
            [None, "相关知识", None, "BA", None, None, "13", "仪表", "X"],
        ],
    )
    parsed = read_tree(path)
    assert parsed.problems == []
    assert [(n.code, n.parent) for n in parsed.records] == [
        ("A", None),
        ("A-A", "A"),
        ("A-A-001", "A-A"),
        ("A-A-002", "A-A"),
        ("B", None),
        ("B-A", "B"),
        ("B-A-012", "B-A"),
        ("B-A-013", "B-A"),
    ]


def test_flat_layout_csv_gb18030(tmp_path: Path) -> None:
    path = tmp_path / "flat.csv"
    with open(path, "w", encoding="gb18030", newline="") as handle:
        csv.writer(handle).writerows(
            [
                ["代码", "名称", "鉴定比重", "重要程度"],
                ["A", "基本要求", "20", ""],
                ["A-A", "职业道德", "20", ""],
                ["AA001", "爱岗敬业", "", "X"],
                ["B", "相关知识", "80%", ""],
                ["B-A", "工作准备", "80", ""],
                ["B-A-001", "劳动保护", "", "Z"],
            ]
        )
    parsed = read_tree(path, display_name="细目表.csv")
    assert parsed.problems == []
    assert [(n.code, n.parent, n.weight, n.importance) for n in parsed.records] == [
        ("A", None, 20, None),
        ("A-A", "A", 20, None),
        ("A-A-001", "A-A", None, Importance.X),
        ("B", None, 80, None),
        ("B-A", "B", 80, None),
        ("B-A-001", "B-A", None, Importance.Z),
    ]
    assert parsed.records[2].location == Location(file="细目表.csv", row=4)


def test_percent_formatted_weight_cells(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["代码", "名称", "鉴定比重", "重要程度"])
    sheet.append(["A", "基本要求", 0.25])
    sheet.append(["B", "相关知识", 0.75])
    for cell in ("C2", "C3"):
        sheet[cell].number_format = "0%"
    book.save(tmp_path / "p.xlsx")
    parsed = read_tree(tmp_path / "p.xlsx")
    assert parsed.problems == []
    assert [n.weight for n in parsed.records] == [25, 75]


# --- validation ----------------------------------------------------------------------------


def test_weights_that_do_not_sum_are_reported_at_the_parent(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "t.xlsx",
        [
            *HEADER_2,
            [
                "A",
                "基本要求",
                25,
                "A",
                "职业道德",
                5,
                "A",
                "职业道德基本知识",
                5,
                "001",
                "内涵",
                "X",
            ],
            [None, None, None, "B", "基础知识", 15, "A", "电工基础", 10, "001", "欧姆定律", "X"],
            [None, None, None, None, None, None, "B", "安全知识", 6, "001", "安全用电", "X"],
            ["B", "相关知识", 70, "A", "工作准备", 70, "A", "工具", 70, "001", "万用表", "X"],
        ],
    )
    parsed = read_tree(path)
    assert problems(parsed) == {
        (3, "weight", "problem.weights_do_not_sum"),  # A: 5 + 15 ≠ 25
        (4, "weight", "problem.weights_do_not_sum"),  # A-B: 10 + 6 ≠ 15
        (3, "weight", "problem.top_weights_do_not_sum"),  # 25 + 70 ≠ 100
    }
    by_parent = {p.params.get("parent"): p.params for p in parsed.problems}
    assert by_parent["A"] == {"parent": "A", "total": "20", "expected": "25"}
    assert by_parent["A-B"] == {"parent": "A-B", "total": "16", "expected": "15"}
    assert by_parent[None] == {"total": "95", "expected": "100"}


def test_every_problem_with_row_and_field(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "t.xlsx",
        [
            *HEADER_2,
            ["A", "基本要求", 30, "A", "职业道德", 30, "A", "", 30, "001", "内涵", "X"],
            [None, None, None, None, None, None, None, None, None, "001", "重复", "Y"],
            [None, None, None, None, None, None, None, None, None, "002", "守则", "W"],
            [None, None, None, None, None, None, None, None, None, "003", "", "X"],
            [None, None, None, None, None, None, None, None, None, "004", "无重要程度", None],
            ["B", "相关知识", "很多", "1", "工作准备", 70, None, None, None, "005", "x", "X"],
            ["C", "其他", 10, "A", "其他范围", None, "B", "子范围", 10, "A", "字母代码", "X"],
            [None, None, None, "B", "另一范围", 10, None, None, None, None, None, None],
            [None, None, None, None, "缺少代码", 5, None, None, None, None, None, None],
        ],
    )
    parsed = read_tree(path)
    assert problems(parsed) == {
        (3, "name", "problem.missing"),
        (4, "code", "problem.duplicate_code"),
        (5, "importance", "problem.bad_importance"),
        (6, "name", "problem.missing"),
        (7, "importance", "problem.missing"),
        (8, "weight", "problem.bad_weight"),
        (8, "code", "problem.bad_range_code"),
        (9, "code", "problem.bad_knowledge_code"),
        (9, "weight", "problem.missing"),
        (11, "code", "problem.missing"),
    }
    duplicate = next(p for p in parsed.problems if p.key == "problem.duplicate_code")
    assert duplicate.params["code"] == "A-A-A-001"
    assert "第 3 行" in duplicate.params["first"]
    assert str(duplicate).startswith("t.xlsx 工作表“细目表”第 4 行")


def test_orphans_and_duplicates_in_flat_layout(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "f.xlsx",
        [
            ["代码", "名称", "鉴定比重", "重要程度"],
            ["A", "基本要求", 100, None],
            ["A-B-001", "无上级", None, "X"],
            ["A", "又一个 A", 100, None],
            ["A-A-A-A-A-A-A-A", "很深", None, None],
        ],
    )
    parsed = read_tree(path)
    assert problems(parsed) == {
        (3, "code", "problem.orphan_node"),
        (4, "code", "problem.duplicate_code"),
        (5, "code", "problem.orphan_node"),
    }
    assert [n.code for n in parsed.records] == ["A"]


def test_header_not_found_and_unreadable(tmp_path: Path) -> None:
    path = workbook(tmp_path / "n.xlsx", [["鉴定要素细目表"], ["甲", "乙"]])
    (tmp_path / "bad.xlsx").write_bytes(b"PK\x03\x04 truncated")
    assert [(p.field, p.key) for p in read_tree(path).problems] == [
        ("header", "problem.tree_header_not_found")
    ]
    assert [p.key for p in read_tree(tmp_path / "bad.xlsx").problems] == ["problem.unreadable_file"]


# --- robustness ----------------------------------------------------------------------------

_cells = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-1000, 1000),
    st.floats(allow_nan=True, allow_infinity=True, width=32),
    st.text(max_size=8).map(lambda s: ILLEGAL_CHARACTERS_RE.sub("", s)),
    st.sampled_from(
        ["A", "B", "012", "BAC012", "B-A", "X", "Y", "W", "25%", "100", "名称", "-5", "nan"]
    ),
)


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    header=st.sampled_from(
        [
            HEADER_2,
            [["代码", "名称", "鉴定比重", "重要程度"]],
            [["一级代码", "一级名称", "鉴定点代码", "鉴定点名称"]],
        ]
    ),
    rows=st.lists(st.lists(_cells, max_size=12), max_size=8),
)
def test_random_cells_never_raise(
    tmp_path: Path, header: list[list[object]], rows: list[list[object]]
) -> None:
    parsed = read_tree(workbook(tmp_path / "r.xlsx", [*header, *rows]))
    for problem in parsed.problems:
        assert problem.key in CATALOGUE
        assert str(problem)
    for node in parsed.records:
        assert node.code and node.name
        assert (node.importance is not None) == node.is_point
