"""The command line end to end on the real sample files: counts, answers, errors, atomicity."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from cli.main import cli
from qbank.text.normalize import clean_text, parse_difficulty

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
BANK = SAMPLES / "electrician-4"
OCC = ["--occupation", "6-31-01-03", "--level", "4"]
NEW = ["--create", "--occupation-name", "电工"]  # an import's one-step path to a new bank
IMPORTS = {("import", "items"), ("import", "tree"), ("import", "practical")}


def source_items() -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    for name in ("A.yaml", "B-A.yaml", "B-B.yaml", "B-CD.yaml"):
        items += yaml.safe_load((SAMPLES / "source" / "items" / name).read_text("utf-8"))["items"]
    return items


SOURCE = source_items()


def run(db: str, *args: str, code: int = 0) -> str:
    """The command's output; imports create the bank they need (`NEW`)."""
    create = NEW if tuple(args[:2]) in IMPORTS else []
    result = CliRunner().invoke(cli, [*args, *create, "--db", db])
    assert result.exit_code == code, result.output
    return result.output


def items_json(db: str) -> list[dict[str, object]]:
    return json.loads(run(db, "item", "list", *OCC, "--json"))


@pytest.mark.parametrize("name", ["items.docx", "items.xlsx", "items-app.csv"])
def test_each_sample_layout_imports_every_item_with_its_answer(sqlite_url: str, name: str) -> None:
    summary = json.loads(run(sqlite_url, "import", "items", str(BANK / name), *OCC, "--json"))
    assert summary["imported"] == len(SOURCE) == 597
    assert (summary["unchanged"], summary["rejected"], summary["problems"]) == (0, 0, [])
    assert summary["by_type"] == {"judgement": 162, "single": 350, "multiple": 85}
    listed = items_json(sqlite_url)
    if name == "items.docx":  # the Word layout groups items by section: 判断, 单选, 多选
        order = {"judgement": 0, "single": 1, "multiple": 2}
        expected = sorted(SOURCE, key=lambda s: order[str(s["type"])])
    else:
        expected = SOURCE
    assert [i["stem"] for i in listed] == [clean_text(s["stem"]) for s in expected]
    assert [i["answer"] for i in listed] == [s["answer"] for s in expected]
    assert [i["options"] for i in listed] == [
        {k: clean_text(str(v)) for k, v in (s.get("options") or {}).items()}
        for s in expected  # type: ignore[union-attr]
    ]
    assert [i["difficulty"] for i in listed] == [
        parse_difficulty(s["difficulty"]) for s in expected
    ]
    if name != "items-app.csv":  # the app layout has no 鉴定点 column, only 章节
        assert [i["knowledge_point"] for i in listed] == [s["point"] for s in expected]


def test_same_bank_in_another_layout_is_unchanged(sqlite_url: str) -> None:
    run(sqlite_url, "import", "tree", str(BANK / "tree.xlsx"), *OCC)
    run(sqlite_url, "import", "items", str(BANK / "items.docx"), *OCC)
    again = json.loads(run(sqlite_url, "import", "items", str(BANK / "items.xlsx"), *OCC, "--json"))
    assert (again["imported"], again["unchanged"]) == (0, 597)


def test_item_list_fields(sqlite_url: str) -> None:
    run(sqlite_url, "import", "items", str(BANK / "items.xlsx"), *OCC)
    first_multiple = next(i for i in items_json(sqlite_url) if i["type"] == "multiple")
    assert set(first_multiple) >= {
        "id",
        "version",
        "type",
        "stem",
        "options",
        "answer",
        "knowledge_point",
        "difficulty",
        "status",
    }
    assert len(first_multiple["version"]) == 64
    assert first_multiple["status"] == "draft"
    judgement = next(i for i in items_json(sqlite_url) if i["type"] == "judgement")
    assert judgement["options"] == {} and isinstance(judgement["answer"], bool)


BROKEN_ROWS = {
    3: "answer",
    4: "answer",
    5: "answer",
    6: "stem",
    7: "answer",
    8: "type",
    9: "difficulty",
    10: "knowledge_point",
    11: "number",
}


@pytest.mark.parametrize("backend", ["sqlite_url", "pg_url"])
def test_broken_file_rejected_whole_with_every_bad_row(
    request: pytest.FixtureRequest, backend: str
) -> None:
    db = request.getfixturevalue(backend)
    run(db, "import", "tree", str(BANK / "tree.xlsx"), *OCC)
    before = run(db, "bank", "show", *OCC, "--json")
    out = run(
        db,
        "--lang",
        "en",
        "import",
        "items",
        str(SAMPLES / "broken" / "items-broken.xlsx"),
        *OCC,
        "--json",
        code=1,
    )
    summary = json.loads(out)
    assert summary["imported"] == 0 and summary["rejected"] == len(BROKEN_ROWS)
    found = {p["location"]["row"]: p["field"] for p in summary["problems"]}
    assert found == BROKEN_ROWS
    assert all(p["location"]["sheet"] == "理论试题" for p in summary["problems"])
    assert run(db, "bank", "show", *OCC, "--json") == before


def test_broken_file_message_in_chinese(sqlite_url: str) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "import",
            "items",
            str(SAMPLES / "broken" / "items-broken.xlsx"),
            *OCC,
            *NEW,
            "--db",
            sqlite_url,
        ],
    )
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines[0] == "items-broken.xlsx 工作表“理论试题”第 3 行：答案 E 不在选项 ABCD 之中"
    assert lines[-1] == "错误：items-broken.xlsx 有 8 处问题，未导入任何内容"
    assert "Traceback" not in result.output


def test_dry_run_validates_and_stores_nothing(sqlite_url: str) -> None:
    out = json.loads(
        run(sqlite_url, "import", "items", str(BANK / "items.docx"), *OCC, "--dry-run", "--json")
    )
    assert out["imported"] == 597 and out["dry_run"] is True
    assert json.loads(run(sqlite_url, "bank", "show", *OCC, "--json"))["items"] == 0


def test_map_option_reads_an_unknown_layout(sqlite_url: str, tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text(
        "试题内容,类别,甲,乙,丙,丁,标准答案\n熔断器主要用作（ ）保护。,单选,短路,过载,欠压,失压,A\n",
        "utf-8",
    )
    out = run(
        sqlite_url,
        "import",
        "items",
        str(path),
        *OCC,
        "--json",
        "--map",
        "试题内容=stem",
        "--map",
        "类别=type",
        "--map",
        "甲=option_a",
        "--map",
        "乙=option_b",
        "--map",
        "丙=option_c",
        "--map",
        "丁=option_d",
        "--map",
        "标准答案=answer",
    )
    assert json.loads(out)["imported"] == 1
    [item] = items_json(sqlite_url)
    assert (item["stem"], item["answer"], item["options"]["D"]) == (
        "熔断器主要用作（ ）保护。",
        "A",
        "失压",
    )


def test_practical_sets_from_word_and_yaml_are_the_same(sqlite_url: str) -> None:
    docx = sorted(str(p) for p in (BANK / "practical").glob("*.docx"))
    yamls = sorted(str(p) for p in (BANK / "practical").glob("*.yaml"))
    first = json.loads(run(sqlite_url, "import", "practical", *docx, *OCC, "--json"))
    assert sum(s["imported"] for s in first.values()) == 6
    again = json.loads(run(sqlite_url, "import", "practical", *yamls, *OCC, "--json"))
    assert sum(s["unchanged"] for s in again.values()) == 6
    assert json.loads(run(sqlite_url, "bank", "show", *OCC, "--json"))["practical_sets"] == 6


def test_item_show_and_history_after_an_edit(sqlite_url: str, tmp_path: Path) -> None:
    run(sqlite_url, "import", "items", str(BANK / "items.xlsx"), *OCC)
    from openpyxl import load_workbook

    book = load_workbook(BANK / "items.xlsx")
    sheet = book.active
    header = [c.value for c in sheet[1]]
    sheet.cell(row=2, column=header.index("解析") + 1, value="修改后的解析。")
    edited = tmp_path / "edited.xlsx"
    book.save(edited)
    out = json.loads(run(sqlite_url, "import", "items", str(edited), *OCC, "--json"))
    assert (out["new_versions"], out["unchanged"]) == (1, 596)
    item_id = items_json(sqlite_url)[0]["id"]
    shown = json.loads(run(sqlite_url, "item", "show", str(item_id), "--json"))
    assert shown["explanation"] == "修改后的解析。" and len(shown["versions"]) == 2
    history = json.loads(run(sqlite_url, "item", "history", str(item_id), "--json"))
    assert [h["action"] for h in history] == ["create", "new_version"]
    assert history[1]["detail"]["file"] == "edited.xlsx" and history[1]["actor"] == "tester"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["import", "items", "nope.docx", *OCC], "错误：找不到文件 nope.docx"),
        (
            ["import", "items", "bank.pdf", *OCC],
            "错误：不支持的文件类型“.pdf”，应为 .docx .xlsx .xlsm .xls .et .ods .csv",
        ),
        (
            ["item", "list", "--occupation", "6-31-01-03", "--level", "3"],
            "错误：没有职业 6-31-01-03 等级 3 的题库（先用 qbank bank new 新建）",
        ),
        (["item", "show", "999"], "错误：没有编号为 999 的试题"),
        (
            ["bank", "show", "--occupation", "电工", "--level", "4"],
            "错误：职业编码“电工”格式不正确，应如 6-31-01-03 或 6-18-01-01-02",
        ),
    ],
)
def test_user_errors_are_one_clear_line(sqlite_url: str, args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, [*args, "--db", sqlite_url])
    assert result.exit_code == 1
    assert result.output == message + "\n"


def test_english_on_request(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QBANK_LANG", "en")
    result = CliRunner().invoke(cli, ["item", "show", "999", "--db", sqlite_url])
    assert result.output == "Error: no item with id 999\n"


def test_database_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QBANK_DB", str(tmp_path / "env.db"))
    result = CliRunner().invoke(cli, ["import", "items", str(BANK / "items.xlsx"), *OCC, *NEW])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "env.db").exists()


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):  # lazy groups load each command here
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            found += _commands(command, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


@pytest.mark.parametrize("command", _commands(cli), ids=" ".join)
def test_every_command_has_help_with_an_example(command: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0
    assert "例 / Example:" in result.output
    assert "qbank " + " ".join(command) in result.output


def test_gb18030_csv_copy_keeps_chinese(sqlite_url: str, tmp_path: Path) -> None:
    copy = tmp_path / "题库.csv"
    shutil.copyfile(BANK / "items-app.csv", copy)
    raw = copy.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    out = json.loads(run(sqlite_url, "import", "items", str(copy), *OCC, "--json"))
    assert out["imported"] == 597


@pytest.mark.slow
def test_review_check_file_verify_through_the_cli(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openpyxl import load_workbook

    monkeypatch.setenv("QBANK_KEYS", str(tmp_path / "keys"))
    monkeypatch.setenv("QBANK_PASSPHRASE", "pass-for-tests")
    monkeypatch.setenv("QBANK_USER", "张老师")
    run(sqlite_url, "import", "tree", str(BANK / "tree.xlsx"), *OCC)
    run(sqlite_url, "import", "items", str(BANK / "items.xlsx"), *OCC)
    run(
        sqlite_url,
        "import",
        "practical",
        *sorted(str(p) for p in (BANK / "practical").glob("*.yaml")),
        *OCC,
    )
    run(sqlite_url, "person", "add", "李工", "--role", "reviewer")
    run(sqlite_url, "person", "add", "张老师", "--role", "reviewer")
    run(sqlite_url, "person", "add", "某技师学院", "--role", "institution")
    for name in ("李工", "张老师", "某技师学院"):
        run(sqlite_url, "key", "new", name)
    check = json.loads(run(sqlite_url, "bank", "check", *OCC, "--json", code=1))
    assert check["compliant"] is False
    assert {r["rule"] for r in check["rules"] if not r["ok"]} == {
        "min_theory_items",
        "min_practical_sets",
        "no_unapproved_content",
        "x_points_covered",
    }

    sheet = tmp_path / "审核表.xlsx"
    run(sqlite_url, "review", "export", *OCC, "--out", str(sheet), "--pending")
    book = load_workbook(sheet)
    ws = book["审核"]
    header = [c.value for c in ws[2]]
    for row in range(3, ws.max_row + 1):
        ws.cell(row, header.index("审核结论") + 1, "通过")
    book.save(sheet)
    own = CliRunner().invoke(
        cli, ["review", "import", str(sheet), *OCC, "--reviewer", "张老师", "--db", sqlite_url]
    )
    assert own.exit_code == 1 and "回避原则：张老师" in own.output
    assert "已记录：通过 597 项" in run(
        sqlite_url, "review", "import", str(sheet), *OCC, "--reviewer", "李工"
    )
    sets = [a for p in sorted((BANK / "practical").glob("*.yaml")) for a in ("--set", p.stem)]
    run(sqlite_url, "review", "approve", *sets, *OCC, "--reviewer", "李工")
    status = json.loads(run(sqlite_url, "review", "status", *OCC, "--json"))
    assert status["items"]["approved"] == 597 and status["practical_sets"]["approved"] == 6
    assert json.loads(run(sqlite_url, "bank", "check", *OCC, "--json"))["compliant"] is True

    package = tmp_path / "备案包"
    run(
        sqlite_url,
        "bank",
        "file",
        *OCC,
        "--reviewer",
        "李工",
        "--institution",
        "某技师学院",
        "--out",
        str(package),
    )
    verdict = json.loads(run(sqlite_url, "filing", "verify", str(package), "--json"))
    assert verdict["verdict"] == "VALID" and len(verdict["checks"]) == 12  # keys pinned by --db
    (package / "practical" / "DG4-SC-01.json").write_text("{}", "utf-8")
    tampered = CliRunner().invoke(cli, ["filing", "verify", str(package), "--db", sqlite_url])
    assert tampered.exit_code == 1
    assert "核验未通过" in tampered.output


def _practical_docx(path: Path, summary_total: str) -> Path:
    """A one-task Word paper from another centre: ★ veto row with "—", a 总成绩表."""
    import docx

    d = docx.Document()
    for line in ("电工（四级）操作技能考核试卷", "试卷编号：DG4-X-01", "考核时间合计：60分钟"):
        d.add_paragraph(line)
    d.add_paragraph("试题1：照明电路安装（配分100分）")
    d.add_paragraph("考核要求：按图安装，通电试验。")
    d.add_paragraph("评分记录表")
    rubric = [
        ["序号", "考核内容", "配分", "评分标准", "扣分", "得分"],
        ["1", "安装", "100", "错一处扣10分", "", ""],
        ["★", "安全文明生产（否决项）", "—", "发生触电事故，本题记0分", "", ""],
    ]
    summary = [["试题", "试题名称", "配分", "得分"], ["1", "照明电路安装", summary_total, ""]]
    for rows in (rubric, summary):
        if rows is summary:
            d.add_paragraph("操作技能考核总成绩表")
        table = d.add_table(rows=len(rows), cols=len(rows[0]))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                table.cell(r, c).text = text
    d.save(str(path))
    return path


def test_import_practical_json_reports_a_rejected_file(sqlite_url: str, tmp_path: Path) -> None:
    bad = _practical_docx(tmp_path / "外来卷.docx", summary_total="90")
    good = BANK / "practical" / "DG4-SC-01.yaml"
    result = CliRunner().invoke(
        cli, ["import", "practical", str(bad), str(good), *OCC, "--json", "--db", sqlite_url]
    )
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["DG4-SC-01.yaml"] == {
        "imported": 0,
        "unchanged": 0,
        "codes": ["DG4-SC-01"],
        "rejected": False,
        "problems": [],
        "problem_count": 0,
    }
    rejected = report["外来卷.docx"]
    assert (rejected["imported"], rejected["rejected"], rejected["problem_count"]) == (0, True, 1)
    (problem,) = rejected["problems"]
    assert problem["location"] == {"file": "外来卷.docx", "table": 2, "row": 2}
    assert problem["message"] == "成绩汇总表中试题 1 的配分为 90，与试题的配分 100 不符"
    listed = CliRunner().invoke(cli, ["practical", "list", *OCC, "--db", sqlite_url])
    assert listed.exit_code == 1  # nothing was stored, not even the bank
    missing = CliRunner().invoke(
        cli, ["import", "practical", str(tmp_path / "无.docx"), *OCC, "--json", "--db", sqlite_url]
    )
    assert missing.exit_code == 1
    assert json.loads(missing.output)["无.docx"]["problems"][0]["location"] == {"file": "无.docx"}


def test_practical_list_and_show(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = _practical_docx(tmp_path / "外来卷.docx", summary_total="100")
    yamls = sorted(str(p) for p in (BANK / "practical").glob("*.yaml"))
    run(sqlite_url, "import", "practical", str(good), *yamls, *OCC)
    listed = json.loads(run(sqlite_url, "practical", "list", *OCC, "--json"))
    assert [s["code"] for s in listed] == [f"DG4-SC-0{n}" for n in range(1, 7)] + ["DG4-X-01"]
    assert {s["total_score"] for s in listed} == {100.0}
    assert listed[-1] | {"version": ""} == {
        "code": "DG4-X-01",
        "version": "",
        "seq": 1,
        "status": "draft",
        "title": "电工（四级）操作技能考核试卷",
        "tasks": 1,
        "total_score": 100.0,
        "total_minutes": 60,
        "vetoes": 1,
        "venue_prep": 0,
        "candidate_prep": 0,
    }
    shown = json.loads(run(sqlite_url, "practical", "show", "DG4-X-01", *OCC, "--json"))
    assert shown["version"] == listed[-1]["version"]
    (task,) = shown["tasks"]
    assert (task["score"], task["time_limit_minutes"]) == (100.0, None)
    assert task["rubric"][1] == {
        "element": "安全文明生产",
        "score": 0.0,
        "criteria": "发生触电事故，本题记0分",
        "veto": True,
    }
    source = yaml.safe_load((BANK / "practical" / "DG4-SC-01.yaml").read_text("utf-8"))
    first = json.loads(run(sqlite_url, "practical", "show", "DG4-SC-01", *OCC, "--json"))
    assert first["total_minutes"] == source["total_minutes"]
    assert [t["score"] for t in first["tasks"]] == [t["score"] for t in source["tasks"]]
    assert len(first["venue_prep"]) == len(source["venue_prep"])
    text = run(sqlite_url, "practical", "show", "DG4-X-01", *OCC)
    assert "试题1：照明电路安装（配分 100，考核时间 未注明）" in text
    assert "★ 安全文明生产  否决  发生触电事故，本题记0分" in text
    assert "试题 1 道，总分 100，考核时间 60 分钟，否决项 1 项" in text
    table = run(sqlite_url, "practical", "list", *OCC)
    assert "DG4-X-01" in table and "试卷编号" in table
    monkeypatch.setenv("QBANK_LANG", "en")
    english = run(sqlite_url, "practical", "show", "DG4-X-01", *OCC)
    assert "task 1: 照明电路安装 (100 points, time not given)" in english
    assert "★ 安全文明生产  veto  发生触电事故，本题记0分" in english
    missing = CliRunner().invoke(cli, ["practical", "show", "X", *OCC, "--db", sqlite_url])
    assert (missing.exit_code, missing.output) == (1, "Error: this bank has no practical set X\n")
