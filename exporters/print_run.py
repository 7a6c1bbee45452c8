"""The print run of a batch (印制) as files: every document the print room needs, copies with
serial numbers, and the print list (印制清单) that accounts for each copy.

Takes a `qbank.printing.PrintRunDoc` (the batch's papers as plain records); reads no
database. Documents per paper, named for the people who handle them:

- theory paper X: `试卷-X.docx` and `答题卡-X.docx`, N copies each in one file, copy n with the
  serial `{batch}-{X}-{n:03d}` in its header and footer (paper and answer sheet of one
  candidate share a serial); `参考答案-X.docx` once, and only when the `key` kind is asked
  (the answer key never goes to the print room with the papers by default);
- practical paper P: `操作技能试卷-P.docx` (candidate's copy, no criteria) and
  `评分记录表-P.docx` (for the examiners), N copies each with serials; the preparation
  notices once each, as two documents since they go to different people before the exam:
  `考场准备通知单-P.docx` (to the site) and `考生准备通知单-P.docx` (to the candidates),
  each written when its list has rows (the `notices` kind asks for both).

Every document is in its own language (`lang`, default Chinese), whatever the operator's.

PDF print masters (`pdf`): every .docx and the print list's .xlsx also as a PDF beside it
(`试卷-A.pdf` …), laid out by LibreOffice with fonts embedded (`exporters.pdf`). LibreOffice
prints 共 y 页 only as the file stores it, and a file of N copies needs each copy's own
total, so one copy of each document is rendered first, its page count y stored as the
result of the footer's page-count field, and then every document is rendered whole. With
`duplex` (the default), a document whose copy has an odd page count gets a blank page after
each copy (a section of its own, no header or footer), so every copy starts on a new sheet
when the file is printed on both sides. The PDFs' page counts are checked against what the
footers say; the print list records each PDF with its SHA-256 and real page count.

The print list comes twice: `印制清单.xlsx` for people (a row per copy: serial, paper,
document, copy number, pages when counted, the first 16 hex digits of the file's SHA-256,
blank 印制人/核对人 signature columns (the print masters' rows: the PDF's when there is one), the full SHA-256 in a hidden last column; a second
sheet per file), set up to print on landscape A4, one page wide, title rows on every page,
in 宋体; and `print-list.json` for programs (batch, files with full SHA-256 and serials).

Same input, same bytes: every zip entry is stamped with the batch's creation time and the
documents' core properties (created/modified) say the same, so re-exporting a batch gives files
with the same SHA-256 (the PDFs too, on the same LibreOffice and fonts: `exporters.pdf`). python-docx's XML is byte-stable by itself; only its zip timestamps
(the time of saving) vary, which is what the restamping removes.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Mapping, Sequence
from copy import deepcopy
from dataclasses import asdict, dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, cast

import docx
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.oxml.section import CT_SectPr
from docx.oxml.text.paragraph import CT_P
from docx.section import Section
from lxml import etree
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from exporters import directory
from exporters.answer_sheet_docx import write_answer_sheet
from exporters.docx_page import BODY_FONT
from exporters.pdf import page_count, render_pdfs
from exporters.practical_paper_docx import (
    PREP_AUDIENCES,
    write_practical_paper,
    write_preparation_notice,
    write_scoring_record,
)
from exporters.theory_docx import write_answer_key, write_theory_paper
from qbank.canonical import sha256_hex
from qbank.errors import InvalidInput
from qbank.i18n import DOCUMENT_LANGUAGE, tr
from qbank.printing import PracticalPaperDoc, PrintDoc, PrintRunDoc, TheoryPaperDoc

__all__ = [
    "ALL_KINDS",
    "KEY_KINDS",
    "MAX_COPIES",
    "PRACTICAL_KINDS",
    "PRINT_LIST_JSON",
    "PRINT_LIST_XLSX",
    "PRINT_ROOM_KINDS",
    "THEORY_KINDS",
    "PrintList",
    "PrintedFile",
    "check_copies",
    "check_out_dir",
    "paper_kinds",
    "print_list",
    "render_print_run",
    "serials",
    "write_directory",
]

MAX_COPIES = 10_000
PRINT_LIST_JSON = "print-list.json"
PRINT_LIST_XLSX = "印制清单.xlsx"

THEORY_KINDS = ("paper", "answer_sheet")
KEY_KINDS = ("key",)
PRACTICAL_KINDS = ("practical", "notices", "scoring")
ALL_KINDS = (*THEORY_KINDS, *KEY_KINDS, *PRACTICAL_KINDS)
PRINT_ROOM_KINDS = (*THEORY_KINDS, *PRACTICAL_KINDS)
"""Everything but the answer key: what `qbank export batch` sends to the print room."""

_FILE_NAMES = {
    "paper": "试卷-{code}.docx",
    "answer_sheet": "答题卡-{code}.docx",
    "key": "参考答案-{code}.docx",
    "practical": "操作技能试卷-{code}.docx",
    "venue_notice": "考场准备通知单-{code}.docx",
    "candidate_notice": "考生准备通知单-{code}.docx",
    "scoring": "评分记录表-{code}.docx",
}
"""File kind → file name; a document kind is one file kind but `notices`, which is two."""
_PER_CANDIDATE = frozenset({"paper", "answer_sheet", "practical", "scoring"})
_FAMILIES = {"theory": (*THEORY_KINDS, *KEY_KINDS), "practical": PRACTICAL_KINDS}
"""Paper kind → the document kinds printed from such a paper, in `ALL_KINDS` order."""

_WRITERS: dict[str, Callable[..., None]] = {
    "paper": write_theory_paper,
    "answer_sheet": write_answer_sheet,
    "key": write_answer_key,
    "practical": write_practical_paper,
    "venue_notice": partial(write_preparation_notice, audience="venue"),
    "candidate_notice": partial(write_preparation_notice, audience="candidate"),
    "scoring": write_scoring_record,
}
_SHA_SHOWN = 16  # hex digits of a SHA-256 the printed list shows


def serials(batch_code: str, paper_code: str, copies: int) -> list[str]:
    """Serial numbers of copies 1…`copies` of one paper: `20261212-01-A-007`.

    Raises InvalidInput unless 1 ≤ copies ≤ MAX_COPIES.
    """
    check_copies(copies)
    return [f"{batch_code}-{paper_code}-{n:03d}" for n in range(1, copies + 1)]


def check_copies(copies: int) -> None:
    """Raise InvalidInput unless 1 ≤ copies ≤ MAX_COPIES."""
    if not 1 <= copies <= MAX_COPIES:
        raise InvalidInput("print.bad_copies", value=copies)


def paper_kinds(kinds: Sequence[str]) -> tuple[str, ...]:
    """The paper kinds ("theory", "practical", in that order) the document `kinds` print from.

    Raises ValueError for no kinds or a kind not in `ALL_KINDS` (a caller's mistake).
    """
    unknown = [k for k in kinds if k not in ALL_KINDS]
    if unknown or not kinds:
        raise ValueError(f"unknown document kinds {unknown}; expected some of {ALL_KINDS}")
    return tuple(paper for paper, family in _FAMILIES.items() if set(family) & set(kinds))


@dataclass(frozen=True)
class PrintedFile:
    """One file of a print run (a .docx or its PDF print master). `serials` names its
    copies in order (empty for a document printed once); `pages` is the PDF's page count
    (blank backs included) when PDFs were made; `copy_pages` what each copy's footer gives
    as 共 y 页."""

    name: str
    paper: str
    kind: str
    fingerprint: str
    copies: int
    serials: tuple[str, ...]
    sha256: str
    size: int
    pages: int | None = None
    copy_pages: int | None = None

    @property
    def pages_per_copy(self) -> int | None:
        """Pages one copy takes in the file, a blank back included (sheets × 2 in duplex)."""
        return None if self.pages is None else self.pages // self.copies

    @property
    def is_pdf(self) -> bool:
        return self.name.endswith(".pdf")


@dataclass(frozen=True)
class PrintList:
    """What a print run holds, for the print log: the batch and every file with its hash;
    `duplex`: the PDFs' copies start on a new sheet when printed on both sides (blank
    backs; false without PDFs, whose page counts decide them)."""

    batch_id: int
    batch_code: str
    occupation_code: str
    occupation_name: str
    level: int
    level_name: str
    exam_date: str
    site: str
    created: str
    copies: int
    files: tuple[PrintedFile, ...]
    duplex: bool = False

    @property
    def masters(self) -> tuple[PrintedFile, ...]:
        """The files to print: the PDFs when there are, else the Word files."""
        pdfs = tuple(f for f in self.files if f.is_pdf)
        return pdfs or self.files

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["files"] = [
            {**asdict(f), "serials": list(f.serials), "pages_per_copy": f.pages_per_copy}
            for f in self.files
        ]
        return data

    def to_json(self) -> bytes:
        return (json.dumps(self.as_dict(), ensure_ascii=False, indent=2) + "\n").encode("utf-8")


@dataclass(frozen=True)
class _Job:
    """One document to write: its file kind, record and copies' serials (none: once)."""

    kind: str
    record: PrintDoc
    labels: tuple[str, ...]

    @property
    def name(self) -> str:
        return _FILE_NAMES[self.kind].format(code=self.record.paper_code)

    @property
    def copies(self) -> int:
        return max(1, len(self.labels))


def render_print_run(
    run: PrintRunDoc,
    *,
    copies: int,
    kinds: Sequence[str] = PRINT_ROOM_KINDS,
    lang: str | None = None,
    pdf: bool = False,
    duplex: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, bytes]:
    """Every file of the print run, name → bytes, the print list (xlsx and json) included.

    `kinds` picks documents (`ALL_KINDS`) for each paper of `run` they apply to, in paper
    order then `ALL_KINDS` order; `lang` is the documents' language (None: Chinese,
    `DOCUMENT_LANGUAGE`; the operator's language plays no part). With `pdf`, each copy's
    page count goes into its footers (共 y 页) and every .docx/.xlsx gets its PDF print master
    (see the module notes; `duplex` adds the blank backs). Writes nothing. Raises
    InvalidInput for bad copies and as `exporters.pdf.render_pdfs`, and `print.pages_differ`
    when a PDF's pages disagree with its footers; ValueError for unknown kinds or language.
    `progress` is called with the documents rendered and in all.
    """
    check_copies(copies)
    paper_kinds(kinds)
    lang = lang or DOCUMENT_LANGUAGE
    when = run.created.replace(microsecond=0, tzinfo=None)
    jobs = [
        _Job(file_kind, record, tuple(serials(run.batch_code, record.paper_code, copies)))
        if kind in _PER_CANDIDATE
        else _Job(file_kind, record, ())
        for record in run.papers
        for kind in _FAMILIES[_paper_kind(record)]
        if kind in kinds
        for file_kind in _file_kinds(kind, record)
    ]

    def advance(done: int) -> None:
        if progress is not None:
            progress(done, len(jobs))

    advance(0)  # rendering PDFs (LibreOffice) is often the longest part
    if not pdf:
        documents = {}
        for job in jobs:
            documents[job.name] = _docx(job, job.labels, None, False, when, lang)
            advance(len(documents))
        files = [_printed(job, documents[job.name], None, None) for job in jobs]
        return _with_list(run, copies, False, when, lang, documents, files, pdf=False)
    first = render_pdfs(
        {job.name: _docx(job, job.labels[:1], None, False, when, lang) for job in jobs}
    )
    per_copy = {job.name: page_count(first[_pdf_name(job.name)]) for job in jobs}
    backs = {job.name: duplex and bool(job.labels) and per_copy[job.name] % 2 == 1 for job in jobs}
    documents = {
        job.name: _docx(job, job.labels, per_copy[job.name], backs[job.name], when, lang)
        for job in jobs
    }
    masters = render_pdfs(documents, created=when)
    advance(len(jobs))
    files = []
    for job in jobs:
        master = masters[_pdf_name(job.name)]
        pages = page_count(master)
        expected = job.copies * (per_copy[job.name] + int(backs[job.name]))
        if pages != expected:
            raise InvalidInput(
                "print.pages_differ", file=_pdf_name(job.name), pages=pages, expected=expected
            )
        files.append(_printed(job, documents[job.name], pages, per_copy[job.name]))
        files.append(_printed(job, master, pages, per_copy[job.name], name=_pdf_name(job.name)))
    documents |= masters
    return _with_list(run, copies, duplex, when, lang, documents, files, pdf=True)


def _with_list(
    run: PrintRunDoc,
    copies: int,
    duplex: bool,
    when: datetime,
    lang: str,
    documents: dict[str, bytes],
    files: Sequence[PrintedFile],
    *,
    pdf: bool,
) -> dict[str, bytes]:
    """`documents` and the print list of `files` (xlsx, json; with `pdf`, the xlsx's PDF)."""
    listing = PrintList(
        batch_id=run.batch_id,
        batch_code=run.batch_code,
        occupation_code=run.occupation_code,
        occupation_name=run.occupation_name,
        level=run.level,
        level_name=run.level_name,
        exam_date=run.exam_date,
        site=run.site,
        created=when.isoformat() + "Z",
        copies=copies,
        files=tuple(files),
        duplex=duplex,
    )
    out = dict(documents)
    out[PRINT_LIST_XLSX] = _print_list_xlsx(listing, lang)
    if pdf:
        out |= render_pdfs({PRINT_LIST_XLSX: out[PRINT_LIST_XLSX]}, created=when)
    out[PRINT_LIST_JSON] = listing.to_json()
    return out


def print_list(documents: Mapping[str, bytes]) -> PrintList:
    """The print list inside `render_print_run` output (or a directory read into a mapping)."""
    data = json.loads(documents[PRINT_LIST_JSON])
    files = tuple(
        PrintedFile(
            **{
                **{k: v for k, v in f.items() if k != "pages_per_copy"},
                "serials": tuple(f["serials"]),
            }
        )
        for f in data.pop("files")
    )
    return PrintList(**data, files=files)


# --- rendering -----------------------------------------------------------------------------


def _paper_kind(record: PrintDoc) -> str:
    return "theory" if isinstance(record, TheoryPaperDoc) else "practical"


def _file_kinds(kind: str, record: PrintDoc) -> list[str]:
    """The files document `kind` of `record` is printed as: one, but for the notices one
    per audience whose preparation list has rows."""
    if kind != "notices":
        return [kind]
    assert isinstance(record, PracticalPaperDoc), "notices are a practical paper's"
    lists = {"venue": record.record.venue_prep, "candidate": record.record.candidate_prep}
    return [f"{audience}_notice" for audience in PREP_AUDIENCES if lists[audience]]


def _pdf_name(name: str) -> str:
    return f"{Path(name).stem}.pdf"


def _docx(
    job: _Job,
    labels: Sequence[str],
    pages: int | None,
    backs: bool,
    when: datetime,
    lang: str,
) -> bytes:
    """`job`'s document as bytes for copies `labels`, `when` stamped into it; `pages` per
    copy when known, `backs`: a blank page after each copy."""
    extra: dict[str, Any] = {"lang": lang}
    if job.kind in _PER_CANDIDATE:
        extra |= {"serials": list(labels), "pages": pages}
    out = io.BytesIO()
    _WRITERS[job.kind](job.record, out, **extra)
    data = _blank_backs(out.getvalue()) if backs else out.getvalue()
    return _stable_package(data, when)


def _printed(
    job: _Job, data: bytes, pages: int | None, copy_pages: int | None, *, name: str | None = None
) -> PrintedFile:
    """The print-list entry of `job`'s file `name` (default: its .docx) holding `data`."""
    return PrintedFile(
        name=name or job.name,
        paper=job.record.paper_code,
        kind=job.kind,
        fingerprint=job.record.fingerprint,
        copies=job.copies,
        serials=job.labels,
        sha256=sha256_hex(data),
        size=len(data),
        pages=pages,
        copy_pages=copy_pages,
    )


# --- blank backs for duplex ---------------------------------------------------------------

_SECTION_END = f"{qn('w:pPr')}/{qn('w:sectPr')}"
_TINY_PARAGRAPH = (
    f'<w:p {nsdecls("w")}><w:pPr><w:spacing w:before="0" w:after="0" w:line="20" '
    'w:lineRule="exact"/><w:rPr><w:sz w:val="2"/></w:rPr></w:pPr></w:p>'
)
_SECTION_PARTS = (
    "w:headerReference",
    "w:footerReference",
    "w:pgNumType",
    "w:titlePg",
    "w:type",
)


def _blank_backs(data: bytes) -> bytes:
    """The Word document `data` (copies as sections, `exporters.docx_page.write_copies`)
    with a blank page after each copy: a one-page section with empty headers and footers
    and no page number of its own, so the next copy starts on a new sheet in duplex.

    A copy's section ends with a paragraph holding its `w:sectPr`; the last copy's is the
    body's own, which moves into a paragraph of its own so that the blank page can follow.
    """
    document = docx.Document(io.BytesIO(data))
    body = document.element.body
    closing = body[-1]
    assert closing.tag == qn("w:sectPr"), "a document body ends with its section properties"
    last = _tiny_paragraph()
    last.get_or_add_pPr().append(closing)  # moves it out of the body's end
    body.append(last)
    ends = [(p, p.find(_SECTION_END)) for p in body.iterchildren(qn("w:p"))]
    for end, properties in ends:
        if properties is None:
            continue
        blank = _tiny_paragraph()
        back = deepcopy(properties)
        for tag in _SECTION_PARTS:
            for element in back.findall(qn(tag)):
                back.remove(element)
        end.addnext(blank)
        if end is last:
            body.append(back)
        else:
            blank.get_or_add_pPr().append(back)
        section = Section(cast(CT_SectPr, back), document.part)
        for part in (
            section.header,
            section.footer,
            section.even_page_header,
            section.even_page_footer,
        ):
            part.is_linked_to_previous = False
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _tiny_paragraph() -> CT_P:
    """An empty paragraph 1 pt high, so closing a section adds no line to its page."""
    return cast(CT_P, parse_xml(_TINY_PARAGRAPH))


# --- byte-stable packages -----------------------------------------------------------------

_CORE = "docProps/core.xml"
_DCTERMS = "{http://purl.org/dc/terms/}"


def _stable_package(data: bytes, when: datetime) -> bytes:
    """The same OOXML package with every zip entry stamped `when` and the core properties'
    created/modified set to `when`: equal content gives equal bytes whenever it is saved."""
    stamp = when.timetuple()[:6]
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            content = source.read(entry)
            if entry.filename == _CORE:
                content = _core_times(content, when)
            info = zipfile.ZipInfo(entry.filename, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, content)
    return out.getvalue()


def _core_times(xml: bytes, when: datetime) -> bytes:
    root = etree.fromstring(xml)
    for tag in ("created", "modified"):
        element = root.find(_DCTERMS + tag)
        if element is not None:
            element.text = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


# --- the print list workbook --------------------------------------------------------------


def _print_list_xlsx(listing: PrintList, lang: str) -> bytes:
    """印制清单 in `lang`: a row per copy with blank signature columns, and a sheet of the
    files; both print on landscape A4 (see `_print_setup`)."""

    def t(key: str, **params: object) -> str:
        return tr(key, lang=lang, **params)

    when = datetime.fromisoformat(listing.created.removesuffix("Z"))
    book = Workbook()
    book.properties.creator = "qbank"
    book.properties.title = t("print.list_title")
    book.properties.created = book.properties.modified = when
    copies = book.active
    assert copies is not None, "a new workbook has a sheet"
    copies.title = t("print.sheet_copies")
    info = t(
        "print.list_info",
        batch=listing.batch_code,
        occupation=listing.occupation_name,
        level=listing.level_name,
        date=listing.exam_date,
        site=listing.site,
    )
    footer = t("doc.page_of", page="&P", pages="&N")
    columns = ("row", "paper", "document", "file", "copy", "serial", "pages", "sha256_short")
    headers = [t(f"print.col.{c}") for c in (*columns, "printer", "checker", "sha256")]
    _sheet_head(copies, t("print.list_title"), info, headers)
    row = 0
    for file in listing.masters:
        labels: Sequence[str] = file.serials or ("",)
        for number, serial in enumerate(labels, start=1):
            row += 1
            copies.append(
                [
                    row,
                    file.paper,
                    t(f"print.doc.{file.kind}"),
                    file.name,
                    number,
                    serial,
                    file.pages_per_copy,
                    file.sha256[:_SHA_SHOWN],
                    None,
                    None,
                    file.sha256,
                ]
            )
    _print_setup(copies, (5, 5, 15, 25, 5, 21, 5, 19, 16, 16, 68), footer)
    files = book.create_sheet(t("print.sheet_files"))
    _sheet_head(
        files,
        t("print.list_title"),
        info,
        [
            t(f"print.col.{c}")
            for c in (
                "file",
                "paper",
                "document",
                "copies",
                "pages",
                "bytes",
                "sha256_short",
                "sha256",
            )
        ],
    )
    for file in listing.files:
        files.append(
            [
                file.name,
                file.paper,
                t(f"print.doc.{file.kind}"),
                file.copies,
                file.pages,
                file.size,
                file.sha256[:_SHA_SHOWN],
                file.sha256,
            ]
        )
    _print_setup(files, (25, 6, 15, 8, 8, 10, 19, 68), footer)
    out = io.BytesIO()
    book.save(out)
    return _stable_package(out.getvalue(), when)


def _sheet_head(sheet: Any, title: str, info: str, headers: Sequence[str]) -> None:
    sheet.append([title])
    sheet.append([info])
    sheet.append(list(headers))
    for cell in sheet[3]:
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
    sheet.freeze_panes = "A4"


def _print_setup(sheet: Any, widths: Sequence[int], footer: str) -> None:
    """Column widths (the last column, the full SHA-256, hidden: it is for programs and
    for a check on screen, not for paper), every cell in 宋体 (the title 14 pt, the column
    titles bold), and the page: landscape A4, one page wide, the three title rows repeated
    on every page, centred horizontally, `footer` (the page line) at the foot."""
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.column_dimensions[get_column_letter(len(widths))].hidden = True
    for row in sheet.iter_rows(max_col=len(widths)):
        for cell in row:
            cell.font = Font(name=BODY_FONT, size=10.5, bold=cell.row == 3)
    sheet["A1"].font = Font(name=BODY_FONT, size=14, bold=True)
    sheet.print_title_rows = "1:3"
    sheet.print_area = f"A1:{get_column_letter(len(widths) - 1)}{sheet.max_row}"
    setup = sheet.page_setup
    setup.orientation = "landscape"
    setup.paperSize = sheet.PAPERSIZE_A4
    setup.fitToWidth = 1
    setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.oddFooter.center.text = footer
    sheet.oddFooter.center.font = BODY_FONT


# --- the output directory -----------------------------------------------------------------


def check_out_dir(target: Path, *, force: bool) -> None:
    """Refuse a file, a non-empty directory (unless `force` and it is an earlier export).

    Raises InvalidInput naming the directory and what is wrong with it.
    """
    if target.exists() and not target.is_dir():
        raise InvalidInput("print.out_is_file", path=str(target))
    if not target.is_dir() or not any(target.iterdir()):
        return
    if not force:
        raise InvalidInput("print.out_not_empty", path=str(target))
    if not (target / PRINT_LIST_JSON).is_file():
        raise InvalidInput("print.out_not_export", path=str(target))


def write_directory(target: Path, documents: Mapping[str, bytes], *, force: bool) -> None:
    """Write `documents` (name → bytes) as the files of directory `target`: all or none.

    `target` is checked as by `check_out_dir`; an earlier export is replaced whole (with
    `force`). The files are readable by the owner only.
    Side effects: creates `target` and its missing parents.
    """
    check_out_dir(target, force=force)
    directory.write_directory(target, documents)
