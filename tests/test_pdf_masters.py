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

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from pdf_tools import compact, needs_office, pdf_pages, pdf_text
from test_print_practical import assembled_database

from cli.main import cli
from exporters.pdf import render_pdfs
from exporters.print_run import PRINT_LIST_JSON, PRINT_LIST_XLSX, print_list
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
