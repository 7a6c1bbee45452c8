"""`qbank export …` end to end: the files, the print list, copies with serials, and the errors
that must leave no output behind (and the database unchanged)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from pdf_tools import compact, needs_office, pdf_pages, pdf_text, render_pdf
from sqlalchemy import func, select
from test_print_practical import BATCH, assembled_database

from cli.main import cli
from exporters.print_run import PRINT_LIST_JSON, PRINT_LIST_XLSX, serials
from qbank.canonical import sha256_hex
from qbank.db import open_database
from qbank.model import AuditEvent

THEORY_FILES = ["试卷-A.docx", "答题卡-A.docx", "试卷-B.docx", "答题卡-B.docx"]
PRACTICAL_FILES = [
    "操作技能试卷-P.docx",
    "考场准备通知单-P.docx",
    "考生准备通知单-P.docx",
    "评分记录表-P.docx",
]
KEYS = ["参考答案-A.docx", "参考答案-B.docx"]
LISTS = {PRINT_LIST_XLSX, PRINT_LIST_JSON}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A copy of the assembled batch's database for this module (exports add audit events)."""
    path = tmp_path_factory.mktemp("export-cli") / "qbank.db"
    shutil.copyfile(assembled_database(tmp_path_factory), path)
    return str(path)


def qbank(db: str, *args: str, code: int = 0) -> str:
    if args[0] == "export" and "--count-pages" not in args:
        args = (*args, "--no-count-pages")  # counting runs LibreOffice: only where tested
    result = CliRunner().invoke(cli, [*args, "--db", db])
    assert result.exit_code == code, result.output
    return result.output


def audit_events(db: str) -> int:
    database = open_database(db)
    try:
        with database.transaction() as session:
            return session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    finally:
        database.dispose()


def names(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def test_export_batch_gives_the_print_room_everything_but_the_key(db: str, tmp_path: Path) -> None:
    out = tmp_path / "印制"
    output = qbank(db, "export", "batch", "--batch", "1", "--copies", "2", "--out", str(out))
    lines = []
    for name in [*THEORY_FILES, *PRACTICAL_FILES]:
        label = name.split("-")[0]  # the document's name is the file's
        copies = 1 if label.endswith("准备通知单") else 2
        lines.append(f"  {out / name}（{label}，{copies} 份）")
    lines.append(f"印制清单：{out / PRINT_LIST_XLSX}、{out / PRINT_LIST_JSON}")
    lines.append(f"已写入 10 个文件：{out}")
    assert output.splitlines() == lines
    assert names(out) == {*THEORY_FILES, *PRACTICAL_FILES, *LISTS}
    listing = json.loads((out / PRINT_LIST_JSON).read_text("utf-8"))
    for file in listing["files"]:
        assert sha256_hex((out / file["name"]).read_bytes()) == file["sha256"]
    for name, code in (("试卷-A.docx", "A"), ("答题卡-B.docx", "B"), ("评分记录表-P.docx", "P")):
        sections = docx.Document(str(out / name)).sections
        labels = serials(BATCH, code, 2)
        assert [s.header.paragraphs[0].text.split()[-1] for s in sections] == labels
        assert [s.footer.paragraphs[0].text.split()[-1] for s in sections] == labels


def test_export_batch_with_key_as_json(db: str, tmp_path: Path) -> None:
    out = tmp_path / "all"
    args = ["export", "batch", "--batch", "1", "--copies", "1", "--with-key", "--json"]
    printed = json.loads(qbank(db, *args, "--out", str(out)))
    assert names(out) == {*THEORY_FILES, *PRACTICAL_FILES, *KEYS, *LISTS}
    stored = json.loads((out / PRINT_LIST_JSON).read_text("utf-8"))
    assert printed == {"out": str(out), **stored}
    keys = [f for f in stored["files"] if f["kind"] == "key"]
    assert [(f["name"], f["copies"], f["serials"]) for f in keys] == [
        ("参考答案-A.docx", 1, []),
        ("参考答案-B.docx", 1, []),
    ]
    papers = {f["paper"]: f["fingerprint"] for f in stored["files"] if f["kind"] == "paper"}
    assert {f["paper"]: f["fingerprint"] for f in keys} == papers  # a key names its paper


def test_each_export_command_writes_its_own_documents(db: str, tmp_path: Path) -> None:
    qbank(
        db,
        "export",
        "paper",
        "--batch",
        "1",
        "--paper",
        "B",
        "--copies",
        "1",
        "--out",
        str(tmp_path / "b"),
    )
    assert names(tmp_path / "b") == {"试卷-B.docx", "答题卡-B.docx", *LISTS}
    qbank(db, "export", "key", "--batch", "1", "--paper", "A", "--out", str(tmp_path / "key"))
    assert names(tmp_path / "key") == {"参考答案-A.docx", *LISTS}
    qbank(db, "export", "practical", "--batch", "1", "--copies", "1", "--out", str(tmp_path / "p"))
    assert names(tmp_path / "p") == {*PRACTICAL_FILES, *LISTS}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["paper", "--batch", "1", "--paper", "Z", "--copies", "2"],
            f"错误：批次 {BATCH} 没有理论知识试卷 Z（已有：A、B）",
        ),
        (
            ["practical", "--batch", "1", "--paper", "A", "--copies", "2"],
            f"错误：批次 {BATCH} 没有操作技能试卷 A（已有：P）",
        ),
        (["batch", "--batch", "1", "--copies", "0"], "错误：印制份数应在 1～10000 之间，实际为 0"),
        (
            ["paper", "--batch", "1", "--paper", "A", "--copies", "10001"],
            "错误：印制份数应在 1～10000 之间，实际为 10001",
        ),
        (["batch", "--batch", "99", "--copies", "1"], "错误：没有编号为 99 的考试批次"),
    ],
    ids=["unknown-paper", "theory-code-as-practical", "no-copies", "too-many-copies", "no-batch"],
)
def test_refused_exports_write_nothing(
    db: str, tmp_path: Path, args: list[str], message: str
) -> None:
    before = audit_events(db)
    output = qbank(db, "export", *args, "--out", str(tmp_path / "out"), code=1)
    assert output == message + "\n"
    assert list(tmp_path.iterdir()) == []  # neither the directory nor a staging copy
    assert audit_events(db) == before


def test_messages_in_english_documents_in_chinese(db: str, tmp_path: Path) -> None:
    args = ["export", "paper", "--batch", "1", "--paper", "Z", "--copies", "1"]
    output = qbank(db, *args, "--out", str(tmp_path / "x"), "--lang", "en", code=1)
    assert output == f"Error: batch {BATCH} has no theory paper Z (it has: A, B)\n"
    out = tmp_path / "en"
    args = ["export", "practical", "--batch", "1", "--copies", "1", "--lang", "en"]
    lines = qbank(db, *args, "--out", str(out)).splitlines()
    assert lines[0] == f"  {out / '操作技能试卷-P.docx'} (practical paper, copies: 1)"
    text = [p.text for p in docx.Document(str(out / "评分记录表-P.docx")).paragraphs]
    assert "操作技能考核评分记录表" in text and any(t.startswith("试题1：") for t in text)
    assert not any(t.startswith("Task 1: ") for t in text)  # the operator's language stays out


def test_an_existing_directory_is_replaced_only_with_force(db: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("mine", "utf-8")
    args = ["export", "key", "--batch", "1", "--out", str(out)]
    assert qbank(db, *args, code=1) == (
        f"错误：输出目录 {out} 不为空：换一个目录，或加 --force 替换之前导出的内容\n"
    )
    assert qbank(db, *args, "--force", code=1).startswith(f"错误：输出目录 {out} 不为空，且不是")
    assert names(out) == {"mine.txt"}
    (out / "mine.txt").unlink()
    qbank(db, *args)
    qbank(db, *args, code=1)
    qbank(db, *args[:-2], "--paper", "B", "--out", str(out), "--force")
    assert names(out) == {"参考答案-B.docx", *LISTS}


@needs_office
def test_counted_pages_go_into_the_list_and_the_footers(db: str, tmp_path: Path) -> None:
    out = tmp_path / "counted"
    args = ["export", "practical", "--batch", "1", "--copies", "2", "--count-pages", "--json"]
    listing = json.loads(qbank(db, *args, "--out", str(out)))
    paper = next(f for f in listing["files"] if f["kind"] == "practical")
    pdf = render_pdf(out / paper["name"], tmp_path / "pdf")
    assert pdf_pages(pdf) == paper["pages"] == 2 * paper["pages_per_copy"]
    pages = pdf_text(pdf).split("\f")[:-1]
    per_copy, total = paper["pages_per_copy"], paper["copy_pages"]  # a blank back when odd
    for index, page in enumerate(pages):
        if index % per_copy < total:
            assert f"第{index % per_copy + 1}页共{total}页" in compact(page)
        else:
            assert not page.strip()
