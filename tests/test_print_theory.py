"""Printed theory papers, answer keys and answer sheets from a real filed bank and batch.

The module copies the session's filed sample bank (imported, reviewed, filed), plans a batch and
assembles papers A and B with the mixed blueprint (判断 20 + 单选 60 + 多选 10×2), then
checks the Word files through python-docx and, rendered by LibreOffice, through the PDF text.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

import docx
import pytest
from conftest import copy_filed_bank
from docx.document import Document
from docx.oxml.ns import qn
from lxml import etree
from pdf_tools import compact, needs_office, out_of_order, pdf_pages, pdf_text, render_pdfs
from sqlalchemy import select
from test_assembly_service import POLICY, STAFF

from exporters.answer_sheet_docx import write_answer_sheet
from exporters.docx_page import new_document, write_copies
from exporters.theory_docx import (
    options_per_line,
    section_heading,
    write_answer_key,
    write_theory_paper,
)
from qbank.assembly.service import assemble, draw_practical
from qbank.bank import ensure_bank, find_bank
from qbank.batch import new_batch
from qbank.blueprint import load_blueprint
from qbank.canonical import content_id
from qbank.db import Database, open_database
from qbank.errors import InvalidInput
from qbank.i18n import set_language
from qbank.items import decode_answer, import_items
from qbank.model import ItemVersion, Paper, PracticalSetVersion
from qbank.people import add_person
from qbank.practical import set_content
from qbank.printing import (
    PrintedItem,
    PrintedOption,
    TheoryPaperDoc,
    practical_document,
    theory_document,
)
from qbank.records import ItemRecord, ItemType, Location

MIXED = Path(__file__).resolve().parent.parent / "samples" / "blueprints"
MIXED = MIXED / "electrician-4-theory-mixed.toml"
SERIALS = [f"№ 20261212-01-A-{n:03d}" for n in (1, 2, 3)]
SHEET_SERIALS = SERIALS[:2]
HEADINGS = [
    "一、判断题（第1题～第20题。将判断结果填入括号中。正确的填“√”，错误的填“×”。"
    "每题1分，满分20分。）",
    "二、单项选择题（第21题～第80题。选择一个正确的答案，将相应的字母填入题内的括号中。"
    "每题1分，满分60分。）",
    "三、多项选择题（第81题～第90题。选择正确的答案，将相应的字母填入题内的括号中。"
    "错选、少选、多选均不得分。每题2分，满分20分。）",
]
SEAL_MARGIN = 70  # points: the 密封线 turned upright in the left margin, left out of text
ITEM_LINE = re.compile(r"^(\d+)．")
BLANKS = re.compile(r"[（(][\s\u3000\u00a0]*[）)]")


class _Rollback(Exception):
    """Raised at the end of a block to undo what it changed."""


@dataclass
class Printed:
    db: Database
    paper_ids: dict[str, int]
    docs: dict[str, TheoryPaperDoc]
    folder: Path


@pytest.fixture(scope="module")
def printed(filed_bank_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Printed]:
    folder = tmp_path_factory.mktemp("print")
    db = open_database(str(copy_filed_bank(filed_bank_db, folder)))
    with db.transaction() as session:
        bank = find_bank(session, "6-31-01-03", 4)
        batch = new_batch(
            session,
            bank,
            exam_date=date(2026, 12, 12),
            site="长沙考点",
            candidates=60,
            staff=STAFF,
            actor="t",
        )
        _, papers = assemble(
            session, batch, load_blueprint(MIXED), ["A", "B"], POLICY, actor="t", seed=11
        )
        practical = draw_practical(session, batch, POLICY, actor="t", seed=11)
        ids = {p.code: p.id for p in papers} | {"P": practical.id}
        docs = {p.code: theory_document(session, p) for p in papers}
    yield Printed(db, ids, docs, folder)
    db.dispose()


@dataclass
class Files:
    paper: Path
    copies: Path
    key: Path
    sheet: Path
    sheets: Path


@pytest.fixture(scope="module")
def files(printed: Printed) -> Files:
    """Paper A as one copy, as three serial-numbered copies, its key, its answer sheet as
    one copy and as two copies; all .docx (no PDF)."""
    out = printed.folder / "docx"
    out.mkdir()
    doc = printed.docs["A"]
    made = Files(
        out / "paper.docx",
        out / "copies.docx",
        out / "key.docx",
        out / "sheet.docx",
        out / "sheets.docx",
    )
    write_theory_paper(doc, made.paper)
    write_theory_paper(doc, made.copies, serials=SERIALS)
    write_answer_key(doc, made.key)
    write_answer_sheet(doc, made.sheet)
    write_answer_sheet(doc, made.sheets, serials=SHEET_SERIALS)
    return made


@dataclass
class Pdfs:
    paper: Path
    key: Path
    sheet: Path
    copies: Path
    sheets: Path
    pages: int  # of one copy of the paper
    sheet_pages: int


@pytest.fixture(scope="module")
def pdfs(printed: Printed, files: Files) -> Pdfs:
    """The documents rendered by LibreOffice: single copies first, to learn how many pages a
    copy has, then the multi-copy files written with that count (what LibreOffice prints for
    SECTIONPAGES)."""
    out = printed.folder / "pdf"
    paper, key, sheet = render_pdfs([files.paper, files.key, files.sheet], out)
    pages, sheet_pages = pdf_pages(paper), pdf_pages(sheet)
    doc = printed.docs["A"]
    copies, sheets = out / "copies.docx", out / "sheets.docx"
    write_theory_paper(doc, copies, serials=SERIALS, pages=pages)
    write_answer_sheet(doc, sheets, serials=SHEET_SERIALS, pages=sheet_pages)
    copies_pdf, sheets_pdf = render_pdfs([copies, sheets], out)
    return Pdfs(paper, key, sheet, copies_pdf, sheets_pdf, pages, sheet_pages)


def body_paragraphs(document: Document) -> list[str]:
    return [p.text for p in document.paragraphs]


def docx_text(path: Path) -> str:
    """The text of every XML part of a .docx (body, headers, footers, properties), with
    runs and cells run together; characters as written, not XML-escaped."""
    with zipfile.ZipFile(path) as archive:
        return "".join(
            "".join(etree.fromstring(archive.read(name)).itertext())
            for name in archive.namelist()
            if name.endswith(".xml")
        )


def answer_rows(doc: TheoryPaperDoc) -> list[str]:
    """The answers as the key's rows of ten print them, run together (e.g. `√×√√…`)."""
    return [
        "".join(i.answer for i in section.items[k : k + 10])
        for section in doc.sections
        for k in range(0, len(section.items), 10)
    ]


def plain(text: str) -> str:
    return BLANKS.sub("（）", compact(text))


def shown(item: PrintedItem) -> str:
    """The item's line as the paper should print it, whitespace and blank widths aside:
    judgement items open with a bracket, a choice stem keeps (or gets) one."""
    stem = plain(item.stem)
    if item.type == "judgement":
        stem = f"（）{stem}"
    elif "（）" not in stem:
        stem = f"{stem}（）"
    return f"{item.number}．{stem}"


def stored(printed: Printed) -> dict[int, ItemVersion]:
    with printed.db.transaction() as session:
        doc = printed.docs["A"]
        rows = session.scalars(
            select(ItemVersion).where(ItemVersion.sha256.in_([i.version for i in doc.items]))
        )
        return {v.item_id: v for v in rows}


def key_answers(path: Path) -> dict[int, str]:
    """Item number -> answer, read from the key's 题号/答案 tables."""
    answers: dict[int, str] = {}
    for grid in docx.Document(str(path)).tables:
        rows = [[c.text for c in row.cells] for row in grid.rows]
        for numbers, marks in zip(rows[0::2], rows[1::2], strict=True):
            assert (numbers[0], marks[0]) == ("题号", "答案")
            answers |= {int(n): a for n, a in zip(numbers[1:], marks[1:], strict=True) if n}
    return answers


# --- the print record ----------------------------------------------------------------------


def test_sections_number_items_continuously_in_blueprint_order(printed: Printed) -> None:
    doc = printed.docs["A"]
    assert [(s.ordinal, s.title, s.type, s.first, s.last) for s in doc.sections] == [
        ("一", "判断题", "judgement", 1, 20),
        ("二", "单项选择题", "single", 21, 80),
        ("三", "多项选择题", "multiple", 81, 90),
    ]
    assert [s.total for s in doc.sections] == [20.0, 60.0, 20.0]
    assert [i.number for i in doc.items] == list(range(1, 91))
    assert (doc.total_score, doc.pass_score, doc.duration_minutes) == (100.0, 60.0, 90)
    assert (doc.occupation_name, doc.level_name, doc.paper_code) == ("电工", "四级/中级工", "A")
    with printed.db.transaction() as session:
        layout = session.get(Paper, printed.paper_ids["A"]).layout  # type: ignore[union-attr]
    assert [i.item_id for i in doc.items] == layout["items"]
    assert doc.fingerprint != printed.docs["B"].fingerprint


def test_answers_follow_the_recorded_option_order(printed: Printed) -> None:
    doc = printed.docs["A"]
    versions = stored(printed)
    with printed.db.transaction() as session:
        orders = session.get(Paper, printed.paper_ids["A"]).layout["option_orders"]  # type: ignore[union-attr]
    shuffled = 0
    for item in doc.items:
        version = versions[item.item_id]
        answer = decode_answer(version.answer)
        if isinstance(answer, bool):
            assert item.answer == ("√" if answer else "×") and item.options == ()
            continue
        order = orders[str(item.item_id)]
        shuffled += order != sorted(order)
        assert [o.text for o in item.options] == [version.options[k] for k in order]
        assert [o.letter for o in item.options] == list("ABCDEFGH"[: len(order)])
        chosen = {o.text for o in item.options if o.letter in item.answer}
        assert chosen == {version.options[k] for k in answer}
        assert item.answer == "".join(sorted(item.answer))
    assert shuffled > 10  # the check above is not vacuous


def test_sealed_paper_needs_its_decrypted_layout(printed: Printed) -> None:
    with pytest.raises(_Rollback), printed.db.transaction() as session:
        paper = session.get(Paper, printed.paper_ids["A"])
        assert paper is not None
        layout = dict(paper.layout)
        paper.sealed_at = datetime.now(UTC)
        paper.layout = {"sections": [], "score": 100, "sealed": True}
        with pytest.raises(InvalidInput) as refused:
            theory_document(session, paper)
        assert refused.value.key == "print.paper_sealed"
        assert str(refused.value).startswith("试卷 A 已封存")
        assert theory_document(session, paper, layout=layout) == printed.docs["A"]
        raise _Rollback


def test_practical_record_is_the_stored_set_version(printed: Printed) -> None:
    with printed.db.transaction() as session:
        paper = session.get(Paper, printed.paper_ids["P"])
        assert paper is not None
        doc = practical_document(session, paper)
        version = session.get(PracticalSetVersion, paper.set_version_id)
        assert version is not None
        assert content_id(set_content(doc.record)) == version.sha256 == doc.set_version
        assert doc.set_code == paper.layout["set"] and doc.record.tasks
        with pytest.raises(InvalidInput) as wrong:
            theory_document(session, paper)
        assert wrong.value.key == "print.not_theory"
        with pytest.raises(InvalidInput) as missing:
            practical_document(session, paper, layout={"set": doc.set_code, "version": "0" * 64})
        assert missing.value.key == "print.set_missing"
    with pytest.raises(_Rollback), printed.db.transaction() as session:
        paper = session.get(Paper, printed.paper_ids["P"])
        assert paper is not None
        layout = dict(paper.layout)
        paper.sealed_at, paper.set_version_id, paper.layout = datetime.now(UTC), None, {}
        with pytest.raises(InvalidInput):
            practical_document(session, paper)
        assert practical_document(session, paper, layout=layout) == doc
        raise _Rollback


def test_print_record_on_each_database(db: Database) -> None:
    """The record reads item versions by (item, version) pairs: on SQLite and PostgreSQL."""
    records = [
        ItemRecord(
            ItemType.JUDGEMENT, "电气设备的金属外壳必须可靠接地或接零。", True, Location("f")
        ),
        ItemRecord(
            ItemType.MULTIPLE,
            "下列属于主令电器的有（ ）。",
            "ACD",
            Location("f"),
            options={"A": "按钮", "B": "接触器", "C": "行程开关", "D": "万能转换开关"},
            explanation="接触器是执行电器。",
        ),
    ]
    with db.transaction() as session:
        bank = ensure_bank(session, "6-31-01-03", 4, actor="t", occupation_name="电工")
        import_items(session, bank, records, source="f", actor="t")
        add_person(session, "王老师", ["staff"], actor="t")
        batch = new_batch(
            session,
            bank,
            exam_date=date(2026, 12, 12),
            site="长沙考点",
            candidates=1,
            staff=STAFF,
            actor="t",
        )
        versions = list(session.scalars(select(ItemVersion).order_by(ItemVersion.item_id)))
        judgement, multiple = versions
        layout = {
            "items": [judgement.item_id, multiple.item_id],
            "versions": [judgement.sha256, multiple.sha256],
            "option_orders": {str(multiple.item_id): ["D", "C", "B", "A"]},
            "sections": [
                {"type": "judgement", "title": "判断题", "score": 1, "items": [judgement.item_id]},
                {
                    "type": "multiple",
                    "title": "多项选择题",
                    "score": 2,
                    "items": [multiple.item_id],
                },
            ],
            "score": 3,
        }
        blueprint = {"title": "试卷", "duration_minutes": 90, "total_score": 3, "pass_score": 2}
        paper = Paper(
            batch_id=batch.id,
            code="A",
            kind="theory",
            seed="1",
            blueprint={"name": "t", "blueprint": blueprint},
            layout=layout,
            created_by="t",
        )
        session.add(paper)
        session.flush()
        doc = theory_document(session, paper)
        assert [i.answer for i in doc.items] == ["√", "ABD"]  # A C D shown as D C A
        assert [o.text for o in doc.items[1].options] == [
            "万能转换开关",
            "行程开关",
            "接触器",
            "按钮",
        ]
        stale = dict(layout, versions=[judgement.sha256, "f" * 64])
        with pytest.raises(InvalidInput) as missing:
            theory_document(session, paper, layout=stale)
        assert missing.value.key == "print.version_missing"


# --- the Word documents ----------------------------------------------------------------------


def test_options_per_line_by_width() -> None:
    def options(*texts: str) -> list[PrintedOption]:
        return [PrintedOption("ABCDE"[i], t) for i, t in enumerate(texts)]

    assert options_per_line(options("串联", "并联", "混联", "不连接"), 82) == 4
    assert options_per_line(options("与负载并联", "接在变压器一次侧的两端之间", "C", "D"), 82) == 2
    assert (
        options_per_line(options("截面积6mm²以下的塑料或橡胶绝缘导线", "高压", "C", "D"), 82) == 1
    )
    assert options_per_line([], 82) == 1


def test_paper_numbers_stems_headings_and_score_table(printed: Printed, files: Files) -> None:
    doc = printed.docs["A"]
    document = docx.Document(str(files.paper))
    paragraphs = body_paragraphs(document)
    items_start = paragraphs.index(HEADINGS[0])
    numbered = [p for p in paragraphs[items_start:] if ITEM_LINE.match(p)]
    assert [int(ITEM_LINE.match(p).group(1)) for p in numbered] == list(range(1, 91))  # type: ignore[union-attr]
    for paragraph, item in zip(numbered, doc.items, strict=True):
        assert plain(paragraph) == shown(item)
        if item.type == "judgement":
            assert paragraph.startswith(f"{item.number}．（）")
    assert [p for p in paragraphs if p in HEADINGS] == HEADINGS
    assert [section_heading(s, i) for i, s in enumerate(doc.sections, start=1)] == HEADINGS
    score = next(t for t in document.tables if t.rows[0].cells[0].text == "题　号")
    assert [c.text for c in score.rows[0].cells] == ["题　号", "一", "二", "三", "总　分", "统分人"]
    assert [c.text for c in score.rows[1].cells] == ["得　分", "", "", "", "", ""]
    seal_line = "".join(document.sections[0].header._element.itertext())
    for label in ("地　　区", "姓　　名", "准考证号", "单　　位", "考 生 答 题 不 准 超 过 此 线"):
        assert label in seal_line
    assert "注　意　事　项" in paragraphs
    header = document.sections[0].header.paragraphs[0].text
    assert header.startswith("绝密★启用前")
    page = document.sections[0]
    assert (round(page.page_width.mm), round(page.page_height.mm)) == (210, 297)  # type: ignore[union-attr]
    options = [p for p in paragraphs if p.startswith("A．")]
    assert any("\tD．" in p for p in options) and any(
        "\tB．" in p and "C．" not in p for p in options
    )


def test_paper_holds_no_answer_and_no_explanation(printed: Printed, files: Files) -> None:
    doc = printed.docs["A"]
    key = compact(docx_text(files.key))
    for candidate_file in (files.paper, files.copies, files.sheet):
        text = compact(docx_text(candidate_file))
        for item in doc.items:
            assert item.explanation and compact(item.explanation) in key
            assert compact(item.explanation) not in text
        for row in answer_rows(doc):
            assert row in key and row not in text
        assert not re.search(r"[（(][√×A-E]+[）)]", text)
        assert "参考答案" not in text and doc.fingerprint not in text
        assert doc.fingerprint in key


def test_answer_key_matches_the_stored_items(printed: Printed, files: Files) -> None:
    doc = printed.docs["A"]
    answers = key_answers(files.key)
    assert answers == {i.number: i.answer for i in doc.items}
    versions = stored(printed)
    for item in doc.items:
        answer = decode_answer(versions[item.item_id].answer)
        if isinstance(answer, bool):
            assert answers[item.number] == ("√" if answer else "×")
        else:
            marked = {o.text for o in item.options if o.letter in answers[item.number]}
            assert marked == {versions[item.item_id].options[k] for k in answer}
    document = docx.Document(str(files.key))
    paragraphs = body_paragraphs(document)
    assert f"试卷指纹（SHA-256）：{doc.fingerprint}" in paragraphs
    assert "A 卷　参考答案及评分标准" in paragraphs
    assert [p for p in paragraphs if p in HEADINGS] == HEADINGS
    assert document.sections[0].header.paragraphs[0].text.startswith("绝密\t\t指纹 ")
    explained = [p for p in paragraphs if p.startswith("81．")]
    assert explained == [f"81．{doc.items[80].answer}　{doc.items[80].explanation}"]


def test_answer_sheet_follows_the_paper_numbering(printed: Printed, files: Files) -> None:
    doc = printed.docs["A"]
    document = docx.Document(str(files.sheet))
    cells = [c.text for t in document.tables[1:] for row in t.rows for c in row.cells]
    numbers, marks = [n for n in cells[0::2] if n], [m for m in cells[1::2] if m]
    assert [int(n) for n in numbers] == list(range(1, 91))
    for text, item in zip(marks, doc.items, strict=True):
        expected = ["√", "×"] if item.type == "judgement" else [o.letter for o in item.options]
        assert re.findall(r"\[(.)\]", text) == expected
    # the sheet's headings name the part and its items; the instructions are the paper's
    short = [h[: h.index("。")] + "）" for h in HEADINGS]
    assert [p for p in body_paragraphs(document) if p in short] == short


def test_copies_are_sections_restarting_page_numbers(files: Files) -> None:
    document = docx.Document(str(files.copies))
    sections = document.sections
    assert len(sections) == 3
    for section, serial in zip(sections, SERIALS, strict=True):
        assert not section.header.is_linked_to_previous
        assert section.header.paragraphs[0].text == f"绝密★启用前\t\t{serial}"
        assert section.footer.paragraphs[0].text.endswith(f"\t{serial}")
        number_type = section._sectPr.find(qn("w:pgNumType"))
        assert number_type is not None and number_type.get(qn("w:start")) == "1"
        fields = [t.text.strip() for t in section.footer._element.iter(qn("w:instrText"))]
        assert fields == ["PAGE", "SECTIONPAGES"]
    single = docx.Document(str(files.paper)).sections[0].footer._element
    assert [t.text.strip() for t in single.iter(qn("w:instrText"))] == ["PAGE", "NUMPAGES"]
    body = compact("".join(body_paragraphs(document)))
    assert body.count("一、判断题") == 3


def test_write_copies_copies_the_body_exactly() -> None:
    document = new_document(title="t", subject="s")
    write_copies(
        document, ["X-1", "X-2"], header_text="H", write=lambda: document.add_paragraph("正文")
    )
    assert [p.text for p in document.paragraphs] == ["正文", "", "正文"]
    with pytest.raises(ValueError):
        write_copies(new_document(title="t", subject="s"), [], header_text="H", write=lambda: None)


def test_operator_language_never_reaches_the_paper(printed: Printed) -> None:
    set_language("en")
    out, english = io.BytesIO(), io.BytesIO()
    write_theory_paper(printed.docs["A"], out)
    write_theory_paper(printed.docs["A"], english, lang="en")
    document = docx.Document(io.BytesIO(out.getvalue()))
    paragraphs = body_paragraphs(document)
    assert "注　意　事　项" in paragraphs and HEADINGS[0] in paragraphs
    assert document.sections[0].header.paragraphs[0].text.startswith("绝密★启用前")
    assert "第" in document.sections[0].footer.paragraphs[0].text
    document = docx.Document(io.BytesIO(english.getvalue()))  # asked for by name only
    assert "Instructions" in body_paragraphs(document)
    assert "Page" in document.sections[0].footer.paragraphs[0].text


def test_failed_write_leaves_no_file(printed: Printed, tmp_path: Path) -> None:
    broken = replace(
        printed.docs["A"], sections=(replace(printed.docs["A"].sections[0], type="essay"),)
    )
    with pytest.raises(KeyError):
        write_answer_key(broken, tmp_path / "key.docx")
    assert list(tmp_path.iterdir()) == []


# --- rendered by LibreOffice ----------------------------------------------------------------


@needs_office
def test_pdf_paper_has_every_stem_in_order_and_no_answer(printed: Printed, pdfs: Pdfs) -> None:
    doc = printed.docs["A"]
    text = pdf_text(pdfs.paper, skip_left=SEAL_MARGIN)
    assert out_of_order(plain(text), [shown(i) for i in doc.items]) is None
    assert out_of_order(text, HEADINGS) is None
    flat, key = compact(text), compact(pdf_text(pdfs.key))
    for item in doc.items:
        explanation = compact(item.explanation or "")[:20]
        assert explanation in key and explanation not in flat
    for row in answer_rows(doc):
        assert row in key and row not in flat
    assert pdfs.pages >= 4
    assert f"第{pdfs.pages}页共{pdfs.pages}页" in flat


@needs_office
def test_pdf_copies_restart_numbering_and_carry_their_serial(pdfs: Pdfs) -> None:
    assert pdf_pages(pdfs.copies) == 3 * pdfs.pages
    pages = pdf_text(pdfs.copies).split("\f")[: 3 * pdfs.pages]
    for index, page in enumerate(pages):
        serial = SERIALS[index // pdfs.pages]
        flat = compact(page)
        assert flat.count(compact(serial)) == 2  # header and footer
        assert all(compact(s) not in flat for s in SERIALS if s != serial)
        assert f"第{index % pdfs.pages + 1}页共{pdfs.pages}页" in flat
    assert pdf_pages(pdfs.sheets) == 2 * pdfs.sheet_pages


@needs_office
def test_pdf_key_and_sheet(printed: Printed, pdfs: Pdfs) -> None:
    doc = printed.docs["A"]
    key = compact(pdf_text(pdfs.key))
    assert "绝密" in key and doc.fingerprint in key
    assert out_of_order(key, [i.answer for i in doc.sections[2].items]) is None
    sheet = pdf_text(pdfs.sheet)
    assert out_of_order(sheet, [f"{i.number}[" for i in doc.items]) is None
    assert pdf_pages(pdfs.sheet) == pdfs.sheet_pages == 1
