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

The print list comes twice: `印制清单.xlsx` for people (a row per copy: serial, paper,
document, copy number, pages when counted, the first 16 hex digits of the file's SHA-256,
blank 印制人/核对人 signature columns, the full SHA-256 in a hidden last column; a second
sheet per file), set up to print on landscape A4, one page wide, title rows on every page,
in 宋体; and `print-list.json` for programs (batch, files with full SHA-256 and serials).

Same input, same bytes: every zip entry is stamped with the batch's creation time and the
documents' core properties (created/modified) say the same, so re-exporting a batch gives files
with the same SHA-256. python-docx's XML is byte-stable by itself; only its zip timestamps
(the time of saving) vary, which is what the restamping removes.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from lxml import etree
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from exporters import directory
from exporters.answer_sheet_docx import write_answer_sheet
from exporters.docx_page import BODY_FONT
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
    "can_count_pages",
    "check_copies",
    "check_out_dir",
    "count_pages",
    "paper_kinds",
    "print_list",
    "render_print_run",
    "serials",
    "write_directory",
]

MAX_COPIES = 10_000
_OFFICE_SECONDS = 600  # one LibreOffice run converting every document of a print run
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
    """One document of a print run. `serials` names its copies in order (empty for a
    document printed once); `pages` is the file's page count when it was counted."""

    name: str
    paper: str
    kind: str
    fingerprint: str
    copies: int
    serials: tuple[str, ...]
    sha256: str
    size: int
    pages: int | None = None

    @property
    def pages_per_copy(self) -> int | None:
        return None if self.pages is None else self.pages // self.copies


@dataclass(frozen=True)
class PrintList:
    """What a print run holds, for the print log: the batch and every file with its hash."""

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
class _Rendered:
    file: PrintedFile
    data: bytes


def render_print_run(
    run: PrintRunDoc,
    *,
    copies: int,
    kinds: Sequence[str] = PRINT_ROOM_KINDS,
    lang: str | None = None,
    count: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, bytes]:
    """Every file of the print run, name → bytes, the print list (xlsx and json) included.

    `kinds` picks documents (`ALL_KINDS`) for each paper of `run` they apply to, in paper
    order then `ALL_KINDS` order; `lang` is the documents' language (None: Chinese,
    `DOCUMENT_LANGUAGE`; the operator's language plays no part). With `count`, one copy
    of each document is laid out by LibreOffice first; its page count goes into the files
    (as 共 y 页) and into the print list. `progress` is called with the documents rendered
    and in all. Writes nothing. Raises InvalidInput for bad copies and as `count_pages`;
    ValueError for unknown kinds or language.
    """
    check_copies(copies)
    paper_kinds(kinds)
    lang = lang or DOCUMENT_LANGUAGE
    when = run.created.replace(microsecond=0, tzinfo=None)
    jobs = [
        (file_kind, record, serials(run.batch_code, record.paper_code, copies))
        if kind in _PER_CANDIDATE
        else (file_kind, record, [])
        for record in run.papers
        for kind in _FAMILIES[_paper_kind(record)]
        if kind in kinds
        for file_kind in _file_kinds(kind, record)
    ]
    per_copy: dict[str, int] = {}
    if progress is not None:
        progress(0, len(jobs))  # counting pages (LibreOffice) is often the longest part
    if count:
        per_copy = count_pages(
            {_name(k, r): _docx(k, r, labels[:1], None, when, lang) for k, r, labels in jobs}
        )
    rendered = []
    for kind, record, labels in jobs:
        rendered.append(
            _document(kind, record, labels, when, per_copy.get(_name(kind, record)), lang)
        )
        if progress is not None:
            progress(len(rendered), len(jobs))
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
        files=tuple(r.file for r in rendered),
    )
    out = {r.file.name: r.data for r in rendered}
    out[PRINT_LIST_XLSX] = _print_list_xlsx(listing, lang)
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


def can_count_pages() -> bool:
    """Whether LibreOffice and pdfinfo are here to count pages (`count_pages`)."""
    return bool(shutil.which("soffice") and shutil.which("pdfinfo"))


def count_pages(documents: Mapping[str, bytes]) -> dict[str, int]:
    """Pages of each Word document as LibreOffice lays it out (one headless conversion).

    Side effects: runs `soffice` and `pdfinfo` on copies in a temporary directory.
    Raises InvalidInput when `soffice` or `pdfinfo` is missing or a conversion fails.
    """
    soffice, pdfinfo = shutil.which("soffice"), shutil.which("pdfinfo")
    if soffice is None or pdfinfo is None:
        raise InvalidInput("print.no_office")
    with tempfile.TemporaryDirectory(prefix="qbank-pages-") as tmp:
        folder = Path(tmp)
        paths = []
        for name, data in documents.items():
            path = folder / name
            path.write_bytes(data)
            paths.append(path)
        profile = (folder / "profile").as_uri()
        command = [soffice, f"-env:UserInstallation={profile}", "--headless", "--norestore"]
        command += ["--convert-to", "pdf", "--outdir", str(folder / "pdf"), *map(str, paths)]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=_OFFICE_SECONDS, check=False
            )
        except subprocess.TimeoutExpired:
            reason = f"no result after {_OFFICE_SECONDS} s"
            raise InvalidInput("print.render_failed", file=paths[0].name, reason=reason) from None
        pages = {}
        for path in paths:
            pdf = folder / "pdf" / f"{path.stem}.pdf"
            if not pdf.exists():
                reason = done.stderr.strip() or f"exit status {done.returncode}"
                raise InvalidInput("print.render_failed", file=path.name, reason=reason)
            info = subprocess.run(
                [pdfinfo, str(pdf)], capture_output=True, text=True, timeout=60, check=True
            ).stdout
            pages[path.name] = next(
                int(line.split(":", 1)[1])
                for line in info.splitlines()
                if line.startswith("Pages:")
            )
    return pages


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


def _name(kind: str, record: PrintDoc) -> str:
    return _FILE_NAMES[kind].format(code=record.paper_code)


def _docx(
    kind: str,
    record: PrintDoc,
    labels: Sequence[str],
    pages: int | None,
    when: datetime,
    lang: str,
) -> bytes:
    """One document as bytes, `when` stamped into it; `labels` its copies' serials."""
    extra: dict[str, Any] = {"lang": lang}
    if kind in _PER_CANDIDATE:
        extra |= {"serials": list(labels), "pages": pages}
    out = io.BytesIO()
    _WRITERS[kind](record, out, **extra)
    return _stable_package(out.getvalue(), when)


def _document(
    kind: str,
    record: PrintDoc,
    labels: Sequence[str],
    when: datetime,
    pages: int | None,
    lang: str,
) -> _Rendered:
    """One document of the run and its print-list entry; `pages` per copy when counted."""
    data = _docx(kind, record, labels, pages, when, lang)
    copies = max(1, len(labels))
    printed = PrintedFile(
        name=_name(kind, record),
        paper=record.paper_code,
        kind=kind,
        fingerprint=record.fingerprint,
        copies=copies,
        serials=tuple(labels),
        sha256=sha256_hex(data),
        size=len(data),
        pages=None if pages is None else pages * copies,
    )
    return _Rendered(printed, data)


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
    for file in listing.files:
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
