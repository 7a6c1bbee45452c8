"""The reviewer's overlap workbook, from reports built by the real report functions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from exporters.overlap_xlsx import ShownItem, write_overlap_xlsx
from qbank.i18n import set_language
from qbank.overlap.document import FileReference, OverlapReport, ReportTokenizer, Scope
from qbank.overlap.report import (
    Adjudications,
    Context,
    Mark,
    Unit,
    finish,
    practical_report,
    reference_report,
    theory_report,
)
from qbank.policy import load_policy

TOKENIZER = ReportTokenizer(
    name="jieba-search",
    jieba_version="0.42.1",
    dictionary_sha256="d" * 64,
    stopwords_sha256="s" * 64,
    key="k" * 64,
)
BANK = Scope(occupation="6-31-01-03", level=4)
BASE = tuple("abcdefgh")


def _context() -> Context:
    return Context(policy=load_policy(), tokenizer=TOKENIZER, generated_by="tester")


def _unit(uid: int | str, tokens: tuple[str, ...], **kw: Any) -> Unit:
    return Unit(id=uid, version=f"v{uid}", tokens=tokens, text_key=f"k{uid}", **kw)


def _item(uid: int | str, stem: str, *, complete: bool = False, **kw: Any) -> ShownItem:
    return ShownItem(
        id=uid,
        type=kw.get("type", "single"),
        stem=stem,
        options=kw.get("options", {"A": f"{stem}甲", "B": f"{stem}乙", "C": "丙", "D": "丁"}),
        answer=kw.get("answer", "A"),
        knowledge_point="B-A-C-012" if complete else None,
        explanation="见教材第三章。" if complete else None,
        score=1.0,
    )


def _rows(sheet: Worksheet, header_row: int = 1) -> list[dict[str, Any]]:
    values = list(sheet.iter_rows(min_row=header_row, values_only=True))
    header = values[0]
    return [dict(zip(header, row, strict=True)) for row in values[1:]]


def _summary(sheet: Worksheet) -> dict[str, Any]:
    return {row[0].value: row[1] for row in sheet.iter_rows(min_row=3)}


# Items 1~2 and 2~3 (9/11 shared); 1 and 3 only 8/12, joined through 2. Items 15~14
# identical tokens; 6~7 similar but judged distinct; 8 alone. Rate (2 + 1) / 8 = 37.5%.
THEORY_UNITS = [
    _unit(1, (*BASE, "i", "j")),
    _unit(2, (*BASE, "i", "k")),
    _unit(3, (*BASE, "l", "k")),
    _unit(15, ("x", "y", "z", "w")),
    _unit(14, ("x", "y", "z", "w")),
    _unit(6, ("p", "q", "r", "s", "t")),
    _unit(7, ("p", "q", "r", "s", "t", "u")),
    _unit(8, ("m", "n")),
]
THEORY_SHOWN = {
    1: _item(1, "下列属于安全电压的是（　　）。"),
    2: _item(2, "下列选项中属于安全电压的是（　　）。", complete=True),
    3: _item(3, "以下属于安全电压的是（　　）。", options={"A": "=A1+1", "B": "36V"}),
    15: _item(15, "触电急救首先应使触电者脱离电源。", type="judgement", options={}, answer="√"),
    14: _item(14, "触电急救应首先使触电者脱离电源。", type="judgement", options={}, answer="√"),
    6: _item(6, "万用表使用前应检查表笔。"),
    7: _item(7, "万用表使用之前应检查表笔是否完好。"),
    8: _item(8, "兆欧表用于测量绝缘电阻。"),
}


@pytest.fixture(scope="module")
def theory() -> OverlapReport:
    marks = Adjudications({("v6", "v7"): Mark("王工", "考核对象不同")})
    report = theory_report(THEORY_UNITS, _context(), BANK, marks)
    # as `--out` writes it and a reader reads it back
    return OverlapReport.from_json(json.loads(json.dumps(finish(report, "tester").to_json())))


def test_theory_workbook(theory: OverlapReport, tmp_path: Path) -> None:
    assert theory.clusters == ((1, 2, 3), (15, 14))
    assert theory.verdict == "fail"
    path = tmp_path / "重复率报告.xlsx"
    write_overlap_xlsx(theory, THEORY_SHOWN, path)
    book = load_workbook(path)
    assert book.sheetnames == ["汇总", "重复题组", "相似题对", "已裁定"]

    summary = _summary(book["汇总"])
    verdict = summary["结论"]
    assert verdict.value == "不通过"
    assert verdict.fill.fgColor.rgb.endswith("FF9999")
    assert summary["重复率"].value == pytest.approx(0.375)
    assert "%" in summary["重复率"].number_format
    assert (summary["分子"].value, summary["分母"].value) == (3, 8)
    assert summary["检查范围"].value == "题库内理论题"
    assert "30%" in book["汇总"].cell(row=summary["重复率上限"].row, column=3).value
    assert summary["jieba 版本"].value == "0.42.1"
    assert summary["比较方法"].value.startswith("exact")
    assert "qbank overlap verify 报告.json" in summary["如何核验"].value

    sheet = book["重复题组"]
    assert sheet.freeze_panes == "A2"
    rows = _rows(sheet)
    for number, members in enumerate(theory.clusters or (), start=1):
        block = [r for r in rows if r["题组"] == number]
        assert [r["试题 ID"] for r in block] == list(members)
        for row in block:
            assert row["题干"] == THEORY_SHOWN[row["试题 ID"]].stem
        assert [r["处理建议"] for r in block].count("保留") == 1
        assert all(r["处理建议"] in ("保留", "建议修改或删除") for r in block)
    keep = {r["试题 ID"] for r in rows if r["处理建议"] == "保留"}
    assert keep == {2, 14}  # the complete record; on a tie the lowest id
    by_id = {r["试题 ID"]: r for r in rows}
    assert by_id[1]["与本组第一题的相似度"] is None
    assert by_id[2]["与本组第一题的相似度"] == pytest.approx(9 / 11, abs=1e-6)
    assert by_id[3]["与本组第一题的相似度"] == "与 2 相似 81.8%"
    assert by_id[2]["选项"].split("\n")[:2] == [
        "A．下列选项中属于安全电压的是（　　）。甲",
        "B．下列选项中属于安全电压的是（　　）。乙",
    ]
    assert by_id[15]["题型"] == "判断题" and by_id[15]["答案"] == "√"
    assert by_id[3]["选项"].startswith("A．=A1+1")

    pairs = _rows(book["相似题对"])
    assert len(pairs) == len(theory.pairs) == 3
    assert {(p["A·试题 ID"], p["B·试题 ID"]) for p in pairs} == {(1, 2), (2, 3), (15, 14)}
    first = next(p for p in pairs if p["A·试题 ID"] == 1)
    assert (first["共有词数"], first["合计词数（并集）"]) == (9, 11)
    assert first["B·题干"] == THEORY_SHOWN[2].stem

    adjudicated = book["已裁定"]
    assert "不计入重复率" in adjudicated["A1"].value
    marks = _rows(adjudicated, header_row=2)
    assert len(marks) == 1
    assert (marks[0]["裁定人"], marks[0]["理由"]) == ("王工", "考核对象不同")
    assert marks[0]["A·题干"] == THEORY_SHOWN[6].stem


def test_english_labels(theory: OverlapReport, tmp_path: Path) -> None:
    path = tmp_path / "report.xlsx"
    write_overlap_xlsx(theory, THEORY_SHOWN, path, lang="en")
    book = load_workbook(path)
    assert book.sheetnames == ["Summary", "Clusters", "Similar pairs", "Adjudicated"]
    assert _summary(book["Summary"])["Verdict"].value == "fail"
    header = [c.value for c in book["Clusters"][1]]
    assert header[:4] == ["Cluster", "Item id", "Type", "Stem"]
    assert {r["Recommendation"] for r in _rows(book["Clusters"])} == {"keep", "revise or delete"}

    set_language("en")  # the CLI's --lang, when no lang is passed
    write_overlap_xlsx(theory, THEORY_SHOWN, path)
    assert load_workbook(path).sheetnames[0] == "Summary"
    write_overlap_xlsx(theory, THEORY_SHOWN, path, lang="zh")
    assert load_workbook(path).sheetnames[0] == "汇总"


def test_practical_workbook(tmp_path: Path) -> None:
    units = [
        _unit("A#1", ("安装", "照明", "电路", "开关", "灯具"), score=40, group="A"),
        _unit("A#2", ("测量", "绝缘", "电阻"), score=60, group="A"),
        _unit("B#1", ("安装", "照明", "电路", "开关", "灯具"), score=50, group="B"),
        _unit("B#2", ("电动机", "正反转", "控制"), score=50, group="B"),
        _unit("C#1", ("配电箱", "接线"), score=100, group="C"),
    ]
    shown = {
        "A#1": _item("A#1", "照明电路安装\n按图安装开关与灯具", type="task", options={}),
        "B#1": _item("B#1", "照明电路的安装\n按图纸安装开关、灯具", type="task", options={}),
    }
    report = practical_report(units, _context(), BANK)
    assert report.rate == 0.5 and report.verdict == "fail"
    path = tmp_path / "practical.xlsx"
    write_overlap_xlsx(report, shown, path)
    book = load_workbook(path)
    assert book.sheetnames == ["汇总", "试卷两两", "相似题对"]
    assert _summary(book["汇总"])["检查范围"].value == "操作技能试卷两两之间"

    set_pairs = _rows(book["试卷两两"])
    assert len(set_pairs) == 3
    ab = set_pairs[0]
    assert (ab["试卷 A"], ab["试卷 B"]) == ("A", "B")
    assert ab["A 中与 B 重复的分值占比"] == pytest.approx(0.4)
    assert ab["B 中与 A 重复的分值占比"] == pytest.approx(0.5)
    assert (ab["A 重复分值"], ab["A 总分"], ab["B 重复分值"], ab["B 总分"]) == (40, 100, 50, 100)
    assert book["试卷两两"]["D2"].fill.fgColor.rgb.endswith("FF9999")  # 50% over the 30% cap

    tasks = _rows(book["相似题对"])
    assert len(tasks) == 1
    assert (tasks[0]["A·试卷"], tasks[0]["A·试题"], tasks[0]["A·标题"]) == (
        "A",
        "A#1",
        "照明电路安装",
    )
    assert (tasks[0]["B·试卷"], tasks[0]["B·标题"]) == ("B", "照明电路的安装")
    assert tasks[0]["B·内容"] == shown["B#1"].stem


def test_reference_workbook(tmp_path: Path) -> None:
    bank = [_unit(1, (*BASE, "i")), _unit(2, ("m", "n", "o"))]
    reference = [_unit("省题库.xlsx:5", (*BASE, "i")), _unit("省题库.xlsx:6", (*BASE, "j"))]
    scope = Scope(occupation="6-31-01-03", level=4, reference=FileReference("省题库.xlsx"))
    report = reference_report(bank, reference, _context(), scope)
    assert report.verdict == "pass" and len(report.pairs) == 2
    shown = {1: THEORY_SHOWN[1], "省题库.xlsx:5": _item("省题库.xlsx:5", "参照题干")}
    path = tmp_path / "reference.xlsx"
    write_overlap_xlsx(report, shown, path)
    book = load_workbook(path)
    assert book.sheetnames == ["汇总", "相似题对"]
    summary = _summary(book["汇总"])
    assert summary["结论"].value == "通过"
    assert summary["参照"].value == "文件 省题库.xlsx"
    rows = _rows(book["相似题对"])
    assert [(r["本题库·试题 ID"], r["参照·试题 ID"]) for r in rows] == [
        (1, "省题库.xlsx:5"),
        (1, "省题库.xlsx:6"),
    ]
    assert rows[0]["本题库·题干"] == THEORY_SHOWN[1].stem
    assert rows[0]["参照·题干"] == "参照题干"
    assert rows[1]["参照·题干"] == "（未找到该题内容）"
