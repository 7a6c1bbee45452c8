"""Re-import never loses fields silently (issue #14): the exam-app CSV of the sample bank has
no 鉴定点 or 重要程度 column, so after the Word file its records would drop them."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli.main import cli

BANK = Path(__file__).resolve().parent.parent / "samples" / "electrician-4"
OCC = ["--occupation", "6-31-01-03", "--level", "4"]


def qbank(db: str, *args: str) -> Result:
    return CliRunner().invoke(cli, [*args, "--db", db])


@pytest.fixture
def coded(sqlite_url: str) -> str:
    """A bank holding items.docx: every item has its 鉴定点 and 重要程度."""
    assert qbank(sqlite_url, "bank", "new", *OCC, "--name", "电工").exit_code == 0
    assert qbank(sqlite_url, "import", "tree", str(BANK / "tree.xlsx"), *OCC).exit_code == 0
    assert qbank(sqlite_url, "import", "items", str(BANK / "items.docx"), *OCC).exit_code == 0
    return sqlite_url


def items(db: str) -> list[dict[str, object]]:
    listed: list[dict[str, object]] = json.loads(qbank(db, "item", "list", *OCC, "--json").output)
    return listed


def app_csv_with_new_explanation(tmp_path: Path) -> tuple[Path, str]:
    """The app CSV with the first item's 解析 changed (a new version), and that item's stem."""
    text = (BANK / "items-app.csv").read_text(encoding="gb18030")
    rows = list(csv.reader(text.splitlines()))
    column = next(i for i, name in enumerate(rows[0]) if name.startswith("解析"))
    rows[1][column] = "修改后的解析。"
    path = tmp_path / "考试平台.csv"
    with path.open("w", encoding="gb18030", newline="") as out:
        csv.writer(out).writerows(rows)
    return path, rows[1][0]


def test_refused_listing_each_item_and_its_fields(coded: str) -> None:
    before = items(coded)
    result = qbank(coded, "import", "items", str(BANK / "items-app.csv"), *OCC)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == (
        "items-app.csv 第 2 行：“职业道德是从事一定职业的人在职业活动中应…”：新版本会丢失鉴定点、重要程度"
    )
    assert lines[-1] == (
        "错误：items-app.csv：597 道题的新版本会丢失已有字段，未导入。保留现有值请加 "
        "--keep-missing，确认丢弃请加 --allow-field-loss"
    )
    assert items(coded) == before


def test_dry_run_and_json_show_the_same_report(coded: str) -> None:
    args = ["import", "items", str(BANK / "items-app.csv"), *OCC, "--dry-run"]
    dry = qbank(coded, *args)
    assert dry.exit_code == 1 and "新版本会丢失鉴定点、重要程度" in dry.output
    report = json.loads(qbank(coded, *args, "--json").output)
    assert (report["imported"], report["rejected"], report["problem_count"]) == (0, 597, 597)
    assert {p["field"] for p in report["problems"]} == {"knowledge_point"}
    english = qbank(coded, "--lang", "en", *args)
    assert "the new version would lose knowledge point, importance" in english.output.replace(
        "、", ", "
    )


def test_keep_missing_keeps_the_codes_in_new_versions(coded: str, tmp_path: Path) -> None:
    edited, stem = app_csv_with_new_explanation(tmp_path)
    before = {i["stem"]: i for i in items(coded)}
    result = qbank(coded, "import", "items", str(edited), *OCC, "--keep-missing", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert (summary["new_versions"], summary["unchanged"], summary["new_items"]) == (1, 596, 0)
    assert summary["kept"] == 597
    after = {i["stem"]: i for i in items(coded)}
    changed = after[stem]
    assert changed["explanation"] == "修改后的解析。"
    assert changed["knowledge_point"] == before[stem]["knowledge_point"] is not None
    assert changed["importance"] == before[stem]["importance"] is not None
    assert changed["version"] != before[stem]["version"]


def test_allow_field_loss_drops_them_as_before(coded: str) -> None:
    result = qbank(
        coded, "import", "items", str(BANK / "items-app.csv"), *OCC, "--allow-field-loss", "--json"
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["new_versions"] == 597
    assert {i["knowledge_point"] for i in items(coded)} == {None}


def test_a_file_with_every_field_is_not_a_loss(coded: str) -> None:
    result = qbank(coded, "import", "items", str(BANK / "items.xlsx"), *OCC, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["unchanged"] == 597
