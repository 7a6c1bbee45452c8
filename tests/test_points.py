"""Suggested 鉴定点 (#14 item 4): suggest → the expert fills 采纳 → import, through the CLI on a
small bank and a real workbook; stale rows and unknown codes refused with nothing written."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook
from sqlalchemy import func, select

from cli.main import cli
from formats.points_sheet import ACCEPT, GUID, HEADER_ROW, SHEET, parse_choice
from qbank.bank import ensure_bank, find_bank
from qbank.db import open_database
from qbank.i18n import set_language
from qbank.items import import_items
from qbank.model import ItemVersion
from qbank.point_coding import UNLIKELY, propose_points
from qbank.points import suggest_points
from qbank.queries import current_items
from qbank.records import Importance, ItemRecord, ItemType, Location, TreeNode
from qbank.tree import import_tree

OCC = "6-31-01-03"
BANK = ["--occupation", OCC, "--level", "4"]
HERE = Location("t.xlsx")
OHM, MOTOR, SAFETY = "A-A-A-001", "A-A-B-001", "A-A-C-001"

TREE = [
    TreeNode("A", "基本要求", HERE, weight=100.0),
    TreeNode("A-A", "基础知识", HERE, parent="A", weight=100.0),
    TreeNode("A-A-A", "电路基础", HERE, parent="A-A", weight=40.0),
    TreeNode("A-A-B", "电机", HERE, parent="A-A", weight=30.0),
    TreeNode("A-A-C", "安全用电", HERE, parent="A-A", weight=30.0),
    TreeNode(OHM, "欧姆定律与电阻的串并联", HERE, parent="A-A-A", importance=Importance.X),
    TreeNode(MOTOR, "三相异步电动机的结构与转速", HERE, parent="A-A-B", importance=Importance.X),
    TreeNode(SAFETY, "触电急救与安全电压", HERE, parent="A-A-C", importance=Importance.Y),
]

CODED = {
    OHM: [
        "欧姆定律指出，导体中的电流与导体两端的电压成正比，与导体的电阻成反比。",
        "两个电阻串联时，总电阻等于各电阻之和。",
        "两个阻值相同的电阻并联，等效电阻为单个电阻的一半。",
        "电阻两端电压为12V，通过的电流为2A，则电阻为6Ω（欧姆定律）。",
        "在串联电路中，流过各电阻的电流相等，电阻大的分得的电压大。",
    ],
    MOTOR: [
        "三相异步电动机的转速总是略低于旋转磁场的同步转速。",
        "三相异步电动机由定子和转子两大部分组成，转子有笼型和绕线型两种。",
        "改变三相异步电动机的电源相序，可以改变电动机的旋转方向。",
        "三相异步电动机的同步转速与电源频率成正比，与磁极对数成反比。",
        "异步电动机转子的转速与旋转磁场的转速之差称为转差，转差率通常很小。",
    ],
    SAFETY: [
        "发现有人触电，应首先迅速切断电源，使触电者脱离电源。",
        "触电者脱离电源后呼吸心跳停止，应立即进行心肺复苏急救。",
        "在特别潮湿的场所，安全电压应采用12V。",
        "安全电压的额定值有42V、36V、24V、12V和6V等级。",
        "触电急救时，不得用手直接拉触电者，应使用干燥的木棒挑开电线。",
    ],
}
MISCODED = "人体触电后，不能用手直接去拉触电者，应先切断电源再进行急救。"  # coded as MOTOR
UNCODED = [
    "三相异步电动机的定子绕组通入三相电流后产生旋转磁场，转子转速低于同步转速。",
    "三个6Ω的电阻并联后，等效电阻为2Ω；串联后总电阻为18Ω。",
    "对触电后心跳停止的人员，应立即切断电源并进行胸外心脏按压急救。",
]


def record(stem: str, code: str | None, guid: str) -> ItemRecord:
    return ItemRecord(
        ItemType.JUDGEMENT,
        stem,
        True,
        HERE,
        guid=guid,
        knowledge_code=code,
        knowledge_path=("基础知识",),
        difficulty=0.5,
        explanation="解析：" + stem[:8],
        source="电工手册",
        author="张老师",
    )


def small_bank(url: str) -> None:
    records = [
        record(stem, code, f"{code}-{n}")
        for code, stems in CODED.items()
        for n, stem in enumerate(stems, 1)
    ]
    records.append(record(MISCODED, MOTOR, "miscoded"))
    records += [record(stem, None, f"new-{n}") for n, stem in enumerate(UNCODED, 1)]
    db = open_database(url)
    try:
        with db.transaction() as session:
            bank = ensure_bank(session, OCC, 4, actor="tester", occupation_name="电工")
            import_tree(session, bank, TREE, source="tree.xlsx", actor="tester")
            import_items(session, bank, records, source="t.xlsx", actor="tester")
    finally:
        db.dispose()


def invoke(url: str, *args: str) -> Result:
    try:
        return CliRunner().invoke(cli, ["--db", url, *args], prog_name="qbank")
    finally:
        set_language(None)


def suggest(url: str, out: Path) -> Result:
    result = invoke(url, "item", "suggest-points", *BANK, "--out", str(out))
    assert result.exit_code == 0, result.output
    return result


def sheet_rows(path: Path) -> list[dict[str, object]]:
    sheet = load_workbook(path)[SHEET]
    rows = list(sheet.iter_rows(min_row=HEADER_ROW, values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def first_code(row: dict[str, object]) -> str:
    return str(row["建议1"]).split()[0]


def mark(path: Path, out: Path, choices: dict[str, str]) -> None:
    """Fill 采纳 of the rows of the given items (by 试题编号), as the expert would."""
    workbook = load_workbook(path)
    sheet = workbook[SHEET]
    headers = [c.value for c in sheet[HEADER_ROW]]
    guid_column, accept_column = headers.index(GUID) + 1, headers.index(ACCEPT) + 1
    for row in range(HEADER_ROW + 1, sheet.max_row + 1):
        guid = sheet.cell(row=row, column=guid_column).value
        if guid in choices:
            sheet.cell(row=row, column=accept_column, value=choices[guid])
    workbook.save(out)


def sklearn_loaded_by(url: str, *args: str) -> bool:
    """Whether running the command loads scikit-learn (only suggesting needs it)."""
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from cli.main import cli\n"
        f"result = CliRunner().invoke(cli, {['--db', url, *args]!r})\n"
        "assert result.exit_code == 0, result.output\n"
        "print(any(m.split('.')[0] == 'sklearn' for m in sys.modules))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return run.stdout.strip() == "True"


def current(url: str) -> dict[str, ItemVersion]:
    db = open_database(url)
    try:
        with db.transaction() as session:
            bank = find_bank(session, OCC, 4)
            rows = session.execute(current_items(bank.id)).all()
            session.expunge_all()
            return {item.guid: version for item, version in rows}
    finally:
        db.dispose()


def version_count(url: str) -> int:
    db = open_database(url)
    try:
        with db.transaction() as session:
            return int(session.scalar(select(func.count()).select_from(ItemVersion)) or 0)
    finally:
        db.dispose()


def content_without_code(version: ItemVersion) -> dict[str, object]:
    content = json.loads(version.canonical)
    content.pop("knowledge_code")
    return dict(content)


def test_suggest_edit_import_cycle(tmp_path: Path, db_url: str) -> None:
    small_bank(db_url)
    sheet = tmp_path / "鉴定点建议.xlsx"
    result = suggest(db_url, sheet)
    assert result.output == (
        f"已写出 {sheet}：19 道试题，其中未编码 3 道、存疑 1 道（各附 3 条建议）；"
        "模型依据 16 道已编码试题和细目表的 3 个鉴定点\n"
    )
    rows = sheet_rows(sheet)
    assert [r[GUID] for r in rows[:4]] == ["new-1", "new-2", "new-3", "miscoded"]
    by_guid = {str(r[GUID]): r for r in rows}
    assert [first_code(by_guid[f"new-{n}"]) for n in (1, 2, 3)] == [MOTOR, OHM, SAFETY]
    assert by_guid["new-1"]["提示"] == "未编码"
    code_and_score, name, in_range = str(by_guid["new-1"]["建议1"]).split("\n")
    assert re.fullmatch(rf"{MOTOR}  [<>]?\d+(\.\d)?%", code_and_score)
    assert (name, in_range) == ("三相异步电动机的结构与转速", "（电机）")
    assert first_code(by_guid["miscoded"]) == SAFETY
    assert str(by_guid["miscoded"]["提示"]).startswith("存疑：模型认为当前鉴定点的可能性仅")
    assert by_guid[f"{OHM}-1"]["提示"] is None
    worksheet = load_workbook(sheet)[SHEET]
    assert [v.formula1 for v in worksheet.data_validations.dataValidation] == ['"1,2,3"']
    assert worksheet.freeze_panes == "A3"
    assert worksheet.column_dimensions["C"].hidden  # 版本: for the reader only

    before = current(db_url)
    filled = tmp_path / "已确认.xlsx"
    # suggestion 1, a typed code in another spelling, suggestion 2 of the flagged item
    mark(sheet, filled, {"new-1": "1", "new-2": "aac001", "miscoded": "建议1"})
    assert not sklearn_loaded_by(db_url, "import", "points", str(filled), "--dry-run")

    dry = invoke(db_url, "import", "points", str(filled), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert dry.output == (
        "已确认.xlsx（试运行，未写入）：采纳 3 行，将生成新版本 3 道，已是所选鉴定点 0 道；"
        "未标记采纳 16 行\n"
    )
    assert version_count(db_url) == 19

    done = invoke(db_url, "import", "points", str(filled))
    assert done.exit_code == 0, done.output
    assert done.output == (
        "已确认.xlsx：采纳 3 行，生成新版本 3 道，已是所选鉴定点 0 道；未标记采纳 16 行（未改动）\n"
    )
    after = current(db_url)
    assert (after["new-1"].knowledge_code, after["new-1"].seq) == (MOTOR, 2)
    assert (after["new-2"].knowledge_code, after["new-2"].seq) == (SAFETY, 2)
    assert (after["miscoded"].knowledge_code, after["miscoded"].seq) == (SAFETY, 2)
    for guid in ("new-1", "new-2", "miscoded"):  # only the code changed
        assert content_without_code(after[guid]) == content_without_code(before[guid])
    untouched = set(before) - {"new-1", "new-2", "miscoded"}
    assert {g: after[g].sha256 for g in untouched} == {g: before[g].sha256 for g in untouched}
    assert version_count(db_url) == 22


def test_stale_row_refused_and_nothing_stored(tmp_path: Path, db_url: str) -> None:
    small_bank(db_url)
    sheet = tmp_path / "建议.xlsx"
    suggest(db_url, sheet)
    db = open_database(db_url)
    try:
        with db.transaction() as session:  # the item is edited after the sheet was made
            bank = find_bank(session, OCC, 4)
            edited = dataclasses.replace(record(UNCODED[0], None, "new-1"), explanation="改过")
            import_items(session, bank, [edited], source="edit.xlsx", actor="tester")
    finally:
        db.dispose()
    filled = tmp_path / "填好.xlsx"
    mark(sheet, filled, {"new-1": "1", "new-2": "1"})
    before = version_count(db_url)

    result = invoke(db_url, "import", "points", str(filled))
    assert result.exit_code == 1
    row = next(i for i, r in enumerate(sheet_rows(filled), HEADER_ROW + 1) if r[GUID] == "new-1")
    assert result.stderr == (
        f"填好.xlsx 工作表“鉴定点建议”第 {row} 行：试题 new-1 在生成建议表后已有新版本（当前第 2 版），"
        "本行不能采纳；请重新生成建议表\n"
        "错误：填好.xlsx 有 1 处问题，未导入任何内容\n"
    )
    assert version_count(db_url) == before  # new-2's good row was not stored either
    assert current(db_url)["new-2"].knowledge_code is None


def test_unknown_code_and_bad_choice_refused(tmp_path: Path, sqlite_url: str) -> None:
    small_bank(sqlite_url)
    sheet = tmp_path / "建议.xlsx"
    suggest(sqlite_url, sheet)
    filled = tmp_path / "填好.xlsx"
    mark(sheet, filled, {"new-1": "B-Z-Z-009", "new-2": "也许", "new-3": "1"})
    before = version_count(sqlite_url)

    result = invoke(sqlite_url, "import", "points", str(filled), "--lang", "en")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[-1] == "Error: 填好.xlsx has 2 problem(s); nothing was imported"
    assert any(
        line.endswith("knowledge point B-Z-Z-009 is not in the bank's current tree")
        for line in lines
    )
    assert any("采纳 '也许' not understood" in line for line in lines)
    assert version_count(sqlite_url) == before


def test_bank_without_tree_refused(tmp_path: Path, sqlite_url: str) -> None:
    db = open_database(sqlite_url)
    try:
        with db.transaction() as session:
            bank = ensure_bank(session, OCC, 4, actor="tester", occupation_name="电工")
            import_items(session, bank, [record(UNCODED[0], None, "x")], source="t", actor="t")
    finally:
        db.dispose()
    out = tmp_path / "建议.xlsx"
    result = invoke(sqlite_url, "item", "suggest-points", *BANK, "--out", str(out))
    assert result.exit_code == 1
    assert result.stderr == (
        "错误：题库 6-31-01-03 4 级还没有鉴定要素细目表，无法建议鉴定点"
        "（先用 qbank import tree 导入细目表）\n"
    )
    assert not out.exists()


def test_suggestions_are_deterministic(sqlite_url: str) -> None:
    small_bank(sqlite_url)
    db = open_database(sqlite_url)
    try:
        with db.transaction() as session:
            bank = find_bank(session, OCC, 4)
            first = propose_points(session, bank)
            second = propose_points(session, bank)
    finally:
        db.dispose()
    assert first == second
    assert [p.guid for p in first.proposals if p.flag == UNLIKELY] == ["miscoded"]

    texts = [s for stems in CODED.values() for s in stems]
    codes = [c for c, stems in CODED.items() for _ in stems]
    points = {t.code: t.name for t in TREE if t.importance is not None}
    runs = [suggest_points(texts, codes, UNCODED, point_texts=points) for _ in range(2)]
    assert runs[0] == runs[1]
    assert [s[0].code for s in runs[0].uncoded] == [MOTOR, OHM, SAFETY]


@pytest.mark.parametrize(
    ("text", "choice"),
    [
        ("1", 1),
        ("３", 3),
        ("建议2", 2),
        ("第1条", 1),
        ("BAC012", "B-A-C-012"),
        ("b-a-c-12", "B-A-C-012"),
        ("B-A-C", None),  # a range, not a point
        ("好", None),
    ],
)
def test_parse_choice(text: str, choice: int | str | None) -> None:
    assert parse_choice(text) == choice
