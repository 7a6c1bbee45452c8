"""Printed practical papers and the print run, on the filed sample bank with an assembled batch.

One committed SQLite file (filed bank, batch 1 with theory papers A, B and practical paper P)
is built once per test run by `assembled_database` and copied by the tests that need
their own; one print run (3 copies, every kind) is written per module and checked at the
Word level, through the print list, and after LibreOffice has laid it out as PDF.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docx
import openpyxl
import pytest
from conftest import copy_filed_bank, filed_bank_path
from docx.document import Document
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph
from pdf_tools import compact, needs_office, out_of_order, pdf_pages, render_pdfs
from pyrage import x25519
from shared_support import build_once
from sqlalchemy import select
from test_assembly_service import POLICY, batch, run_assembly

from exporters.practical_paper_docx import write_practical_paper, write_scoring_record
from exporters.print_run import (
    ALL_KINDS,
    PRACTICAL_KINDS,
    PRINT_LIST_JSON,
    PRINT_LIST_XLSX,
    THEORY_KINDS,
    PrintList,
    print_list,
    serials,
)
from qbank.assembly.service import draw_practical
from qbank.batch import get_batch
from qbank.canonical import sha256_hex
from qbank.confidential import composition, seal_papers
from qbank.db import Database, open_database
from qbank.errors import InvalidInput, NotFound
from qbank.model import AuditEvent, Paper
from qbank.printing import PracticalPaperDoc, practical_document
from workflows.printing import batch_documents, write_batch_documents

COPIES = 3
SEALED_KINDS = ("key", "practical")  # a theory and a practical document, the cheap ones
BATCH = "20261212-01"
_BUILT: dict[str, Path] = {}


def assembled_database(factory: pytest.TempPathFactory) -> Path:
    """A committed SQLite file: the filed sample bank and batch 1 (20261212-01) with theory
    papers A and B (seed 7) and practical paper P. Built once per test run for every xdist
    worker (shared_support); copy it to change it.
    """
    if "path" not in _BUILT:
        folder, _ = build_once(factory, "assembled", lambda into: _assemble(factory, into))
        _BUILT["path"] = folder / "qbank.db"
    return _BUILT["path"]


def _assemble(factory: pytest.TempPathFactory, folder: Path) -> dict[str, Any]:
    path = copy_filed_bank(filed_bank_path(factory), folder)
    db = open_database(str(path))
    try:
        batch_id = batch(db)
        run_assembly(db, batch_id, seed=7)
        with db.transaction() as session:
            draw_practical(session, get_batch(session, batch_id), POLICY, actor="t", seed=7)
    finally:
        db.dispose()
    return {}


def copied_database(factory: pytest.TempPathFactory, name: str) -> Database:
    """An open copy of the assembled database, free to change."""
    copy = factory.mktemp(name) / "qbank.db"
    shutil.copyfile(assembled_database(factory), copy)
    return open_database(str(copy))


@dataclass(frozen=True)
class Run:
    out: Path
    listing: PrintList
    doc: PracticalPaperDoc
    db: Database


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    db = copied_database(tmp_path_factory, "print-run")
    out = tmp_path_factory.mktemp("out") / "印制"
    with db.transaction() as session:
        listing = write_batch_documents(
            session, get_batch(session, 1), out, copies=COPIES, actor="刘师傅", kinds=ALL_KINDS
        )
        paper = session.scalars(select(Paper).where(Paper.kind == "practical")).one()
        doc = practical_document(session, paper)
    yield Run(out, listing, doc, db)
    db.dispose()


def body_text(document: Document) -> list[str]:
    """Paragraph texts and table cell texts in reading order (merged cells once)."""
    lines: list[str] = []
    for element in document.element.body:
        if element.tag == qn("w:p"):
            lines.append(Paragraph(element, document._body).text)
        elif element.tag == qn("w:tbl"):
            for row in Table(element, document._body).rows:
                seen: set[int] = set()
                for cell in row.cells:
                    if id(cell._tc) not in seen:
                        seen.add(id(cell._tc))
                        lines.append(cell.text)
    return lines


def rows(table: Table) -> list[list[str]]:
    """The table's text, without the break points a crowded table marks after separators."""
    return [[cell.text.replace("\u200b", "") for cell in row.cells] for row in table.rows]


# --- serials and the print list -------------------------------------------------------------


def test_serials_number_each_copy_and_refuse_bad_counts() -> None:
    assert serials(BATCH, "A", 3) == [f"{BATCH}-A-001", f"{BATCH}-A-002", f"{BATCH}-A-003"]
    assert serials(BATCH, "P", 1000)[-1] == f"{BATCH}-P-1000"
    for bad in (0, -1, 10_001):
        with pytest.raises(InvalidInput) as err:
            serials(BATCH, "A", bad)
        assert str(err.value) == f"印制份数应在 1～10000 之间，实际为 {bad}"


def test_print_list_names_every_copy_and_the_hash_of_every_file(run: Run) -> None:
    on_disk = {p.name for p in run.out.iterdir()}
    names = [f.name for f in run.listing.files]
    assert names == [
        "试卷-A.docx",
        "答题卡-A.docx",
        "参考答案-A.docx",
        "试卷-B.docx",
        "答题卡-B.docx",
        "参考答案-B.docx",
        "操作技能试卷-P.docx",
        "考场准备通知单-P.docx",
        "考生准备通知单-P.docx",
        "评分记录表-P.docx",
    ]
    assert on_disk == {*names, PRINT_LIST_XLSX, PRINT_LIST_JSON}
    stored = json.loads((run.out / PRINT_LIST_JSON).read_text("utf-8"))
    assert (stored["batch_code"], stored["copies"], stored["site"]) == (BATCH, COPIES, "长沙考点")
    for file in stored["files"]:
        data = (run.out / file["name"]).read_bytes()
        assert file["sha256"] == sha256_hex(data) and file["size"] == len(data)
        if file["kind"] in ("key", "venue_notice", "candidate_notice"):
            assert (file["copies"], file["serials"]) == (1, [])
        else:
            assert file["serials"] == serials(BATCH, file["paper"], COPIES)
    assert print_list({PRINT_LIST_JSON: (run.out / PRINT_LIST_JSON).read_bytes()}) == run.listing

    book = openpyxl.load_workbook(run.out / PRINT_LIST_XLSX)
    sheet = book["印制清单"]
    header = [c.value for c in sheet[3]]
    assert header == [
        "序号",
        "试卷",
        "文档",
        "文件",
        "份号",
        "流水号",
        "页数",
        "SHA-256（前 16 位）",
        "印制人（签名）",
        "核对人（签名）",
        "SHA-256",
    ]
    copies = [[c.value for c in row] for row in sheet.iter_rows(min_row=4)]
    expected = [
        (f.name, n, serial, f.sha256)
        for f in run.listing.files
        for n, serial in enumerate(f.serials or ("",), start=1)
    ]
    assert [(r[3], r[4], r[5] or "", r[10]) for r in copies] == expected
    assert all(r[7] == r[10][:16] for r in copies)
    assert [r[0] for r in copies] == list(range(1, len(expected) + 1))
    assert all(r[8] is None and r[9] is None for r in copies)  # signed by hand
    files = [[c.value for c in row] for row in book["文件"].iter_rows(min_row=4)]
    assert [(r[0], r[3], r[7]) for r in files] == [
        (f.name, f.copies, f.sha256) for f in run.listing.files
    ]
    with run.db.transaction() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "export")).one()
        assert (event.actor, event.entity_id) == ("刘师傅", "1")
        assert event.detail["files"] == {f.name: f.sha256 for f in run.listing.files}


def test_same_batch_gives_the_same_bytes(run: Run) -> None:
    with run.db.transaction() as session:
        first = batch_documents(session, get_batch(session, 1), copies=2, kinds=PRACTICAL_KINDS)
        again = batch_documents(session, get_batch(session, 1), copies=2, kinds=PRACTICAL_KINDS)
        more = batch_documents(session, get_batch(session, 1), copies=3, kinds=PRACTICAL_KINDS)
    assert first == again
    assert more["考场准备通知单-P.docx"] == first["考场准备通知单-P.docx"]  # printed once
    assert more["操作技能试卷-P.docx"] != first["操作技能试卷-P.docx"]
    on_disk = (run.out / "考场准备通知单-P.docx").read_bytes()
    assert first["考场准备通知单-P.docx"] == on_disk


def test_unknown_paper_and_bad_copies_are_refused(run: Run) -> None:
    with run.db.transaction() as session:
        the_batch = get_batch(session, 1)
        with pytest.raises(NotFound) as err:
            batch_documents(session, the_batch, copies=1, kinds=THEORY_KINDS, papers=["Z"])
        assert str(err.value) == f"批次 {BATCH} 没有理论知识试卷 Z（已有：A、B）"
        with pytest.raises(NotFound) as err:
            batch_documents(session, the_batch, copies=1, kinds=PRACTICAL_KINDS, papers=["A"])
        assert str(err.value) == f"批次 {BATCH} 没有操作技能试卷 A（已有：P）"
        with pytest.raises(InvalidInput):
            batch_documents(session, the_batch, copies=0)


def test_output_is_all_or_nothing(tmp_path_factory: pytest.TempPathFactory) -> None:
    db = copied_database(tmp_path_factory, "atomic")
    root = tmp_path_factory.mktemp("atomic-out")
    try:
        with db.transaction() as session:
            the_batch = get_batch(session, 1)

            def export(target: Path, **options: object) -> PrintList:
                return write_batch_documents(
                    session,
                    the_batch,
                    target,
                    copies=1,
                    actor="t",
                    kinds=PRACTICAL_KINDS,
                    **options,  # type: ignore[arg-type]
                )

            with pytest.raises(NotFound):  # fails after the checks, while rendering
                export(root / "new" / "out", papers=["P", "Q"])
            assert list(root.iterdir()) == []  # no directory, no staging left behind

            busy = root / "busy"
            busy.mkdir()
            (busy / "notes.txt").write_text("keep", "utf-8")
            for force in (False, True):
                with pytest.raises(InvalidInput):
                    export(busy, force=force)
            assert [p.name for p in busy.iterdir()] == ["notes.txt"]

            earlier = root / "earlier"
            export(earlier)
            (earlier / "stale.docx").write_bytes(b"old")
            with pytest.raises(InvalidInput):
                export(earlier)
            export(earlier, force=True)
            assert "stale.docx" not in {p.name for p in earlier.iterdir()}
            assert sorted(p.name for p in root.iterdir()) == ["busy", "earlier"]
            assert (
                earlier.stat().st_mode & 0o077,
                (earlier / PRINT_LIST_JSON).stat().st_mode & 0o077,
            ) == (0, 0)
    finally:
        db.dispose()


def test_sealed_papers_print_the_same_once_decrypted(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    db = copied_database(tmp_path_factory, "sealed")
    identity = x25519.Identity.generate()
    try:
        with db.transaction() as session:
            clear = batch_documents(session, get_batch(session, 1), copies=2, kinds=SEALED_KINDS)
            seal_papers(
                session, get_batch(session, 1), recipients=[str(identity.to_public())], actor="t"
            )
        with db.transaction() as session:
            the_batch = get_batch(session, 1)
            with pytest.raises(InvalidInput) as err:
                batch_documents(session, the_batch, copies=2, kinds=SEALED_KINDS)
            assert str(err.value).startswith("试卷 A 已封存")
            opened = batch_documents(
                session, the_batch, copies=2, kinds=SEALED_KINDS, identities=[identity]
            )
            papers = session.scalars(select(Paper).where(Paper.batch_id == the_batch.id))
            layouts = {p.code: composition(p, [identity]) for p in papers}
            given = batch_documents(
                session, the_batch, copies=2, kinds=SEALED_KINDS, layouts=layouts
            )
        assert opened == clear and given == clear
    finally:
        db.dispose()


# --- the three practical documents at the Word level ----------------------------------------


def test_candidate_paper_has_the_tasks_and_nothing_of_the_rubric(run: Run) -> None:
    document = docx.Document(str(run.out / "操作技能试卷-P.docx"))
    record = run.doc.record
    lines = body_text(document)
    text = "\n".join(lines)
    one_copy = (len(lines) - (COPIES - 1)) // COPIES  # copies end in a section-break paragraph
    needles = [
        "绝密★启用前",
        record.title,
        "职业（工种）：电工　　等级：四级/中级工",
        f"试卷编号：{record.code}　　考试批次：{BATCH}",
        f"考试日期：2026-12-12　　考点：长沙考点　　考试时间：{record.total_minutes}分钟",
        "准考证号：",
        "考生须知",
        "考生准备通知单",
        *(row.name for row in record.candidate_prep),
        "操作技能考核试题",
    ]
    for task in record.tasks:
        needles += [
            f"试题{task.number}：{task.title}",
            "考核要求：",
            *task.requirements.split("\n"),
        ]
        needles.append(f"配分：{task.score:g}分　　考核时间：{task.time_limit_minutes}分钟")
    assert out_of_order("\n".join(lines[:one_copy]), needles) is None
    assert lines == [*lines[:one_copy], ""] * (COPIES - 1) + lines[:one_copy]
    for criteria in (row.criteria for task in record.tasks for row in task.rubric):
        assert criteria not in text
    for word in ("评分记录表", "评分标准", "评分要素", "考场准备通知单", "否决"):
        assert word not in text
    check_copies(document, serials(BATCH, "P", COPIES))


def check_copies(document: Document, labels: list[str]) -> None:
    """One section per copy, page numbers restarting at 1, its serial in header and footer."""
    assert len(document.sections) == len(labels)
    for section, serial in zip(document.sections, labels, strict=True):
        assert serial in section.header.paragraphs[0].text
        assert serial in section.footer.paragraphs[0].text
        numbering = section._sectPr.find(qn("w:pgNumType"))
        assert numbering is not None and numbering.get(qn("w:start")) == "1"


def test_scoring_record_has_every_rubric_row_veto_items_and_signatures(run: Run) -> None:
    document = docx.Document(str(run.out / "评分记录表-P.docx"))
    record = run.doc.record
    tables = document.tables
    assert len(tables) == COPIES * (len(record.tasks) + 1)
    per_copy = len(record.tasks) + 1
    for copy in range(COPIES):
        own = tables[copy * per_copy : (copy + 1) * per_copy]
        for table, task in zip(own, record.tasks, strict=False):
            grid = rows(table)
            assert grid[0] == ["序号", "评分要素", "配分", "评分标准", "扣分", "得分"]
            number = 0
            for line, row in zip(grid[1:-1], task.rubric, strict=True):
                if row.veto:  # a veto row with points prints them; one without, 否决
                    assert line[:3] == ["★", row.element, f"{row.score:g}" if row.score else "否决"]
                else:
                    number += 1
                    assert line[:3] == [str(number), row.element, f"{row.score:g}"]
                assert line[3:] == [row.criteria, "", ""]
            assert grid[-1] == ["合计", "合计", f"{task.score:g}", "", "", ""]
        summary = rows(own[-1])
        assert summary[0] == ["试题", "试题名称", "配分", "得分", "备注"]
        assert [r[:3] for r in summary[1:-1]] == [
            [t.number, t.title, f"{t.score:g}"] for t in record.tasks
        ]
        assert summary[-1][:3] == ["合计", "合计", "100"]
    text = [p.text for p in document.paragraphs]
    tasks = len(record.tasks)
    assert sum(line.startswith("考评员（签名）") for line in text) == 3 * tasks * COPIES
    assert sum(line.startswith("核分人（签名）") for line in text) == COPIES
    assert sum(line.startswith("准考证号：") for line in text) == (tasks + 1) * COPIES
    with_veto = sum(any(row.veto for row in task.rubric) for task in record.tasks)
    legend = "注：标“★”的为否决项，考生出现该项所列情形之一的，本题记0分。"
    assert with_veto > 0 and text.count(legend) == with_veto * COPIES
    check_copies(document, serials(BATCH, "P", COPIES))


def test_notices_are_one_document_per_audience(run: Run) -> None:
    record = run.doc.record
    lists = (("考场", record.venue_prep, "考生"), ("考生", record.candidate_prep, "考场"))
    for audience, prep, other in lists:
        document = docx.Document(str(run.out / f"{audience}准备通知单-P.docx"))
        (grid,) = (rows(t) for t in document.tables)
        assert grid[0] == ["序号", "类别", "名称", "规格型号", "数量", "备注"]
        assert grid[1:] == [
            [str(n), r.category, r.name, r.spec, r.quantity, r.note]
            for n, r in enumerate(prep, start=1)
        ]
        text = "\n".join(body_text(document))
        assert f"{audience}准备通知单" in text and f"{other}准备通知单" not in text
        assert "评分标准" not in text and record.tasks[0].requirements.split("\n")[0] not in text
        assert len(document.sections) == 1
        assert BATCH + "-P" not in document.sections[0].header.paragraphs[0].text


# --- laid out by LibreOffice ----------------------------------------------------------------


def raw_text(pdf: Path) -> list[str]:
    """Each page's text in content order (`pdftotext -raw`: a table cell's lines stay
    together, unlike the layout mode)."""
    out = subprocess.run(
        ["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    return out.split("\f")[:-1]


@pytest.fixture(scope="module")
def pdfs(run: Run, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pdf")
    single = folder / "one"
    single.mkdir()
    first = serials(BATCH, "P", 1)
    write_practical_paper(run.doc, single / "paper-one.docx", serials=first)
    write_scoring_record(run.doc, single / "scoring-one.docx", serials=first)
    sources = [
        run.out / "操作技能试卷-P.docx",
        run.out / "评分记录表-P.docx",
        run.out / "考场准备通知单-P.docx",
        run.out / "考生准备通知单-P.docx",
        single / "paper-one.docx",
        single / "scoring-one.docx",
    ]
    return {p.stem: p for p in render_pdfs(sources, folder / "rendered")}


@needs_office
def test_candidate_pdf_pages_order_serials_and_no_criteria(run: Run, pdfs: dict[str, Path]) -> None:
    per_copy = pdf_pages(pdfs["paper-one"])
    assert pdf_pages(pdfs["操作技能试卷-P"]) == COPIES * per_copy
    pages = raw_text(pdfs["操作技能试卷-P"])
    record = run.doc.record
    for index, page in enumerate(pages):
        assert serials(BATCH, "P", COPIES)[index // per_copy] in page
        assert f"第{index % per_copy + 1}页" in compact(page)
    text = "".join(pages)
    needles = [record.title, "考生须知", "考生准备通知单"]
    for task in record.tasks:
        needles += [f"试题{task.number}：{task.title}", *task.requirements.split("\n")]
    assert out_of_order(text, needles) is None
    flat = compact(text)
    for row in (row for task in record.tasks for row in task.rubric):
        assert compact(row.criteria) not in flat
    assert "评分记录表" not in flat and "评分标准" not in flat


@needs_office
def test_scoring_pdf_has_a_page_per_task_and_the_summary(run: Run, pdfs: dict[str, Path]) -> None:
    record = run.doc.record
    per_copy = pdf_pages(pdfs["scoring-one"])
    assert per_copy == len(record.tasks) + 1
    pages = raw_text(pdfs["评分记录表-P"])
    assert len(pages) == COPIES * per_copy
    for index, page in enumerate(pages):
        assert serials(BATCH, "P", COPIES)[index // per_copy] in page
        assert "准考证号" in page
    for task, page in zip(record.tasks, pages, strict=False):
        needles = [f"试题{task.number}：{task.title}", "序号评分要素配分评分标准扣分得分"]
        for row in task.rubric:
            needles += [row.element, row.criteria]
        needles += ["合计", *["考评员（签名）"] * 3]
        assert out_of_order(page, needles) is None
    assert (
        out_of_order(pages[per_copy - 1], ["操作技能考核成绩汇总表", "合计100", "核分人"]) is None
    )


@needs_office
def test_notices_pdfs_number_their_own_pages(run: Run, pdfs: dict[str, Path]) -> None:
    record = run.doc.record
    for audience, prep in (("考场", record.venue_prep), ("考生", record.candidate_prep)):
        pages = raw_text(pdfs[f"{audience}准备通知单-P"])
        assert f"{audience}准备通知单" in compact(pages[0])
        assert prep[-1].name in compact(pages[-1])
        assert f"第1页共{len(pages)}页" in compact(pages[0])
