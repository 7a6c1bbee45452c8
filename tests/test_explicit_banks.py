"""Banks are made on purpose (issue #14): `qbank bank new`, imports refuse a bank that does not
exist and name the closest ones, `--create` is the one-step path for scripts."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from cli.main import cli

BANK = Path(__file__).resolve().parent.parent / "samples" / "electrician-4"
OCC = ["--occupation", "6-31-01-03", "--level", "4"]
TYPO = ["--occupation", "6-31-10-03", "--level", "4"]  # 01 and 10 swapped
HINT = "新建题库请先运行 qbank bank new --occupation 6-31-10-03 --level 4 --name 职业名称"


def qbank(db: str, *args: str) -> Result:
    return CliRunner().invoke(cli, [*args, "--db", db])


def banks(db: str) -> list[tuple[str, str, int, int]]:
    listed = json.loads(qbank(db, "bank", "list", "--json").output)
    return [(b["occupation"], b["occupation_name"], b["level"], b["items"]) for b in listed]


def test_bank_new_then_import(sqlite_url: str) -> None:
    made = qbank(sqlite_url, "bank", "new", *OCC, "--name", "电工")
    assert made.exit_code == 0 and made.output == "已新建题库 6-31-01-03 电工 四级\n"
    assert qbank(sqlite_url, "import", "items", str(BANK / "items.xlsx"), *OCC).exit_code == 0
    assert banks(sqlite_url) == [("6-31-01-03", "电工", 4, 597)]


def test_a_swapped_digit_is_refused_naming_the_close_bank(sqlite_url: str) -> None:
    qbank(sqlite_url, "bank", "new", *OCC, "--name", "电工")
    for kind, file in (("items", "items.xlsx"), ("tree", "tree.xlsx")):
        result = qbank(sqlite_url, "import", kind, str(BANK / file), *TYPO)
        assert result.exit_code == 1
        assert result.output.startswith(
            "错误：没有 6-31-10-03 四级题库。是否要导入到 6-31-01-03 电工 四级？" + HINT
        ), result.output
    practical = qbank(
        sqlite_url, "import", "practical", str(BANK / "practical/DG4-SC-01.yaml"), *TYPO
    )
    assert practical.exit_code == 1 and "是否要导入到 6-31-01-03 电工 四级" in practical.output
    assert banks(sqlite_url) == [("6-31-01-03", "电工", 4, 0)]  # nothing made, nothing stored


def test_close_by_name_and_other_level(sqlite_url: str) -> None:
    qbank(sqlite_url, "bank", "new", *OCC, "--name", "电工")
    qbank(sqlite_url, "bank", "new", "--occupation", "6-31-01-03", "--level", "3", "--name", "电工")
    result = qbank(
        sqlite_url,
        "import",
        "items",
        str(BANK / "items.xlsx"),
        "--occupation",
        "6-29-02-01",
        "--level",
        "4",
        "--occupation-name",
        "电工",
    )
    assert result.exit_code == 1
    # by name (电工), the same level first
    assert "是否要导入到 6-31-01-03 电工 四级，或 6-31-01-03 电工 三级？" in result.output


def test_nothing_close_and_english(sqlite_url: str) -> None:
    result = qbank(sqlite_url, "import", "items", str(BANK / "items.xlsx"), *TYPO)
    assert result.exit_code == 1
    assert result.output == "错误：没有 6-31-10-03 四级题库。" + HINT + (
        "（脚本可在导入时加 --create --occupation-name 职业名称）\n"
    )
    qbank(sqlite_url, "bank", "new", *OCC, "--name", "电工")
    english = qbank(sqlite_url, "--lang", "en", "import", "items", str(BANK / "items.xlsx"), *TYPO)
    assert english.output.startswith(
        "Error: there is no bank 6-31-10-03 level 4. Did you mean 6-31-01-03 电工 四级? "
        "To make it, run qbank bank new --occupation 6-31-10-03 --level 4 --name NAME first"
    ), english.output


def test_create_on_import_needs_the_name(sqlite_url: str) -> None:
    items = str(BANK / "items.xlsx")
    nameless = qbank(sqlite_url, "import", "items", items, *OCC, "--create")
    assert nameless.exit_code == 1
    assert "新建题库要写职业名称" in nameless.output
    made = qbank(
        sqlite_url, "import", "items", items, *OCC, "--create", "--occupation-name", "电工"
    )
    assert made.exit_code == 0, made.output
    again = qbank(
        sqlite_url, "import", "items", items, *OCC, "--create", "--occupation-name", "电工"
    )
    assert again.exit_code == 0  # an existing bank is used as it is
    assert banks(sqlite_url) == [("6-31-01-03", "电工", 4, 597)]


def test_bank_new_refuses_a_second_bank_or_another_name(sqlite_url: str) -> None:
    qbank(sqlite_url, "bank", "new", *OCC, "--name", "电工")
    twice = qbank(sqlite_url, "bank", "new", *OCC, "--name", "电工")
    assert twice.exit_code == 1 and twice.output == "错误：题库 6-31-01-03 电工 四级 已存在\n"
    renamed = qbank(
        sqlite_url, "bank", "new", "--occupation", "6-31-01-03", "--level", "3", "--name", "焊工"
    )
    assert renamed.exit_code == 1
    assert "职业 6-31-01-03 已有名称“电工”，与“焊工”不同" in renamed.output
    bad = qbank(sqlite_url, "bank", "new", "--occupation", "电工", "--level", "4", "--name", "电工")
    assert bad.exit_code == 1 and "格式不正确" in bad.output
    assert banks(sqlite_url) == [("6-31-01-03", "电工", 4, 0)]
