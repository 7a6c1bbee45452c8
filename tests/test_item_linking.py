"""Edited items stay one item (issue #14): a record without 试题编号 very close to exactly one
stored item of its type becomes that item's new version; undecidable ones wait for a person."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from cli.main import cli
from qbank.linking import compact_diff

BANK = Path(__file__).resolve().parent.parent / "samples" / "electrician-4"
OCC = ["--occupation", "6-31-01-03", "--level", "4"]
STEM = "与法律相比，职业道德是一种（ ）的约束机制。"  # row 3 of items.xlsx, answer B


def qbank(db: str, *args: str) -> Result:
    return CliRunner().invoke(cli, [*args, "--db", db])


@pytest.fixture
def bank(sqlite_url: str) -> str:
    """A bank holding the sample items.xlsx (597 items, no 试题编号 in the file)."""
    assert qbank(sqlite_url, "bank", "new", *OCC, "--name", "电工").exit_code == 0
    assert qbank(sqlite_url, "import", "items", str(BANK / "items.xlsx"), *OCC).exit_code == 0
    return sqlite_url


def edited(tmp_path: Path, change: Callable[[Worksheet, dict[str, int]], None]) -> Path:
    """A copy of items.xlsx changed by `change(sheet, column number by header)`."""
    book = load_workbook(BANK / "items.xlsx")
    sheet = book.active
    assert isinstance(sheet, Worksheet)
    columns = {str(c.value): c.column for c in sheet[1]}
    assert sheet.cell(3, columns["题干"]).value == STEM
    change(sheet, columns)
    path = tmp_path / "电工四级（修订）.xlsx"
    book.save(path)
    return path


def imported(db: str, path: Path, *more: str, code: int = 0) -> dict[str, Any]:
    result = qbank(db, "import", "items", str(path), *OCC, "--json", *more)
    assert result.exit_code == code, result.output
    report: dict[str, Any] = json.loads(result.output)
    return report


def by_stem(db: str) -> dict[str, dict[str, Any]]:
    listed = json.loads(qbank(db, "item", "list", *OCC, "--json").output)
    return {i["stem"]: i for i in listed}


def test_an_edited_stem_becomes_a_new_version(bank: str, tmp_path: Path) -> None:
    stored = by_stem(bank)[STEM]

    def fix(sheet: Worksheet, col: dict[str, int]) -> None:
        sheet.cell(3, col["题干"], STEM.replace("约束机制", "约束方式"))

    path = edited(tmp_path, fix)
    report = imported(bank, path)
    assert (report["new_items"], report["new_versions"], report["unchanged"]) == (0, 1, 596)
    (link,) = report["links"]
    assert link["guid"] == stored["guid"] and 0.9 <= link["similarity"] < 1
    assert "[机制→方式]" in link["diff"] and link["where"].endswith("第 3 行")
    after = by_stem(bank)
    assert STEM not in after and len(after) == 597
    shown = json.loads(qbank(bank, "item", "show", str(stored["id"]), "--json").output)
    assert shown["stem"] == STEM.replace("约束机制", "约束方式") and len(shown["versions"]) == 2
    again = imported(bank, path)  # now stored as it is: matched exactly, nothing to link
    assert (again["unchanged"], again["links"]) == (597, [])


def test_the_link_is_listed_in_the_text_report(bank: str, tmp_path: Path) -> None:
    path = edited(tmp_path, lambda s, c: s.cell(3, c["题干"], STEM.replace("约束", "制约")))
    out = qbank(bank, "import", "items", str(path), *OCC, "--dry-run").output.splitlines()
    assert out[0].startswith("电工四级（修订）.xlsx 工作表")
    assert "作为试题编号" in out[0] and "的新版本（相似度 0.9" in out[0]
    assert "[约束→制约]" in out[0]


def test_a_changed_answer_waits_for_a_decision(bank: str, tmp_path: Path) -> None:
    def change(sheet: Worksheet, col: dict[str, int]) -> None:
        sheet.cell(3, col["题干"], STEM.replace("约束机制", "约束方式"))
        sheet.cell(3, col["答案"], "C")

    path = edited(tmp_path, change)
    refused = imported(bank, path, code=1)
    (problem,) = refused["problems"]
    assert problem["field"] == "answer" and "答案由 B 改为 C" in problem["message"]
    assert len(by_stem(bank)) == 597
    report = imported(bank, path, "--new-items")
    assert (report["new_items"], report["new_versions"], report["links"]) == (1, 0, [])
    assert len(by_stem(bank)) == 598


def test_two_edits_of_one_item_wait_for_a_decision(bank: str, tmp_path: Path) -> None:
    def change(sheet: Worksheet, col: dict[str, int]) -> None:
        sheet.cell(3, col["题干"], STEM.replace("约束机制", "约束方式"))
        row = sheet.max_row + 1
        for column in range(1, sheet.max_column + 1):
            sheet.cell(row, column, sheet.cell(3, column).value)
        sheet.cell(row, col["题干"], STEM.replace("约束机制", "约束手段"))

    refused = imported(bank, edited(tmp_path, change), code=1)
    assert [p["location"]["row"] for p in refused["problems"]] == [3, 599]
    assert all("都接近试题编号" in p["message"] for p in refused["problems"])


def test_close_to_two_stored_items_waits_for_a_decision(sqlite_url: str, tmp_path: Path) -> None:
    qbank(sqlite_url, "bank", "new", *OCC, "--name", "电工")
    header = "题干,题型,选项A,选项B,选项C,选项D,答案\n"
    first = tmp_path / "两题.csv"
    first.write_text(
        header + "熔断器主要用作（ ）保护。,单选,短路,过载,欠压,失压,A\n"
        "熔断器主要用于（ ）保护。,单选,短路,过载,欠压,失压,A\n",
        "utf-8",
    )
    assert imported(sqlite_url, first)["new_items"] == 2
    variant = tmp_path / "一题.csv"
    variant.write_text(header + "熔断器主要是用作（ ）保护。,单选,短路,过载,欠压,失压,A\n", "utf-8")
    refused = imported(sqlite_url, variant, code=1)
    (problem,) = refused["problems"]
    assert "与 2 道已有试题都很接近" in problem["message"]
    assert imported(sqlite_url, variant, "--new-items")["new_items"] == 1


def test_below_the_threshold_is_a_new_item(bank: str, tmp_path: Path) -> None:
    path = edited(tmp_path, lambda s, c: s.cell(3, c["题干"], STEM.replace("约束机制", "约束方式")))
    report = imported(bank, path, "--link-threshold", "0.99")
    assert (report["new_items"], report["new_versions"], report["links"]) == (1, 0, [])
    bad = qbank(bank, "import", "items", str(path), *OCC, "--link-threshold", "1.5")
    assert bad.exit_code == 2


def test_compact_diff() -> None:
    assert (
        compact_diff("电动机通电前应检查绝缘", "电动机通电前必须检查绝缘")
        == "…机通电前[应→必须]检查绝缘"
    )
    assert compact_diff("a" * 20 + "X", "a" * 20 + "Y") == "…aaaa[X→Y]"
    assert compact_diff("abc", "abc") == ""
