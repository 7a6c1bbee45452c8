"""PDF print masters (`qbank export … --pdf`): each copy's own 第 x 页 共 y 页, copies on
separate sheets in duplex, fonts embedded, the print list's hashes and page counts, and the
export without LibreOffice.

One print run of the assembled batch (two copies, the key included, the operator's language
English) is rendered for the whole module: LibreOffice runs once here, not per test.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from pdf_tools import compact, needs_office, pdf_pages, pdf_text
from print_samples import print_run
from test_print_practical import assembled_database

from cli.main import cli
from exporters.pdf import render_pdfs
from exporters.print_run import PRINT_LIST_JSON, PRINT_LIST_XLSX, print_list, render_print_run
from qbank.canonical import sha256_hex

COPIES = 2
PER_CANDIDATE = {"paper", "answer_sheet", "practical", "scoring"}


@dataclass(frozen=True)
class Masters:
    out: Path
    listing: dict[str, object]
    files: list[dict[str, object]]

    def pdfs(self) -> list[dict[str, object]]:
        return [f for f in self.files if str(f["name"]).endswith(".pdf")]


@pytest.fixture(scope="module")
def masters(tmp_path_factory: pytest.TempPathFactory) -> Masters:
    if shutil.which("soffice") is None or shutil.which("pdfinfo") is None:
        pytest.skip("LibreOffice (soffice) and pdfinfo are needed for PDF print masters")
    db = tmp_path_factory.mktemp("pdf-masters") / "qbank.db"
    shutil.copyfile(assembled_database(tmp_path_factory), db)
    out = db.parent / "印制"
    args = ["export", "batch", "--batch", "1", "--copies", str(COPIES), "--with-key", "--pdf"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("QBANK_LANG", "en")  # the operator's language changes no document
        result = CliRunner().invoke(cli, [*args, "--json", "--out", str(out), "--db", str(db)])
    assert result.exit_code == 0, result.output
    listing = json.loads(result.stdout)
    return Masters(out, listing, listing["files"])


@needs_office
def test_every_docx_and_the_print_list_have_a_pdf_beside_them(masters: Masters) -> None:
    docx = {p.stem for p in masters.out.glob("*.docx")}
    assert len(docx) == 10  # papers, answer sheets and keys A/B; practical P's four
    assert {p.stem for p in masters.out.glob("*.pdf")} == docx | {Path(PRINT_LIST_XLSX).stem}
    assert {str(f["name"]) for f in masters.pdfs()} == {f"{stem}.pdf" for stem in docx}


@needs_office
def test_each_copy_numbers_its_own_pages(masters: Masters) -> None:
    """第 x 页 共 y 页 on every page of every copy, y the copy's own total; a blank back (no
    text at all) after a copy whose total is odd."""
    for file in masters.pdfs():
        pdf = masters.out / str(file["name"])
        pages = pdf_text(pdf, skip_left=60).split("\f")[:-1]
        assert len(pages) == pdf_pages(pdf) == file["pages"], file["name"]
        total, step = int(str(file["copy_pages"])), int(str(file["pages_per_copy"]))
        for copy in range(int(str(file["copies"]))):
            chunk = pages[copy * step : (copy + 1) * step]
            for number, page in enumerate(chunk[:total], start=1):
                assert f"第{number}页共{total}页" in compact(page), (file["name"], copy, number)
            assert all(not page.strip() for page in chunk[total:]), (file["name"], copy)


@needs_office
def test_copies_start_on_odd_pages_for_duplex(masters: Masters) -> None:
    per_candidate = [f for f in masters.pdfs() if f["kind"] in PER_CANDIDATE]
    assert len(per_candidate) == 6 and all(f["copies"] == COPIES for f in per_candidate)
    for file in per_candidate:
        step = int(str(file["pages_per_copy"]))
        assert step % 2 == 0, file["name"]  # each copy whole sheets: the next starts on a front
        assert step - int(str(file["copy_pages"])) in (0, 1), file["name"]
        assert file["pages"] == COPIES * step
    assert any(f["pages_per_copy"] != f["copy_pages"] for f in per_candidate), (
        "no copy has an odd page count: the blank backs go untested"
    )
    assert masters.listing["duplex"] is True


@needs_office
def test_fonts_are_embedded_serif_body_and_sans_headings(masters: Masters) -> None:
    for file in masters.pdfs():
        fonts = subprocess.run(
            ["pdffonts", str(masters.out / str(file["name"]))],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout.splitlines()[2:]
        assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts  # emb
        names = " ".join(line.split()[0] for line in fonts)
        assert "NotoSerifCJK" in names, (file["name"], names)  # 宋体's stand-in, the body
        if file["kind"] in ("paper", "key", "practical", "scoring"):
            assert "NotoSansCJK" in names, (file["name"], names)  # 黑体's, the headings


@needs_office
def test_the_print_list_records_the_pdfs_hashes_and_pages(masters: Masters) -> None:
    listing = print_list({PRINT_LIST_JSON: (masters.out / PRINT_LIST_JSON).read_bytes()})
    assert {f.name for f in listing.files} == {str(f["name"]) for f in masters.files}
    for file in listing.files:
        data = (masters.out / file.name).read_bytes()
        assert sha256_hex(data) == file.sha256 and len(data) == file.size, file.name
        if file.is_pdf:
            assert pdf_pages(masters.out / file.name) == file.pages
    book = load_workbook(masters.out / PRINT_LIST_XLSX)
    rows = list(book.worksheets[0].iter_rows(min_row=4, values_only=True))
    # a row per printed copy, of the PDF masters: each file's copies (notices and keys once)
    assert len(rows) == sum(f.copies for f in listing.masters)
    assert {row[3] for row in rows} == {f.name for f in listing.files if f.is_pdf}
    by_name = {f.name: f for f in listing.files}
    assert all(row[-1] == by_name[str(row[3])].sha256 for row in rows)
    files_sheet = list(book.worksheets[1].iter_rows(min_row=4, values_only=True))
    assert {row[0] for row in files_sheet} == set(by_name)
    assert pdf_pages(masters.out / "印制清单.pdf") >= 1


@needs_office
def test_the_same_documents_give_the_same_pdf_bytes(masters: Masters) -> None:
    """LibreOffice's time stamp, ID and checksum become the batch's (`exporters.pdf`), so a
    re-export gives the hashes of the print list again."""
    created = datetime.fromisoformat(str(masters.listing["created"]).removesuffix("Z"))
    notices = {p.name: p.read_bytes() for p in masters.out.glob("*准备通知单-P.docx")}
    first, again = (render_pdfs(notices, created=created) for _ in range(2))
    assert len(first) == 2 and first == again
    assert all(f"/CreationDate(D:{created:%Y%m%d%H%M%S}".encode() in pdf for pdf in again.values())


def test_without_libreoffice_the_docx_are_written_and_the_command_says_why(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "qbank.db"
    shutil.copyfile(assembled_database(tmp_path_factory), db)
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    out = tmp_path / "印制"
    args = ["export", "practical", "--batch", "1", "--copies", "1", "--out", str(out)]
    result = CliRunner().invoke(cli, [*args, "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "注意：未生成 PDF 印制母版（本机没有找到 soffice；需要 LibreOffice 和 poppler-utils），"
        "只写了 Word/Excel 文件，页脚“共 y 页”为空\n"
    )
    assert sorted(p.suffix for p in out.iterdir()) == [".docx"] * 4 + [".json", ".xlsx"]
    listing = json.loads((out / PRINT_LIST_JSON).read_text("utf-8"))
    assert all(f["pages"] is None for f in listing["files"])
    assert listing["duplex"] is False  # no page counts, no blank backs

    asked = CliRunner().invoke(cli, [*args[:-1], str(tmp_path / "asked"), "--pdf", "--db", str(db)])
    assert asked.exit_code == 1
    assert "本机没有找到 soffice" in asked.stderr
    assert not (tmp_path / "asked").exists()


# --- what the print room sees: one pixel check per document type ------------------------------

DPI = 72
MM = DPI / 25.4


def page_image(pdf: Path, page: int) -> np.ndarray:
    """Page `page` of `pdf` at `DPI` as dark pixels (rows × columns, True where inked)."""
    data = subprocess.run(
        ["pdftoppm", "-r", str(DPI), "-gray", "-f", str(page), "-l", str(page), str(pdf)],
        capture_output=True,
        timeout=60,
        check=True,
    ).stdout
    magic, width, height, _, pixels = data.split(maxsplit=4)
    assert magic == b"P5"
    shape = (int(height), int(width))
    return np.frombuffer(pixels[-shape[0] * shape[1] :], np.uint8).reshape(shape) < 128


def longest_rule(dark: np.ndarray) -> float:
    """The longest unbroken dark run along any row, in mm: a table's border, never text."""
    edges = np.diff(np.pad(dark, ((0, 0), (1, 1))).astype(np.int8), axis=1)
    starts, ends = np.nonzero(edges == 1), np.nonzero(edges == -1)
    return float((ends[1] - starts[1]).max(initial=0)) / MM


def box(dark: np.ndarray, x: tuple[float, float], y: tuple[float, float]) -> float:
    """Share of dark pixels between `x` and `y` (mm from the top left corner)."""
    return float(dark[int(y[0] * MM) : int(y[1] * MM), int(x[0] * MM) : int(x[1] * MM)].mean())


def size_mm(dark: np.ndarray) -> tuple[int, int]:
    """The page's height and width in whole mm."""
    return round(dark.shape[0] / MM), round(dark.shape[1] / MM)


def first_pages(masters: Masters, kind: str) -> tuple[Path, list[int]]:
    """The PDF of `kind` (paper A's for the theory documents) and each copy's first page."""
    file = next(f for f in masters.pdfs() if f["kind"] == kind)
    step = int(str(file["pages_per_copy"]))
    return masters.out / str(file["name"]), list(range(1, int(str(file["pages"])) + 1, step))


SEAL_STRIP = ((5.0, 22.0), (30.0, 267.0))  # the 密封线 box in the left binding margin


@needs_office
def test_pixels_paper_seal_line_on_odd_pages_of_every_copy(masters: Masters) -> None:
    pdf, firsts = first_pages(masters, "paper")
    for first in firsts:
        odd, even, next_odd = (page_image(pdf, first + n) for n in range(3))
        assert box(odd, *SEAL_STRIP) > 0.01 and box(next_odd, *SEAL_STRIP) > 0.01, first
        assert box(even, *SEAL_STRIP) == 0.0, first


@needs_office
def test_pixels_answer_sheet_corner_marks_and_a_white_back(masters: Masters) -> None:
    pdf, firsts = first_pages(masters, "answer_sheet")
    for first in firsts:
        sheet = page_image(pdf, first)
        for x in (8.0, 198.0):  # 6 mm squares 7 mm in from the edges
            for y in (8.0, 285.0):
                assert box(sheet, (x, x + 4), (y, y + 4)) > 0.95, (first, x, y)
        assert not page_image(pdf, first + 1).any(), first  # the blank back: no ink at all


@needs_office
@pytest.mark.parametrize(
    "kind", ["key", "practical", "scoring", "venue_notice", "candidate_notice"]
)
def test_pixels_tables_are_ruled_and_no_seal_line(masters: Masters, kind: str) -> None:
    """The answer grid, notice list or rubric has its borders across the text width (150 mm
    of A4's 210 less margins); only the candidates' theory paper carries a 密封线."""
    pdf, firsts = first_pages(masters, kind)
    page = page_image(pdf, firsts[0])
    assert size_mm(page) == (297, 210)
    assert longest_rule(page) > 140, kind
    assert box(page, *SEAL_STRIP) == 0.0, kind


@needs_office
def test_pixels_print_list_is_landscape_with_the_signature_columns(masters: Masters) -> None:
    page = page_image(masters.out / "印制清单.pdf", 1)
    assert size_mm(page) == (210, 297)  # landscape A4
    assert box(page, (230.0, 290.0), (10.0, 60.0)) > 0.001  # 印制人/核对人 on the same page


@needs_office
def test_one_copy_with_a_blank_back_counts_only_its_own_pages(tmp_path: Path) -> None:
    """A single copy is a one-section file whose NUMPAGES would count the blank back too
    (第 1 页 共 4 页 on a 3-page paper); its footers give the copy's own total."""
    files = render_print_run(print_run(), copies=1, kinds=("paper",), pdf=True)
    entry = next(
        f for f in json.loads(files[PRINT_LIST_JSON])["files"] if f["name"] == "试卷-A.pdf"
    )
    total = int(entry["copy_pages"])
    assert entry["pages"] == total + 1  # the blank back is there
    pdf = tmp_path / "试卷-A.pdf"
    pdf.write_bytes(files["试卷-A.pdf"])
    pages = pdf_text(pdf, skip_left=60).split("\f")[:-1]
    for number, page in enumerate(pages[:total], start=1):
        assert f"第{number}页共{total}页" in compact(page)
    assert not pages[total].strip()
