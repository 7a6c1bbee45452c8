"""Practical paper sets: the YAML/JSON form, the Word importer, and the Word exporter read back.

Every file is real: YAML and JSON written as text, Word documents made by python-docx (by
the exporter, or by hand in another centre's variant of the layout).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

import docx
import pytest
import yaml
from docx.document import Document
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exporters.practical_docx import LEVEL_NAMES, write_practical_docx
from importers.practical import read_practical_data
from importers.practical_docx import read_practical_docx
from qbank.errors import InvalidInput
from qbank.i18n import set_language
from qbank.messages import CATALOGUE
from qbank.records import (
    Location,
    Parsed,
    PracticalSetRecord,
    PracticalTask,
    PrepRow,
    RubricRow,
)

ROOT = Path(__file__).resolve().parent.parent

VETO = RubricRow("安全文明生产", 0.0, "发生触电、短路等安全事故，该题记0分", veto=True)
SET = PracticalSetRecord(
    code="DG4-SC-01",
    title="电工（四级）操作技能考核试卷（第1套）",  # 第1套 stays title, code is 试卷编号
    location=Location("-"),
    venue_prep=(
        PrepRow("三相异步电动机", "Y112M-4 4kW", "1台", "", "设备"),
        PrepRow("电气安装网孔板", "600mm×800mm", "1块", "", "设备"),
        PrepRow("交流接触器", "CJX2-1210 线圈电压380V", "2只", "", "材料"),
    ),
    candidate_prep=(PrepRow("万用表", "MF47", "1块", "考生自备"),),
    tasks=(
        PracticalTask(
            number="1",
            title="三相异步电动机正反转控制电路的安装与调试",
            requirements="（1）按电气原理图完成接线。\n（2）经考评员同意后通电试车。",
            score=60.0,
            time_limit_minutes=90,
            module_code="B-A",
            rubric=(
                RubricRow("元件安装", 10.0, "元件布置不合理，扣3分\n元件安装不牢固，每只扣2分"),
                RubricRow("布线", 25.0, "不按电气原理图接线，扣10分"),
                RubricRow("通电试车", 25.0, "第一次试车不成功扣10分"),
                VETO,
            ),
        ),
        PracticalTask(
            number="2",
            title="用兆欧表测量三相异步电动机的绝缘电阻",
            requirements="正确选用兆欧表。\n记录测量结果。",
            score=40.0,
            time_limit_minutes=30,
            rubric=(
                RubricRow("仪表选用", 10.0, "兆欧表选用错误扣10分"),
                RubricRow("测量", 27.5, "接线错误扣15分"),
                RubricRow("结果判断", 2.5, "判断错误扣2.5分"),
            ),
        ),
    ),
    total_minutes=150,
    author="王建国",
)


def content(record: PracticalSetRecord) -> PracticalSetRecord:
    """A record without its location, for comparing what was read with what was written."""
    return dataclasses.replace(record, location=Location("-"))


def only(parsed: Parsed[PracticalSetRecord]) -> PracticalSetRecord:
    assert [str(p) for p in parsed.problems] == []
    assert len(parsed.records) == 1
    return parsed.records[0]


def form(record: PracticalSetRecord) -> dict[str, Any]:
    """The YAML/JSON form of a record, as docs/practical-format.md describes it."""

    def prep(row: PrepRow) -> dict[str, str]:
        return {k: v for k, v in dataclasses.asdict(row).items() if v}

    def task(t: PracticalTask) -> dict[str, Any]:
        out: dict[str, Any] = {
            "number": int(t.number),
            "title": t.title,
            "requirements": t.requirements,
            "score": t.score,
            "rubric": [dataclasses.asdict(r) for r in t.rubric],
        }
        if t.module_code:
            out["module"] = t.module_code
        if t.time_limit_minutes is not None:
            out["time_limit_minutes"] = t.time_limit_minutes
        return out

    out: dict[str, Any] = {"code": record.code, "title": record.title}
    if record.total_minutes is not None:
        out["total_minutes"] = record.total_minutes
    if record.author:
        out["author"] = record.author
    out["venue_prep"] = [prep(r) for r in record.venue_prep]
    out["candidate_prep"] = [prep(r) for r in record.candidate_prep]
    out["tasks"] = [task(t) for t in record.tasks]
    return out


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def found(parsed: Parsed[PracticalSetRecord]) -> set[tuple[int | None, str, str]]:
    return {(p.location.row, p.field, p.key) for p in parsed.problems}


# --- YAML / JSON ------------------------------------------------------------------------------


def test_yaml_and_json_round_trip(tmp_path: Path) -> None:
    data = form(SET)
    from_yaml = only(
        read_practical_data(
            write(tmp_path / "set.yaml", yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
        )
    )
    from_json = only(
        read_practical_data(
            write(tmp_path / "set.json", json.dumps(data, ensure_ascii=False, indent="\t"))
        )
    )
    assert content(from_yaml) == SET
    assert content(from_json) == SET
    assert from_yaml.location == Location("set.yaml", row=1)
    assert from_json.location == Location("set.json", row=1)


def test_several_sets_and_display_name(tmp_path: Path) -> None:
    second = dataclasses.replace(SET, code="DG4-SC-02", author=None)
    text = yaml.safe_dump({"sets": [form(SET), form(second)]}, allow_unicode=True, sort_keys=False)
    parsed = read_practical_data(write(tmp_path / "x.yml", text), display_name="电工.yml")
    assert [content(r) for r in parsed.records] == [SET, second]
    assert parsed.records[1].location.file == "电工.yml"
    assert parsed.records[1].location.row == text.splitlines().index("- code: DG4-SC-02") + 1


def test_documented_example_is_valid(tmp_path: Path) -> None:
    doc = (ROOT / "docs" / "practical-format.md").read_text(encoding="utf-8")
    example = re.search(r"## Full example\s+```yaml\n(.*?)```", doc, re.S)
    assert example is not None
    record = only(read_practical_data(write(tmp_path / "example.yaml", example.group(1))))
    assert record.code == "DG4-SC-01"
    assert sum(t.score for t in record.tasks) == 100
    assert [r.veto for r in record.tasks[0].rubric] == [False, False, False, True]
    assert record.tasks[1].requirements.count("\n") == 2
    assert record.venue_prep[-1].category == "仪表"


def test_friendly_values(tmp_path: Path) -> None:
    text = """\
code: S1
title: 测试卷
total_minutes: 2小时
tasks:
  - number: 一
    title: 接线
    requirements: ["（1）按图接线", "", "（2）通电试车"]
    score: 100分
    time_limit_minutes: 90 min
    rubric:
      - {element: 接线, score: "100", criteria: [错一处扣5分, 不通电扣50分]}
      - {element: 安全, score: 0, criteria: 发生短路该题记0分, veto: 是}
"""
    record = only(read_practical_data(write(tmp_path / "s.yaml", text)))
    task = record.tasks[0]
    assert (record.total_minutes, task.number, task.score, task.time_limit_minutes) == (
        120,
        "1",
        100.0,
        90,
    )
    assert task.requirements == "（1）按图接线\n（2）通电试车"
    assert task.rubric[0].criteria == "错一处扣5分\n不通电扣50分"
    assert task.rubric[1].veto is True


GOOD_TASK = """\
  - number: 1
    title: 接线
    requirements: 按图接线
    score: 100
    rubric:
      - {element: 接线, score: 100, criteria: 错一处扣5分}
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # missing keys: the line of the mapping that lacks them
        ("title: 卷\ntasks:\n" + GOOD_TASK, {(1, "code", "problem.missing")}),
        ("code: S\ntitle: 卷\n", {(1, "tasks", "problem.no_tasks")}),
        (
            "code: S\ntitle: 卷\ntasks:\n  - number: 1\n    title: 接线\n    score: 100\n",
            {(4, "requirements", "problem.missing"), (4, "rubric", "problem.missing")},
        ),
        # wrong types: the line of the key
        ("code: S\ntitle: 卷\ntasks: 接线\n", {(3, "tasks", "problem.expected_list")}),
        ("code: S\ntitle: [卷]\ntasks:\n" + GOOD_TASK, {(2, "title", "problem.expected_text")}),
        (
            "code: S\ntitle: 卷\ntasks:\n" + GOOD_TASK + "      - 安全\n",
            {(10, "rubric", "problem.expected_mapping")},
        ),
        (
            "code: S\ntitle: 卷\ntasks:\n" + GOOD_TASK.replace("扣5分}", "扣5分, veto: 也许}"),
            {(9, "veto", "problem.expected_bool")},
        ),
        ("- code: S\n", {(1, "set", "problem.expected_mapping")}),
        # non-numeric or out-of-range numbers
        (
            "code: S\ntitle: 卷\ntasks:\n" + GOOD_TASK.replace("score: 100\n", "score: 四十\n"),
            {(7, "score", "problem.bad_number")},
        ),
        (
            "code: S\ntitle: 卷\ntasks:\n" + GOOD_TASK.replace("score: 100\n", "score: 0\n"),
            {(7, "score", "problem.not_positive")},
        ),
        (
            "code: S\ntitle: 卷\ntasks:\n"
            + GOOD_TASK.replace("score: 100, criteria", "score: -5, criteria"),
            {(9, "score", "problem.negative")},
        ),
        (
            "code: S\ntitle: 卷\ntotal_minutes: 一小时\ntasks:\n" + GOOD_TASK,
            {(3, "total_minutes", "problem.bad_minutes")},
        ),
        (
            "code: S\ntitle: 卷\ntasks:\n" + GOOD_TASK.replace("number: 1", "number: A1"),
            {(4, "number", "problem.bad_number")},
        ),
        # totals
        (
            "code: S\ntitle: 卷\ntasks:\n" + GOOD_TASK.replace("score: 100", "score: 90"),
            {(1, "score", "problem.set_score_total")},
        ),
        (
            "code: S\ntitle: 卷\ntasks:\n" + GOOD_TASK.replace("score: 100,", "score: 95,"),
            {(8, "rubric", "problem.rubric_score_total")},
        ),
        # duplicates, typos
        (
            "code: S\ntitle: 卷\ntasks:\n" + GOOD_TASK.replace("100", "50") * 2,
            {(10, "number", "problem.duplicate_number")},
        ),
        (
            "code: S\ntitle: 卷\ntasks:\n" + GOOD_TASK.replace("    score: 100", "    scroe: 100"),
            {(7, "task", "problem.unknown_key"), (4, "score", "problem.missing")},
        ),
        (
            "code: S\ncode: T\ntitle: 卷\ntasks:\n" + GOOD_TASK,
            {(2, "set", "problem.duplicate_key")},
        ),
        # syntax and empty files
        ("code: S\ntitle: [卷\ntasks: x\n", {(3, "file", "problem.bad_syntax")}),
        ("", {(None, "set", "problem.missing")}),
        ("sets: []\n", {(1, "set", "problem.missing")}),
    ],
)
def test_yaml_problems_with_lines(tmp_path: Path, text: str, expected: set[object]) -> None:
    parsed = read_practical_data(write(tmp_path / "bad.yaml", text))
    assert found(parsed) == expected
    assert parsed.records == []
    for problem in parsed.problems:
        assert problem.key in CATALOGUE
        assert problem.location.file == "bad.yaml"
        assert str(problem)  # renders without a missing parameter, in both languages
        set_language("en")
        assert str(problem)
        set_language(None)


def test_problem_paths_and_all_problems_at_once(tmp_path: Path) -> None:
    two = {
        "sets": [
            form(SET),
            form(dataclasses.replace(SET, title="第二套")),
        ]
    }
    two["sets"][1]["tasks"][1]["rubric"][2]["score"] = "二点五"
    two["sets"][1]["tasks"][0]["time_limit_minutes"] = 0
    two["sets"][0]["venue_prep"][1]["nmae"] = "网孔板"
    parsed = read_practical_data(
        write(tmp_path / "two.json", json.dumps(two, ensure_ascii=False, indent=2))
    )
    by_path = {p.params["path"]: p.key for p in parsed.problems}
    assert by_path == {
        "sets[0].venue_prep[1].nmae": "problem.unknown_key",
        "sets[1].code": "problem.duplicate_code",
        "sets[1].tasks[1].rubric[2].score": "problem.bad_number",
        "sets[1].tasks[0].time_limit_minutes": "problem.bad_minutes",
    }
    duplicate = next(p for p in parsed.problems if p.key == "problem.duplicate_code")
    assert "two.json 第 3 行" in duplicate.message  # the JSON object of the first DG4-SC-01
    assert parsed.records == []


def test_json_lines_and_syntax(tmp_path: Path) -> None:
    text = '{\n  "code": "S",\n  "title": "卷",\n  "tasks": [\n    {"number": 1, "score": 100}\n  ]\n}\n'
    assert found(read_practical_data(write(tmp_path / "a.json", text))) == {
        (5, "title", "problem.missing"),
        (5, "requirements", "problem.missing"),
        (5, "rubric", "problem.missing"),
    }
    broken = read_practical_data(write(tmp_path / "b.json", '{\n  "code": "S",\n  "title"\n}'))
    assert found(broken) == {(4, "file", "problem.bad_syntax")}


def test_unreadable_files(tmp_path: Path) -> None:
    missing = read_practical_data(tmp_path / "nope.yaml")
    assert found(missing) == {(None, "file", "problem.unreadable_file")}
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\x81\x30\xff\xfe\x00\x00")
    assert read_practical_data(binary).problems and not read_practical_data(binary).records
    gbk = tmp_path / "gbk.yaml"
    gbk.write_bytes(yaml.safe_dump(form(SET), allow_unicode=True).encode("gb18030"))
    assert content(only(read_practical_data(gbk))) == SET


_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
_keys = st.sampled_from(
    ["code", "title", "tasks", "sets", "rubric", "score", "number", "veto", "name", "x"]
) | st.text(max_size=5)
_trees = st.recursive(
    _scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_keys, children, max_size=5),
    max_leaves=25,
)


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tree=_trees)
def test_random_structures_never_raise(tmp_path: Path, tree: object) -> None:
    for name, text in (
        ("r.yaml", yaml.safe_dump(tree, allow_unicode=True)),
        ("r.json", json.dumps(tree, ensure_ascii=False)),
    ):
        parsed = read_practical_data(write(tmp_path / name, text))
        assert parsed.problems or parsed.records


def _leaf_paths(node: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _leaf_paths(v, (*path, k))] or [path]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _leaf_paths(v, (*path, i))] or [path]
    return [path]


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), value=_trees)
def test_mutated_sets_never_raise(tmp_path: Path, data: st.DataObject, value: object) -> None:
    tree = form(SET)
    path = data.draw(st.sampled_from(_leaf_paths(tree)))
    node: Any = tree
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    parsed = read_practical_data(
        write(tmp_path / "m.yaml", yaml.safe_dump(tree, allow_unicode=True))
    )
    assert bool(parsed.problems) != bool(parsed.records)


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=200))
def test_random_text_never_raises(tmp_path: Path, text: str) -> None:
    for name in ("t.yaml", "t.json"):
        path = tmp_path / name
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        parsed = read_practical_data(path)
        assert parsed.problems or parsed.records


# --- Word: exporter and importer --------------------------------------------------------------


def test_docx_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "paper.docx"
    write_practical_docx(SET, path, occupation_name="电工", level=4)
    record = only(read_practical_docx(path))
    assert content(record) == SET
    assert record.location == Location("paper.docx", paragraph=1)


def test_docx_export_layout(tmp_path: Path) -> None:
    path = tmp_path / "paper.docx"
    write_practical_docx(SET, path, occupation_name="电工", level=4)
    document = docx.Document(str(path))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    normal_fonts = document.styles["Normal"].element.rPr.rFonts
    assert (
        normal_fonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia")
        == "宋体"
    )
    assert {t.style.name for t in document.tables} == {"Table Grid"}
    texts = [p.text for p in document.paragraphs]
    assert "职业（工种）：电工　　等级：四级/中级工" in texts
    assert sum(t.startswith("考评员") for t in texts) == 3 * len(SET.tasks)
    assert document.tables[2].rows[4].cells[0].text == "否决项"


def test_docx_round_trip_without_optional_parts(tmp_path: Path) -> None:
    bare = PracticalSetRecord(
        code="7",
        title="焊工操作技能考核",
        location=Location("-"),
        candidate_prep=(PrepRow("焊条", "E4303 φ3.2", "若干", "", "材料"), PrepRow("面罩", "")),
        tasks=(
            PracticalTask(
                "1",
                "板对接平焊",
                "单面焊双面成形。",
                100.0,
                rubric=(RubricRow("外观", 100.0, "咬边每处扣2分"),),
            ),
        ),
    )
    path = tmp_path / "bare.docx"
    write_practical_docx(bare, path, occupation_name="焊工", level=5)
    assert content(only(read_practical_docx(path))) == bare


def test_exporter_rejects_bad_level(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput):
        write_practical_docx(SET, tmp_path / "x.docx", occupation_name="电工", level=6)
    assert set(LEVEL_NAMES) == {1, 2, 3, 4, 5}


def _fill(table: Any, rows: Sequence[Sequence[str]], start: int = 0) -> None:
    for r, row in enumerate(rows, start=start):
        for c, text in enumerate(row):
            table.cell(r, c).text = text


def _merged_row(table: Any, row: int, text: str) -> None:
    cell = table.cell(row, 0).merge(table.cell(row, len(table.columns) - 1))
    cell.text = text


def _variant(path: Path) -> Path:
    """Another centre's layout: spaced headings, 单位 and 数量 columns with group rows, a label
    line before a table, rubric headers in other words with line breaks, a 否决 column, task
    lines with 配分/时间 in brackets, a title row and a merged veto row inside a table."""
    d: Document = docx.Document()
    d.add_paragraph("职业技能等级认定")
    d.add_paragraph("电工（四级）操作技能考核试卷（第2套）")
    d.add_paragraph("注 意 事 项")
    d.add_paragraph("1、考试时间：120分钟。")
    d.add_paragraph("2、请根据试题考核要求，完成考试内容。")
    d.add_paragraph("一、考 场 准 备 通 知 单")
    venue = d.add_table(rows=7, cols=6)
    _fill(venue, [["序号", "名  称", "型号/规格", "单位", "数量", "备注"]])
    venue.cell(1, 0).text = "一、设备"
    _fill(venue, [["1", "交流接触器", "CJX2-1210", "只", "2", ""]], start=2)
    _merged_row(venue, 3, "二、材料")
    _fill(venue, [["2", "塑铜线", "BVR 1.5mm", "", "若干", "红、黑两色"]], start=4)
    _fill(venue, [["3", "按钮", "LA4-3H", "只", "1", ""], ["4", "", "", "", "", ""]], start=5)
    d.add_paragraph("二、考生准备通知单")
    d.add_paragraph("1．仪表")
    candidate = d.add_table(rows=2, cols=4)
    _fill(candidate, [["序\n号", "名称", "规格", "单位/数量"], ["1", "万用表", "MF47", "1块"]])
    d.add_paragraph("三、操作技能考核试题")
    d.add_paragraph(
        "试题一　三相异步电动机Y-△降压起动控制电路的安装与调试（配分60分，考试时间90min）"
    )
    d.add_paragraph("操作要求：")
    d.add_paragraph("(1) 按图安装 Y-△ 降压起动电路；")
    d.add_paragraph("(2) 时间继电器整定为 5 s。")
    d.add_paragraph("试题一评分记录表")
    rubric = d.add_table(rows=5, cols=7)
    _fill(
        rubric,
        [
            ["考核\n内容", "考核要点", "配 分（分）", "评分\n细则", "扣分", "得分", "否决项"],
            ["电路安装", "元件布置", "20", "布置不合理扣5分", "", "", ""],
            ["电路安装", "布线工艺", "30", "不按图接线扣10分\n接点松动每处扣2分", "", "", ""],
            ["通电试车", "一次成功", "10", "试车不成功扣10分", "", "", ""],
            ["安全", "规范操作", "0", "发生触电事故该题记0分", "", "", "√"],
        ],
    )
    d.add_paragraph("考评员1：        考评员2：        考评员3：")
    d.add_paragraph("第2题")
    d.add_paragraph("试题名称：用钳形电流表测量电动机空载电流")
    d.add_paragraph("本题分值：40分")
    d.add_paragraph("考核时间：30分钟")
    d.add_paragraph("考核要求：正确选择量程，读数准确。")
    rubric2 = d.add_table(rows=6, cols=5)
    _merged_row(rubric2, 0, "试题2　用钳形电流表测量电动机空载电流　评分记录表")
    _fill(
        rubric2,
        [
            ["序号", "评分要素", "分值", "评分标准", "得分"],
            ["1", "量程选择", "15", "量程选错扣15分", ""],
            ["2", "读数", "25分", "读数错误扣25分", ""],
        ],
        start=1,
    )
    _merged_row(rubric2, 4, "否决项：损坏仪表，该题记0分")
    _merged_row(rubric2, 5, "合　计")
    d.add_paragraph("考评员（签名）：")
    d.save(str(path))
    return path


def test_docx_hand_made_variant(tmp_path: Path) -> None:
    record = only(read_practical_docx(_variant(tmp_path / "variant.docx")))
    assert (record.code, record.title, record.total_minutes) == (
        "2",
        "电工（四级）操作技能考核试卷（第2套）",
        120,
    )
    assert record.venue_prep == (
        PrepRow("交流接触器", "CJX2-1210", "2只", "", "设备"),
        PrepRow("塑铜线", "BVR 1.5mm", "若干", "红、黑两色", "材料"),
        PrepRow("按钮", "LA4-3H", "1只", "", "材料"),
    )
    assert record.candidate_prep == (PrepRow("万用表", "MF47", "1块", "", "仪表"),)
    first, second = record.tasks
    assert (first.number, first.score, first.time_limit_minutes) == ("1", 60.0, 90)
    assert first.title == "三相异步电动机Y-△降压起动控制电路的安装与调试"
    assert first.requirements == "（1） 按图安装 Y-△ 降压起动电路；\n（2） 时间继电器整定为 5 s。"
    assert first.rubric == (
        RubricRow("电路安装：元件布置", 20.0, "布置不合理扣5分"),
        RubricRow("电路安装：布线工艺", 30.0, "不按图接线扣10分\n接点松动每处扣2分"),
        RubricRow("通电试车：一次成功", 10.0, "试车不成功扣10分"),
        RubricRow("安全：规范操作", 0.0, "发生触电事故该题记0分", veto=True),
    )
    assert (second.number, second.title, second.score, second.time_limit_minutes) == (
        "2",
        "用钳形电流表测量电动机空载电流",
        40.0,
        30,
    )
    assert second.requirements == "正确选择量程，读数准确。"
    assert second.rubric == (
        RubricRow("量程选择", 15.0, "量程选错扣15分"),
        RubricRow("读数", 25.0, "读数错误扣25分"),
        RubricRow("否决项", 0.0, "损坏仪表，该题记0分", veto=True),
    )


def _paper(path: Path, paragraphs: Sequence[str | list[list[str]]]) -> Path:
    d = docx.Document()
    for block in paragraphs:
        if isinstance(block, str):
            d.add_paragraph(block)
        else:
            table = d.add_table(rows=len(block), cols=len(block[0]))
            _fill(table, block)
    d.save(str(path))
    return path


HEAD = ["序号", "评分要素", "配分", "评分标准"]


def docx_problems(
    tmp_path: Path, blocks: Sequence[str | list[list[str]]]
) -> set[tuple[object, ...]]:
    parsed = read_practical_docx(_paper(tmp_path / "p.docx", blocks))
    assert parsed.records == []
    for problem in parsed.problems:
        assert problem.key in CATALOGUE and str(problem)
    return {
        (p.location.paragraph, p.location.table, p.location.row, p.field, p.key)
        for p in parsed.problems
    }


def test_docx_problems_with_locations(tmp_path: Path) -> None:
    blocks: list[str | list[list[str]]] = [
        "电工操作技能考核试卷",
        "试题1：接线（配分60分）",
        "考核要求：按图接线",
        [HEAD, ["1", "接线", "六十", "错一处扣5分"], ["2", "工艺", "10", ""]],
        "试题1：测量（配分30分）",
        "考核要求：测量电阻",
        [HEAD, ["1", "测量", "25", "读数错扣5分"]],
        "试题3：维修",
        "考核要求：排除故障",
        "评分记录表",
        [HEAD, ["1", "维修", "10", "错扣10分"]],
        "试题4 评分记录表",
        [HEAD, ["1", "x", "1", "y"]],
    ]
    assert docx_problems(tmp_path, blocks) == {
        (1, None, None, "code", "problem.missing"),
        (None, 1, 2, "score", "problem.bad_number"),
        (None, 1, 3, "criteria", "problem.missing"),
        (4, None, None, "number", "problem.duplicate_number"),
        (None, 2, 1, "rubric", "problem.rubric_score_total"),
        (6, None, None, "score", "problem.missing"),
        (9, None, None, "rubric", "problem.rubric_unknown_task"),
    }


def test_docx_set_total_and_unassigned_rubric(tmp_path: Path) -> None:
    blocks: list[str | list[list[str]]] = [
        "电工操作技能考核试卷",
        "试卷编号：DG-9",
        "试题1：接线",
        "考核要求：按图接线",
        "配分：90分",
        [HEAD, ["1", "接线", "90", "错一处扣5分"]],
        "评分记录表",
        [HEAD, ["1", "多余", "5", "多余的表"]],
        "考场准备通知单",
        [["甲", "乙"], ["丙", "丁"]],
        "试题2：测量",
        "考核要求：测量",
        "配分：5分",
    ]
    assert docx_problems(tmp_path, blocks) == {
        (1, None, None, "score", "problem.set_score_total"),
        (None, 2, 1, "rubric", "problem.rubric_unassigned"),
        (None, 3, 1, "preparation", "problem.prep_header_not_found"),
        (8, None, None, "rubric", "problem.missing"),
    }


def test_docx_without_tasks_and_corrupt_files(tmp_path: Path) -> None:
    assert docx_problems(tmp_path, ["电工操作技能考核试卷", "试卷编号：A"]) == {
        (None, None, None, "tasks", "problem.no_tasks")
    }
    for name, data in (("zip.docx", b"not a zip"), ("empty.docx", b"")):
        (tmp_path / name).write_bytes(data)
        parsed = read_practical_docx(tmp_path / name, display_name="卷.docx")
        assert [(p.location, p.key) for p in parsed.problems] == [
            (Location("卷.docx"), "problem.unreadable_file")
        ]
    assert read_practical_docx(tmp_path / "missing.docx").problems[0].key == (
        "problem.unreadable_file"
    )


_cell_text = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"))
    | st.sampled_from("\n否决项合计试题1配分评分标准名称"),
    max_size=12,
)


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    prep=st.lists(st.lists(_cell_text, min_size=5, max_size=5), max_size=4),
    rubric=st.lists(st.lists(_cell_text, min_size=5, max_size=5), max_size=4),
    line=_cell_text,
)
def test_random_table_cells_never_raise(
    tmp_path: Path, prep: list[list[str]], rubric: list[list[str]], line: str
) -> None:
    blocks: list[str | list[list[str]]] = [
        "电工（四级）操作技能考核试卷",
        "考场准备通知单",
        [["序号", "名称", "规格", "数量", "备注"], *prep],
        "试题1：接线",
        line,
        "评分记录表",
        [["序号", "评分要素", "配分", "评分标准", "否决"], *rubric],
        [*rubric, ["1", "2", "3", "4", "5"]],
    ]
    parsed = read_practical_docx(_paper(tmp_path / "r.docx", blocks))
    assert bool(parsed.problems) != bool(parsed.records)


# Characters that form no layout keyword, so random text stays content.
_WORDS = "电动机线路安装接元件布置导通测量压流阻容器控制正反转星三角降起开关钮熔断继热板对焊 "
_text = (
    st.text(st.sampled_from(_WORDS + "ABCxyz-"), min_size=1, max_size=10)
    .map(lambda s: re.sub(r"\s+", " ", s).strip())
    .filter(bool)
)
_score_cents = st.integers(min_value=0, max_value=40).map(lambda n: n / 2)


@st.composite
def _records(draw: st.DrawFn) -> PracticalSetRecord:
    def prep_rows() -> tuple[PrepRow, ...]:
        category = st.sampled_from(["", "工具", "材料", "设备"])
        row = st.builds(
            PrepRow, _text, _text | st.just(""), _text | st.just(""), st.just(""), category
        )
        return tuple(draw(st.lists(row, max_size=4)))

    count = draw(st.integers(min_value=1, max_value=3))
    shares = [100 / count] * count
    tasks = []
    for index, share in enumerate(shares, start=1):
        rows = draw(
            st.lists(st.tuples(_text, _score_cents, _text, st.booleans()), min_size=1, max_size=4)
        )
        rubric = [RubricRow(e, s, c, v) for e, s, c, v in rows[:-1]]
        element, _, criteria, veto = rows[-1]
        rubric.append(RubricRow(element, share - sum(r.score for r in rubric), criteria, veto))
        if rubric[-1].score < 0:
            rubric = [RubricRow(element, share, criteria, veto)]
        tasks.append(
            PracticalTask(
                number=str(index),
                title=draw(_text),
                requirements="\n".join(draw(st.lists(_text, min_size=1, max_size=3))),
                score=share,
                time_limit_minutes=draw(st.none() | st.integers(min_value=1, max_value=240)),
                module_code=draw(st.none() | st.sampled_from(["A-B", "B-A"])),
                rubric=tuple(rubric),
            )
        )
    return PracticalSetRecord(
        code=draw(st.from_regex(r"[A-Z]{2}[0-9]-[0-9]{2}", fullmatch=True)),
        title=draw(_text),
        location=Location("-"),
        venue_prep=prep_rows(),
        candidate_prep=prep_rows(),
        tasks=tuple(tasks),
        total_minutes=draw(st.none() | st.integers(min_value=1, max_value=600)),
        author=draw(st.none() | _text),
    )


@pytest.mark.slow
@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(record=_records())
def test_random_records_survive_docx_and_yaml(tmp_path: Path, record: PracticalSetRecord) -> None:
    path = tmp_path / "random.docx"
    write_practical_docx(record, path, occupation_name="电工", level=3)
    minutes = [t.time_limit_minutes for t in record.tasks]
    if record.total_minutes is None and None not in minutes:  # the Word reader adds them up
        expected = dataclasses.replace(record, total_minutes=sum(m for m in minutes if m))
    else:
        expected = record
    assert content(only(read_practical_docx(path))) == expected
    text = yaml.safe_dump(form(record), allow_unicode=True)
    assert content(only(read_practical_data(write(tmp_path / "random.yaml", text)))) == record


# --- Word papers as other institutions write them (issue 16) ---------------------------------


def _doc(blocks: Sequence[str | list[list[str]]]) -> Document:
    """A Word document of paragraphs and tables; a table row of one cell is merged across."""
    d: Document = docx.Document()
    for block in blocks:
        if isinstance(block, str):
            d.add_paragraph(block)
            continue
        width = max(len(row) for row in block)
        table = d.add_table(rows=len(block), cols=width)
        for r, row in enumerate(block):
            if len(row) == 1 and width > 1:
                _merged_row(table, r, row[0])
            else:
                _fill(table, [row], start=r)
    return d


def _read(tmp_path: Path, blocks: Sequence[str | list[list[str]]]) -> Parsed[PracticalSetRecord]:
    path = tmp_path / "inst.docx"
    _doc(blocks).save(str(path))
    return read_practical_docx(path)


_HEAD_LINES: list[str | list[list[str]]] = [
    "焊工（四级）操作技能考核试卷",
    "试卷编号：HG4-07",
]
_TASK_ONE: list[str | list[list[str]]] = [
    "试题1：低碳钢板对接平焊（本题分值：100分）",
    "考核要求：",
    "（1）单面焊双面成形；",
    "（2）焊缝表面不得有裂纹、夹渣。",
]
_VETO_CRITERIA = "发生安全事故或违反安全操作规程，本题记0分"


@pytest.mark.parametrize(
    ("rubric", "element"),
    [
        pytest.param(  # ★ in 序号, 配分 "—", the national column order
            [
                ["序号", "考核内容", "考核要点", "配分", "评分标准", "扣分", "得分"],
                ["1", "焊前准备", "坡口清理", "20", "清理不干净扣5分", "", ""],
                ["2", "焊缝外观", "余高、宽度", "80", "每超差一处扣10分", "", ""],
                ["★", "安全文明生产", "规范操作", "—", _VETO_CRITERIA, "", ""],
            ],
            "安全文明生产：规范操作",
            id="star-number-dash",
        ),
        pytest.param(  # ★ in 序号, 配分 blank, criteria before 配分
            [
                ["序号", "评分要素", "评分标准", "配分", "得分"],
                ["1", "焊前准备", "清理不干净扣5分", "20", ""],
                ["2", "焊缝外观", "每超差一处扣10分", "80", ""],
                ["★", "安全文明生产", _VETO_CRITERIA, "", ""],
            ],
            "安全文明生产",
            id="star-number-blank",
        ),
        pytest.param(  # ★ and （否决项） in the element, 配分 "—" (qbank's own mark + words)
            [
                ["序号", "评分要素", "配分", "评分标准", "扣分", "得分"],
                ["1", "焊前准备", "20", "清理不干净扣5分", "", ""],
                ["2", "焊缝外观", "80", "每超差一处扣10分", "", ""],
                ["3", "★安全文明生产（否决项）", "—", _VETO_CRITERIA, "", ""],
            ],
            "安全文明生产",
            id="star-element-veto-words",
        ),
        pytest.param(  # ☆ after the element, 配分 "/"
            [
                ["考核项目", "评分标准", "配分", "得分"],
                ["焊前准备", "清理不干净扣5分", "20", ""],
                ["焊缝外观", "每超差一处扣10分", "80", ""],
                ["安全文明生产☆", _VETO_CRITERIA, "/", ""],
            ],
            "安全文明生产",
            id="hollow-star-slash",
        ),
        pytest.param(  # 否决项 in 序号, 配分 0
            [
                ["序号", "评分要素", "配分", "评分标准"],
                ["1", "焊前准备", "20", "清理不干净扣5分"],
                ["2", "焊缝外观", "80", "每超差一处扣10分"],
                ["否决项", "安全文明生产", "0", _VETO_CRITERIA],
            ],
            "安全文明生产",
            id="veto-word-number-zero",
        ),
        pytest.param(  # 否决 as the 配分
            [
                ["序号", "评分要素", "配分", "评分标准"],
                ["1", "焊前准备", "20", "清理不干净扣5分"],
                ["2", "焊缝外观", "80", "每超差一处扣10分"],
                ["3", "安全文明生产", "否决", _VETO_CRITERIA],
            ],
            "安全文明生产",
            id="veto-score",
        ),
        pytest.param(  # only the criteria say 否决, 配分 "—"
            [
                ["序号", "评分要素", "配分", "评分标准"],
                ["1", "焊前准备", "20", "清理不干净扣5分"],
                ["2", "焊缝外观", "80", "每超差一处扣10分"],
                ["3", "安全文明生产", "—", "否决项：" + _VETO_CRITERIA],
            ],
            "安全文明生产",
            id="veto-in-criteria",
        ),
        pytest.param(  # a 否决项 column marked ★
            [
                ["序号", "评分要素", "配分", "评分标准", "否决项"],
                ["1", "焊前准备", "20", "清理不干净扣5分", ""],
                ["2", "焊缝外观", "80", "每超差一处扣10分", ""],
                ["3", "安全文明生产", "", _VETO_CRITERIA, "★"],
            ],
            "安全文明生产",
            id="veto-column-star",
        ),
        pytest.param(  # a merged row starting with ★
            [
                ["序号", "评分要素", "配分", "评分标准"],
                ["1", "焊前准备", "20", "清理不干净扣5分"],
                ["2", "焊缝外观", "80", "每超差一处扣10分"],
                ["★ " + _VETO_CRITERIA],
                ["注：标★的为否决项"],
            ],
            "否决项",
            id="merged-star-row",
        ),
        pytest.param(  # 否定项 (the national papers' word) in the element
            [
                ["序号", "评分要素", "配分", "评分标准"],
                ["1", "焊前准备", "20", "清理不干净扣5分"],
                ["2", "焊缝外观", "80", "每超差一处扣10分"],
                ["3", "否定项：安全文明生产", "－", _VETO_CRITERIA],
            ],
            "安全文明生产",
            id="negation-word",
        ),
    ],
)
def test_veto_row_styles(tmp_path: Path, rubric: list[list[str]], element: str) -> None:
    record = only(_read(tmp_path, [*_HEAD_LINES, *_TASK_ONE, "评分记录表", rubric]))
    (task,) = record.tasks
    assert task.score == 100.0
    assert [(r.score, r.veto) for r in task.rubric] == [(20.0, False), (80.0, False), (0.0, True)]
    assert task.rubric[-1].element == element
    assert task.rubric[-1].criteria.endswith(_VETO_CRITERIA)  # as typed, 否决项： and all


def test_a_scored_row_that_mentions_a_veto_is_no_veto(tmp_path: Path) -> None:
    rubric = [
        ["序号", "评分要素", "配分", "评分标准"],
        ["1", "焊缝外观", "90", "每超差一处扣10分"],
        ["2", "安全文明生产", "10", "违规一次扣5分，造成事故的按否决项处理"],
    ]
    record = only(_read(tmp_path, [*_HEAD_LINES, *_TASK_ONE, rubric]))
    assert [r.veto for r in record.tasks[0].rubric] == [False, False]


def test_a_dash_score_without_a_veto_mark_is_still_a_problem(tmp_path: Path) -> None:
    rubric = [["序号", "评分要素", "配分", "评分标准"], ["1", "焊缝外观", "—", "扣10分"]]
    parsed = _read(tmp_path, [*_HEAD_LINES, *_TASK_ONE, rubric])
    assert {(p.location.table, p.location.row, p.key) for p in parsed.problems} >= {
        (1, 2, "problem.bad_number")
    }


def _two_tasks(summary: list[list[str]], *, summary_first: bool = False) -> list[Any]:
    """Two tasks (60 + 40 points, 90 + 30 minutes), their scoring sheets, and `summary`."""
    tasks: list[str | list[list[str]]] = [
        "一、操作技能考核试题",
        "试题1　电动机正反转控制电路安装",
        "（1）本题分值：60分",
        "（2）考核时间：90min",
        "（3）具体考核要求：按图接线，通电试车。",
        "试题2　绝缘电阻测量",
        "（1）本题分值：40分",
        "（2）考核时间：30min",
        "（3）具体考核要求：正确使用兆欧表。",
    ]
    sheets: list[str | list[list[str]]] = [
        "试题1评分记录表",
        [["考核内容", "配分", "评分标准", "扣分", "得分"], ["接线", "60", "错一处扣5分", "", ""]],
        "试题2评分记录表",
        [["考核内容", "配分", "评分标准", "扣分", "得分"], ["测量", "40", "读数错扣20分", "", ""]],
    ]
    table: list[str | list[list[str]]] = ["操作技能考核总成绩表", summary]
    head: list[str | list[list[str]]] = ["电工（四级）操作技能考核试卷", "试卷编号：DG4-09"]
    if summary_first:
        return [*head, *table, *tasks, *sheets]
    return [*head, *tasks, *sheets, *table]


_SUMMARY = [
    ["序号", "试题名称", "配分（权重）", "得分", "权重得分", "备注"],
    ["1", "电动机正反转控制电路安装", "60", "", "", ""],
    ["2", "绝缘电阻测量", "40", "", "", ""],
    ["合计", "", "100", "", "", ""],
]


def test_overall_score_table_after_the_sheets_is_checked_not_read_as_a_sheet(
    tmp_path: Path,
) -> None:
    record = only(_read(tmp_path, _two_tasks(_SUMMARY)))
    assert [(t.number, t.score, t.time_limit_minutes) for t in record.tasks] == [
        ("1", 60.0, 90),
        ("2", 40.0, 30),
    ]
    assert record.tasks[0].requirements == "按图接线，通电试车。"
    assert record.total_minutes == 120  # no total written: the tasks' times added up


def test_overall_score_table_mismatches_are_located(tmp_path: Path) -> None:
    summary = [
        ["试题", "试题名称", "配分", "考核时间", "得分"],
        ["试题1", "电动机正反转控制电路安装", "50", "90min", ""],
        ["试题二", "绝缘电阻测量", "40", "45min", ""],
        ["试题3", "导线连接", "10", "", ""],
        ["合  计", "", "90", "150min", ""],
    ]
    parsed = _read(tmp_path, _two_tasks(summary))
    assert parsed.records == []
    assert {(p.location.table, p.location.row, p.key) for p in parsed.problems} == {
        (3, 2, "problem.summary_task_score"),
        (3, 3, "problem.summary_task_time"),
        (3, 4, "problem.summary_unknown_task"),
        (3, 5, "problem.summary_total"),
    }
    messages = [str(p) for p in parsed.problems]
    assert any("试题 1 的配分为 50，与试题的配分 60 不符" in m for m in messages)


def test_overall_score_table_before_the_tasks_gives_times_and_total(tmp_path: Path) -> None:
    summary = [
        ["题号", "考核项目", "配分", "考核时间"],
        ["1", "电动机正反转控制电路安装", "60", "90分钟"],
        ["2", "绝缘电阻测量", "40", "30分钟"],
        ["合计", "", "100", "150分钟"],
    ]
    record = only(_read(tmp_path, _two_tasks(summary, summary_first=True)))
    assert record.total_minutes == 150
    missing = [
        ["序号", "试题名称", "配分", "得分"],
        ["1", "电动机正反转控制电路安装", "60", ""],
    ]
    parsed = _read(tmp_path, _two_tasks(missing))
    assert [(p.location.table, p.key, p.params) for p in parsed.problems] == [
        (3, "problem.summary_missing_task", {"number": "2"})
    ]


@pytest.mark.parametrize(
    ("line", "where", "minutes"),
    [
        ("考核时间合计150min", "head", 150),
        ("考核时间合计：150分钟", "end", 150),
        ("考核总时间：2.5小时", "end", 150),
        ("合计考核时间 150 min。", "head", 150),
        ("（考核时间合计：150min）", "after-task", 150),
    ],
)
def test_total_time_as_written(tmp_path: Path, line: str, where: str, minutes: int) -> None:
    blocks = _two_tasks(_SUMMARY)
    if where == "head":
        blocks.insert(2, line)
    elif where == "end":
        blocks.append(line)
    else:
        blocks.insert(blocks.index("试题2　绝缘电阻测量"), line)
    record = only(_read(tmp_path, blocks))
    assert record.total_minutes == minutes
    assert all("合计" not in t.requirements for t in record.tasks)


def test_preparation_sections_are_kept(tmp_path: Path) -> None:
    blocks: list[str | list[list[str]]] = [
        "焊工（四级）操作技能考核试卷",
        "试卷编号：HG4-08",
        "考场准备通知单",
        "本单于考前发至考点。",
        "一、场地准备",
        "1. 考场面积不小于60㎡，通风良好；",
        "2. 每个工位配备交流焊机一台。",
        "二、设备准备",
        [["序号", "名称", "规格", "数量"], ["1", "交流焊机", "BX1-330", "1台"]],
        "三、材料准备：Q235钢板若干",
        "考生准备通知单",
        [["序号", "名称", "规格", "数量", "备注"], ["1", "焊工面罩", "", "1个", "自备"]],
        "注意事项",
        "1. 考生须按考生准备通知单自备劳保用品。",
        *_TASK_ONE,
        "工具、量具准备",
        [["名称", "规格", "数量"], ["焊缝检验尺", "HJC40", "1把"]],
        "考核时间：60分钟",
        "评分记录表",
        [["评分要素", "配分", "评分标准"], ["焊缝外观", "100", "每超差一处扣10分"]],
        "考生准备通知单",  # printed again with the paper: kept once
        [["序号", "名称", "规格", "数量", "备注"], ["1", "焊工面罩", "", "1个", "自备"]],
    ]
    record = only(_read(tmp_path, blocks))
    assert record.venue_prep == (
        PrepRow("考场面积不小于60㎡，通风良好；", category="场地准备"),
        PrepRow("每个工位配备交流焊机一台。", category="场地准备"),
        PrepRow("交流焊机", "BX1-330", "1台", category="设备准备"),
        PrepRow("Q235钢板若干", category="材料准备"),
        PrepRow("焊缝检验尺", "HJC40", "1把", category="工具、量具准备"),
    )
    assert record.candidate_prep == (PrepRow("焊工面罩", "", "1个", "自备"),)
    (task,) = record.tasks
    assert task.time_limit_minutes == 60  # the task resumed after its preparation list
    assert task.requirements == "（1）单面焊双面成形；\n（2）焊缝表面不得有裂纹、夹渣。"


def test_national_task_lines_numbered(tmp_path: Path) -> None:
    record = only(_read(tmp_path, _two_tasks(_SUMMARY)))
    assert [t.title for t in record.tasks] == ["电动机正反转控制电路安装", "绝缘电阻测量"]


def test_text_is_kept_as_typed(tmp_path: Path) -> None:
    blocks: list[str | list[list[str]]] = [
        "焊工（Ⅱ级）操作技能考核试卷",
        "试卷编号：HG-Ⅱ-01",
        "试题1：Ⅰ级焊缝的焊接（配分100分）",
        "考核要求：预热至150℃，焊条φ3.2（J427），层间温度≤250℃。",
        [
            ["评分要素", "配分", "评分标准"],
            ["焊条（J427），", "100", "焊缝达到Ⅰ级，截面2mm²"],
        ],
    ]
    blocks[2:2] = [
        "考场准备通知单",
        [["名称", "规格", "数量"], ["焊条", "E5015（J507），φ3.2", "２０ｋｇ"]],
    ]
    record = only(_read(tmp_path, blocks))
    assert record.venue_prep == (PrepRow("焊条", "E5015（J507），φ3.2", "20kg"),)
    assert record.title == "焊工（Ⅱ级）操作技能考核试卷"
    (task,) = record.tasks
    assert task.title == "Ⅰ级焊缝的焊接"
    assert task.requirements == "预热至150℃，焊条φ3.2（J427），层间温度≤250℃。"
    assert task.rubric[0].element == "焊条（J427），"
    assert task.rubric[0].criteria == "焊缝达到Ⅰ级，截面2mm²"


_PARTS = {"notices": ("venue", "candidate")}  # the notices print as a document per audience


def _printed(
    record: PracticalSetRecord,
    tmp_path: Path,
    order: Sequence[str] = ("notices", "paper", "scoring"),
) -> Path:
    """qbank's own printed documents of `record` (notices, paper, scoring record) put into one
    Word file, as a centre that keeps a set in one file would."""
    from exporters.practical_paper_docx import (
        write_practical_paper,
        write_preparation_notice,
        write_scoring_record,
    )
    from qbank.printing import PracticalPaperDoc

    doc = PracticalPaperDoc(
        paper_id=1,
        batch_code="2026-01",
        exam_date="2026年3月1日",
        site="第一考场",
        paper_code="P-1",
        occupation_code="6-31-01-03",
        occupation_name="电工",
        level=4,
        level_name="四级/中级工",
        set_code=record.code,
        set_version="0" * 64,
        record=record,
        fingerprint="0" * 16,
    )
    writers = {
        "venue": partial(write_preparation_notice, audience="venue"),
        "candidate": partial(write_preparation_notice, audience="candidate"),
        "paper": write_practical_paper,
        "scoring": write_scoring_record,
    }
    parts = []
    for name in (part for kind in order for part in _PARTS.get(kind, (kind,))):
        path = tmp_path / f"{name}.docx"
        writers[name](doc, path)
        parts.append(docx.Document(str(path)))
    whole = parts[0]
    body = whole.element.body
    for part in parts[1:]:
        for element in list(part.element.body):
            if not element.tag.endswith("}sectPr"):
                body.insert(len(body) - 1, element)
    target = tmp_path / "printed.docx"
    whole.save(str(target))
    return target


@pytest.mark.parametrize(
    "order", [("notices", "paper", "scoring"), ("paper", "scoring", "notices")], ids="+".join
)
def test_qbank_printed_paper_reimports_with_its_vetoes(
    tmp_path: Path, order: tuple[str, ...]
) -> None:
    record = only(read_practical_docx(_printed(SET, tmp_path, order)))
    assert content(record) == dataclasses.replace(SET, author=None)  # no author is printed
    assert [r.veto for r in record.tasks[0].rubric] == [False, False, False, True]


def test_national_notice_headings_veto_section_and_time_with_a_note(tmp_path: Path) -> None:
    blocks: list[str | list[list[str]]] = [
        "职业技能鉴定国家题库",
        "焊工中级操作技能考核试卷",
        "试卷编号：HG4-10",
        "焊工中级操作技能考核准备通知单（考场）",
        "一、设备材料准备",
        [["序号", "名称", "规格", "数量", "备注"], ["1", "直流焊机", "ZX7-400", "1台", "每工位"]],
        "二、场地准备",
        "（1）每个工位有排烟设备。",
        "焊工中级操作技能考核准备通知单（考生）",
        [["序号", "名称", "规格", "数量", "备注"], ["1", "焊工手套", "", "1副", ""]],
        "试题1、板对接立焊",
        "考核时间：60分钟（含准备时间10分钟）",
        "配分：100分",
        "材料准备：Q235钢板两块",
        "考核要求：单面焊双面成形。",
        [
            ["序号", "考核项目", "配分", "评分标准"],
            ["1", "焊缝外观", "100", "每超差一处扣10分"],
            ["否决项"],
            ["2", "焊件有裂纹", "", "本题记0分"],
            ["3", "焊缝原始表面被破坏", "—", "本题记0分"],
        ],
    ]
    record = only(_read(tmp_path, blocks))
    assert record.venue_prep == (
        PrepRow("直流焊机", "ZX7-400", "1台", "每工位", "设备材料准备"),
        PrepRow("每个工位有排烟设备。", category="场地准备"),
        PrepRow("Q235钢板两块", category="材料准备"),
    )
    assert record.candidate_prep == (PrepRow("焊工手套", "", "1副"),)
    (task,) = record.tasks
    assert (task.score, task.time_limit_minutes) == (100.0, 60)
    assert task.requirements == "考核时间：60分钟（含准备时间10分钟）\n单面焊双面成形。"
    assert [(r.element, r.veto) for r in task.rubric] == [
        ("焊缝外观", False),
        ("焊件有裂纹", True),
        ("焊缝原始表面被破坏", True),
    ]
    assert record.total_minutes == 60


def test_provincial_layout_with_numbered_task_parts(tmp_path: Path) -> None:
    """Another centre: code as 试卷代码, total time in the head next to 总分, numbered task parts
    (1. 考核要求 … 4. 评分标准) and a rubric whose columns run 评分标准 before 配分."""
    blocks: list[str | list[list[str]]] = [
        "XX省职业技能等级认定",
        "电工（四级）操作技能考核试卷",
        "试卷代码：DG-4-003",
        "考核时间合计：150min　　总分：100分",
        "二、考场准备通知单",
        [["序号", "名 称", "型号与规格", "单位", "数量"], ["1", "万用表", "MF47", "块", "1"]],
        "三、试题",
        "试题1 三相异步电动机正反转控制",
        "1. 考核要求",
        "（1）按图接线；",
        "（2）通电试车。",
        "2. 考核时间：90min",
        "3. 配分：60分",
        "4. 评分标准",
        [
            ["序号", "考核要点", "评分标准", "配分", "扣分", "得分"],
            ["1", "接线", "错一处扣5分", "40", "", ""],
            ["2", "试车", "一次不成功扣10分", "20", "", ""],
            ["☆", "安全", "违章操作本题0分", "/", "", ""],
            ["合计", "", "", "60", "", ""],
        ],
        "试题2 电压测量",
        "1. 考核要求：正确测量三相电压。",
        "2. 考核时间：30min",
        "3. 配分：40分",
        "4. 评分标准",
        [
            ["序号", "考核要点", "评分标准", "配分", "扣分", "得分"],
            ["1", "测量", "读数错扣20分", "40", "", ""],
        ],
    ]
    record = only(_read(tmp_path, blocks))
    assert (record.code, record.total_minutes) == ("DG-4-003", 150)
    assert record.venue_prep == (PrepRow("万用表", "MF47", "1块"),)
    first, second = record.tasks
    assert (first.title, first.score, first.time_limit_minutes) == (
        "三相异步电动机正反转控制",
        60.0,
        90,
    )
    assert first.requirements == "（1）按图接线；\n（2）通电试车。"
    assert [(r.element, r.score, r.veto) for r in first.rubric] == [
        ("接线", 40.0, False),
        ("试车", 20.0, False),
        ("安全", 0.0, True),
    ]
    assert (second.requirements, second.score, second.time_limit_minutes) == (
        "正确测量三相电压。",
        40.0,
        30,
    )


def test_a_score_total_line_is_not_a_time_and_标准分_is_the_score(tmp_path: Path) -> None:
    rubric = [["评分要素", "标准分", "扣分标准"], ["焊缝外观", "100", "每超差一处扣10分"]]
    record = only(_read(tmp_path, [*_HEAD_LINES, *_TASK_ONE, rubric, "合计100分"]))
    assert record.tasks[0].rubric == (RubricRow("焊缝外观", 100.0, "每超差一处扣10分"),)
    assert record.total_minutes is None


def test_national_bank_layout_notices_first(tmp_path: Path) -> None:
    """The 国家题库 order: notices before the paper's title, 注意事项, the paper, the 总成绩表,
    then the 评分记录表 with its 否定项 written under the table."""
    sheet_head = ["序号", "考核内容", "考核要点", "配分", "评分标准", "扣分", "得分"]
    blocks: list[str | list[list[str]]] = [
        "职业技能鉴定国家题库",
        "维修电工中级操作技能考核准备通知单（考场）",
        "一、设备准备",
        [["序号", "名称", "型号与规格", "单位", "数量"], ["1", "三相电动机", "Y112M-4", "台", "1"]],
        "维修电工中级操作技能考核准备通知单（考生）",
        [["序号", "名称", "型号与规格", "单位", "数量"], ["1", "万用表", "MF47", "块", "1"]],
        "职业技能鉴定国家题库",
        "维修电工中级操作技能考核试卷",
        "注 意 事 项",
        "一、本试卷依据2009年颁布的《维修电工》国家职业标准命制。",
        "二、请根据试题考核要求，完成考试内容。",
        "考件编号：WX4-2026-01",
        "试题1、继电控制电路装调（本题分值：70分）",
        "考核要求：",
        "（1）按图接线；（2）通电试车。",
        "考核时间：120min",
        "试题2、仪表测量（本题分值：30分）",
        "考核要求：测量绝缘电阻。",
        "考核时间：30min",
        "维修电工中级操作技能考核总成绩表",
        [
            ["序号", "试题名称", "配分（权重）", "得分", "权重得分", "备注"],
            ["1", "继电控制电路装调", "70", "", "", ""],
            ["2", "仪表测量", "30", "", "", ""],
            ["合计", "", "100", "", "", ""],
        ],
        "统分人：　　　　年　月　日",
        "维修电工中级操作技能考核评分记录表",
        "试题1、继电控制电路装调",
        [
            sheet_head,
            ["1", "装调", "接线", "70", "错一处扣5分", "", ""],
            ["合计配分", "", "", "70"],
        ],
        "否定项：若考生发生下列情况之一，则应及时终止其考试，考生该试题成绩记为零分。",
        "（1）违反安全操作规程；",
        "（2）损坏设备。",
        "评分人：　　年　月　日　　　核分人：　　年　月　日",
        "试题2、仪表测量",
        [sheet_head, ["1", "测量", "读数", "30", "读数错扣30分", "", ""]],
    ]
    record = only(_read(tmp_path, blocks))
    assert (record.title, record.code, record.total_minutes) == (
        "维修电工中级操作技能考核试卷",
        "WX4-2026-01",
        150,
    )
    assert record.venue_prep == (PrepRow("三相电动机", "Y112M-4", "1台", category="设备准备"),)
    assert record.candidate_prep == (PrepRow("万用表", "MF47", "1块"),)
    first, second = record.tasks
    assert first.rubric[-1] == RubricRow(
        "否决项",
        0.0,
        "若考生发生下列情况之一，则应及时终止其考试，考生该试题成绩记为零分。\n"
        "（1）违反安全操作规程；\n（2）损坏设备。",
        veto=True,
    )
    assert [r.veto for r in second.rubric] == [False]


def test_one_rubric_table_for_all_tasks_with_a_task_column(tmp_path: Path) -> None:
    blocks = _two_tasks(_SUMMARY)
    start = blocks.index("试题1评分记录表")
    blocks[start : start + 4] = [
        "评分记录表",
        [
            ["试题", "考核内容", "配分", "评分标准", "得分"],
            ["试题1", "接线", "50", "错一处扣5分", ""],
            ["试题1", "安全文明生产★", "—", "违章操作本题记0分", ""],
            ["试题1", "试车", "10", "不成功扣10分", ""],
            ["试题2", "测量", "40", "读数错扣20分", ""],
        ],
    ]
    record = only(_read(tmp_path, blocks))
    first, second = record.tasks
    assert [(r.element, r.score, r.veto) for r in first.rubric] == [
        ("接线", 50.0, False),
        ("安全文明生产", 0.0, True),
        ("试车", 10.0, False),
    ]
    assert [(r.element, r.score) for r in second.rubric] == [("测量", 40.0)]


def test_tasks_named_任务_or_项目(tmp_path: Path) -> None:
    rubric = [["考核要点", "配分", "评分标准"], ["安装", "50", "错一处扣5分"]]
    blocks: list[str | list[list[str]]] = [
        "电工（四级）操作技能考核试卷",
        "试卷编号：DG4-11",
        "任务一：照明电路安装（50分）",
        "考核要求：按图安装。",
        rubric,
        "项目2　插座安装（50分）",
        "考核要求：按图安装。",
        "项目2评分表",
        rubric,
    ]
    record = only(_read(tmp_path, blocks))
    assert [(t.number, t.title, t.score) for t in record.tasks] == [
        ("1", "照明电路安装", 50.0),
        ("2", "插座安装", 50.0),
    ]


# --- the same set in many institutions' layouts ----------------------------------------------

_G_TASKS = (
    (
        "1",
        "电动机正反转控制电路安装",
        60.0,
        90,
        ("接线", 40.0, "错一处扣5分"),
        ("试车", 20.0, "不成功扣10分"),
    ),
    ("2", "绝缘电阻测量", 40.0, 30, ("选表", 10.0, "选错扣10分"), ("读数", 30.0, "读错扣30分")),
)
_G_VETO = "发生触电或短路事故，本题记0分"
_G_HEADERS = (
    ("序号", "评分要素", "配分", "评分标准", "扣分", "得分"),
    ("考核内容", "评分细则", "分值", "得分"),
    ("序 号", "考核要点", "评分标准", "配分（分）", "备注"),
)


def _g_row(
    header: Sequence[str], number: str, element: str, score: str, criteria: str
) -> list[str]:
    cells = {"序号": number, "序 号": number, "配分": score, "分值": score, "配分（分）": score}
    cells |= {"评分要素": element, "考核内容": element, "考核要点": element}
    cells |= {"评分标准": criteria, "评分细则": criteria}
    return [cells.get(h, "") for h in header]


def _g_rubric(header: Sequence[str], task: tuple[Any, ...], veto: str) -> list[list[str]]:
    rows = [list(header)]
    for n, (element, score, criteria) in enumerate(task[4:], start=1):
        rows.append(_g_row(header, str(n), element, format(score, "g"), criteria))
    if veto == "star-number":  # ★ in 序号, or ☆ after the element when there is no 序号
        marked = any("序" in h for h in header)
        element = "安全文明生产" if marked else "安全文明生产☆"
        rows.append(_g_row(header, "★", element, "—", _G_VETO))
    elif veto == "element-words":
        rows.append(_g_row(header, "", "★安全文明生产（否决项）", "", _G_VETO))
    elif veto == "score-word":
        rows.append(_g_row(header, "", "安全文明生产", "否决", _G_VETO))
    elif veto == "merged":
        rows.append(["否决项：" + _G_VETO])
    total = _g_row(header, "", "", format(task[2], "g"), "")
    rows.append(["合计", *total[1:]])
    return rows


def _g_blocks(veto: str, placement: str, heads: str, variant: int) -> list[str | list[list[str]]]:
    header = _G_HEADERS[variant % 3]
    summary_at = ("none", "after", "before")[variant % 3 - 1 if variant % 2 else variant % 3]
    total = ("head", "end", "sum")[(variant // 3) % 3]
    blocks: list[str | list[list[str]]] = ["电工（四级）操作技能考核试卷", "试卷编号：DG4-G"]
    if total == "head":
        blocks.append("考试时间：120分钟")
    summary: list[str | list[list[str]]] = [
        "成绩汇总表",
        [["题号", "试题名称", "配分", "得分"]]
        + [[t[0], t[1], format(t[2], "g"), ""] for t in _G_TASKS]
        + [["合计", "", "100", ""]],
    ]
    if summary_at == "before":
        blocks += summary
    sheets: list[str | list[list[str]]] = []
    for task in _G_TASKS:
        number, title, score, minutes = task[:4]
        cn = "一二"[int(number) - 1]
        if heads == "inline":
            blocks.append(f"试题{number}：{title}（配分{score:g}分，考核时间{minutes}min）")
            blocks += ["考核要求：", "按图完成。"]
        elif heads == "lines":
            blocks += [f"第{cn}题　{title}", f"配分：{score:g}分", f"考核时间：{minutes}分钟"]
            blocks.append("考核要求：按图完成。")
        else:
            blocks += [
                f"任务{cn}、{title}",
                f"（1）本题分值：{score:g}分",
                f"（2）考核时间：{minutes}min",
            ]
            blocks.append("（3）具体考核要求：按图完成。")
        rubric = _g_rubric(header, task, veto if number == "1" else "none")
        if placement == "each":
            blocks += ["评分记录表", rubric]
        elif placement == "titled":
            sheets += [f"试题{number}评分记录表", rubric]
        else:
            sheets.append(rubric)
    if placement == "together":
        blocks.append("评分记录表")
    blocks += sheets
    if summary_at == "after":
        blocks += summary
    if total == "end":
        blocks.append("考核时间合计：120min")
    return blocks


_G_CASES = [
    (veto, placement, heads)
    for veto in ("star-number", "element-words", "score-word", "merged", "none")
    for placement in ("each", "titled", "together")
    for heads in ("inline", "lines", "numbered")
]


@pytest.mark.parametrize(
    ("veto", "placement", "heads"), _G_CASES, ids=["-".join(c) for c in _G_CASES]
)
def test_one_set_in_many_layouts(tmp_path: Path, veto: str, placement: str, heads: str) -> None:
    variant = _G_CASES.index((veto, placement, heads))
    record = only(_read(tmp_path, _g_blocks(veto, placement, heads, variant)))
    assert (record.code, record.title, record.total_minutes) == (
        "DG4-G",
        "电工（四级）操作技能考核试卷",
        120,
    )
    assert [(t.number, t.title, t.score, t.time_limit_minutes) for t in record.tasks] == [
        t[:4] for t in _G_TASKS
    ]
    assert [t.requirements for t in record.tasks] == ["按图完成。"] * 2
    for task, source in zip(record.tasks, _G_TASKS, strict=True):
        plain = [RubricRow(e, s, c) for e, s, c in source[4:]]
        if source[0] == "1" and veto != "none":
            element = "否决项" if veto == "merged" else "安全文明生产"
            plain.append(RubricRow(element, 0.0, _G_VETO, veto=True))
        assert task.rubric == tuple(plain)


def test_yaml_veto_written_as_a_paper_marks_it(tmp_path: Path) -> None:
    data = form(SET)
    data["tasks"][0]["rubric"][-1]["veto"] = "★"
    path = write(tmp_path / "s.yaml", yaml.safe_dump(data, allow_unicode=True))
    assert content(only(read_practical_data(path))) == SET


def test_rubric_header_over_two_rows_and_merged_element_cells(tmp_path: Path) -> None:
    d: Document = docx.Document()
    for line in (
        "电工操作技能考核试卷",
        "试卷编号：X-1",
        "试题1：接线（配分100分）",
        "考核要求：按图接线。",
    ):
        d.add_paragraph(line)
    d.add_paragraph("评分记录表")
    table = d.add_table(rows=5, cols=6)
    _fill(table, [["序号", "考核内容", "配分", "评分标准"]])
    table.cell(0, 4).merge(table.cell(0, 5)).text = "评分"
    for column in range(4):
        table.cell(0, column).merge(table.cell(1, column))
    table.cell(1, 4).text, table.cell(1, 5).text = "扣分", "得分"
    _fill(table, [["1", "", "60", "错一处扣5分"], ["2", "", "40", "不美观扣10分"]], start=2)
    _fill(table, [["★", "安全", "—", "事故记0分"]], start=4)
    table.cell(2, 1).merge(table.cell(3, 1)).text = "电路安装"
    path = tmp_path / "merged.docx"
    d.save(str(path))
    assert only(read_practical_docx(path)).tasks[0].rubric == (
        RubricRow("电路安装", 60.0, "错一处扣5分"),
        RubricRow("电路安装", 40.0, "不美观扣10分"),
        RubricRow("安全", 0.0, "事故记0分", veto=True),
    )


def test_task_title_on_the_line_after_its_number(tmp_path: Path) -> None:
    rubric = [["考核要点", "配分", "评分标准"], ["安装", "100", "错一处扣5分"]]
    blocks: list[str | list[list[str]]] = [
        "电工（四级）操作技能考核试卷",
        "试卷编号：DG4-12",
        "试题1",
        "照明电路安装",
        "时间要求：45min",
        "本题满分100分",
        "考核要求：按图安装。",
        rubric,
    ]
    (task,) = only(_read(tmp_path, blocks)).tasks
    assert (task.title, task.score, task.time_limit_minutes, task.requirements) == (
        "照明电路安装",
        100.0,
        45,
        "按图安装。",
    )


def test_tool_lists_without_a_notice_heading_are_kept(tmp_path: Path) -> None:
    rubric = [["考核要点", "配分", "评分标准"], ["安装", "100", "错一处扣5分"]]
    blocks: list[str | list[list[str]]] = [
        "电工（四级）操作技能考核试卷",
        "试卷编号：DG4-13",
        [["名称", "规格", "数量"], ["万用表", "MF47", "1块"]],
        "工具、材料清单",
        [["名称", "规格", "数量"], ["导线", "BV 1.5mm²", "若干"]],
        "试题1：照明电路安装（100分）",
        "考核要求：按图安装。",
        rubric,
    ]
    record = only(_read(tmp_path, blocks))
    assert record.venue_prep == (
        PrepRow("万用表", "MF47", "1块"),
        PrepRow("导线", "BV 1.5mm²", "若干", category="工具、材料清单"),
    )


def test_tasks_numbered_only_by_their_section_enumeration(tmp_path: Path) -> None:
    rubric = [["考核要点", "配分", "评分标准"], ["安装", "60", "错一处扣5分"]]
    blocks: list[str | list[list[str]]] = [
        "电工（四级）操作技能考核试卷",
        "试卷编号：DG4-14",
        "操作技能考核试题",
        "一、照明电路安装（60分，45min）",
        "考核要求：",
        "1. 按图安装（含开关接线，10分钟内完成）；",
        "2. 通电试验。",
        rubric,
        "二、电压测量（配分40分）",
        "考核要求：测量三相电压。",
        [["考核要点", "配分", "评分标准"], ["测量", "40", "读数错扣20分"]],
    ]
    record = only(_read(tmp_path, blocks))
    first, second = record.tasks
    assert (first.number, first.title, first.score, first.time_limit_minutes) == (
        "1",
        "照明电路安装",
        60.0,
        45,
    )
    assert first.requirements == "1. 按图安装（含开关接线，10分钟内完成）；\n2. 通电试验。"
    assert (second.number, second.title, second.score) == ("2", "电压测量", 40.0)


def test_rubric_whose_criteria_column_is_考核要求(tmp_path: Path) -> None:
    rubric = [
        ["序号", "考核内容", "考核要求", "配分", "扣分", "得分"],
        ["1", "安装", "按图安装，错一处扣5分", "100", "", ""],
        ["★", "安全", "违章操作本题记0分", "", "", ""],
    ]
    record = only(_read(tmp_path, [*_HEAD_LINES, *_TASK_ONE, rubric]))
    assert record.tasks[0].rubric == (
        RubricRow("安装", 100.0, "按图安装，错一处扣5分"),
        RubricRow("安全", 0.0, "违章操作本题记0分", veto=True),
    )


def test_printed_veto_row_with_points_keeps_them(tmp_path: Path) -> None:
    """A ★ row that also carries points (安全文明生产 5 分, and a veto) prints and re-reads them."""
    first = SET.tasks[0]
    rubric = (
        dataclasses.replace(first.rubric[0], score=5.0),
        *first.rubric[1:3],
        dataclasses.replace(VETO, score=5.0),
    )
    record = dataclasses.replace(
        SET, tasks=(dataclasses.replace(first, rubric=rubric), *SET.tasks[1:])
    )
    again = only(read_practical_docx(_printed(record, tmp_path)))
    assert [(r.score, r.veto) for r in again.tasks[0].rubric] == [
        (5.0, False),
        (25.0, False),
        (25.0, False),
        (5.0, True),
    ]
