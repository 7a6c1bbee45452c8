"""A batch's print run end to end: print records from the database, documents from the exporter,
the directory written and the `export` audit event recorded.

`qbank export`, `qbank seal` and the demo all print through here. The database side is
`qbank.print_run`, the documents `exporters.print_run`, their PDF print masters
`exporters.pdf` (LibreOffice: `pdf_unavailable` says why none can be made). Both flows run in the caller's
transaction (sealing renders and seals in one), so they take a session.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from exporters.pdf import missing_tool
from exporters.print_run import (
    PRINT_ROOM_KINDS,
    PrintList,
    check_copies,
    check_out_dir,
    paper_kinds,
    print_list,
    render_print_run,
    write_directory,
)
from qbank.confidential import Identities
from qbank.model import Batch
from qbank.print_run import print_run_doc, record_export
from workflows.types import Progress


def pdf_unavailable() -> str | None:
    """The program missing for PDF print masters (`soffice`, `pdfinfo`), or None."""
    return missing_tool()


def batch_documents(
    session: Session,
    batch: Batch,
    *,
    copies: int,
    kinds: Sequence[str] = PRINT_ROOM_KINDS,
    papers: Sequence[str] | None = None,
    lang: str | None = None,
    layouts: Mapping[str, dict[str, Any]] | None = None,
    identities: Identities = None,
    pdf: bool | None = False,
    duplex: bool = True,
    progress: Progress | None = None,
) -> dict[str, bytes]:
    """Every file of the batch's print run, name → bytes, the print list (xlsx, json) included.

    `kinds` picks documents (`exporters.print_run.ALL_KINDS`); `papers` paper codes (default:
    all of the batch that `kinds` apply to); `lang` the label language; a sealed paper opens
    with `layouts` or `identities` (`qbank.print_run.print_run_doc`); `pdf` adds the PDF
    print masters and the page totals in the footers (LibreOffice; None: whenever it is
    installed, see `pdf_unavailable`); `duplex` gives each copy a blank back when its page
    count is odd; `progress` follows the documents rendered (stage `render`). Reads the
    database, writes nothing. Raises InvalidInput for bad copies and as `print_run_doc` and
    `render_print_run`.
    """
    check_copies(copies)  # before any paper is read or decrypted
    if pdf is None:
        pdf = pdf_unavailable() is None
    run = print_run_doc(
        session,
        batch,
        paper_kinds=paper_kinds(kinds),
        papers=papers,
        layouts=layouts,
        identities=identities,
    )
    return render_print_run(
        run,
        copies=copies,
        kinds=kinds,
        lang=lang,
        pdf=pdf,
        duplex=duplex,
        progress=None if progress is None else lambda done, total: progress("render", done, total),
    )


def write_batch_documents(
    session: Session,
    batch: Batch,
    out_dir: str | Path,
    *,
    copies: int,
    actor: str,
    kinds: Sequence[str] = PRINT_ROOM_KINDS,
    papers: Sequence[str] | None = None,
    lang: str | None = None,
    layouts: Mapping[str, dict[str, Any]] | None = None,
    identities: Identities = None,
    pdf: bool | None = False,
    duplex: bool = True,
    force: bool = False,
    progress: Progress | None = None,
) -> PrintList:
    """Write the print run into `out_dir`, all files or none, and return its print list.

    `out_dir` must not exist, be empty, or (with `force`) hold an earlier export (it has a
    print-list.json), which is then replaced whole; it is checked before anything is rendered.
    Side effects: records an `export` audit event naming every file and its SHA-256 in the
    caller's transaction, then creates `out_dir` (and missing parents); when writing fails the
    exception propagates so that the caller's transaction drops the event. Raises as
    `batch_documents`, and InvalidInput for an unusable `out_dir`.
    """
    target = Path(out_dir)
    check_out_dir(target, force=force)
    documents = batch_documents(
        session,
        batch,
        copies=copies,
        kinds=kinds,
        papers=papers,
        lang=lang,
        layouts=layouts,
        identities=identities,
        pdf=pdf,
        duplex=duplex,
        progress=progress,
    )
    listing = print_list(documents)
    record_export(
        session,
        batch,
        actor=actor,
        copies=copies,
        files={f.name: f.sha256 for f in listing.files},
    )
    write_directory(target, documents, force=force)
    return listing
