"""Render Word documents to PDF with LibreOffice and read the PDFs back with poppler.

For the printed-document tests: `render_pdfs` converts several .docx files with one
LibreOffice start (the start is most of the 2–4 s a conversion costs), `pdf_text` and
`pdf_pages` read the result, `needs_office` skips a test when the tools are missing.
Each process uses its own LibreOffice profile, so parallel test runs do not clash.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pytest

__all__ = [
    "compact",
    "needs_office",
    "out_of_order",
    "pdf_pages",
    "pdf_text",
    "render_pdf",
    "render_pdfs",
]

TIMEOUT_SECONDS = 180

needs_office = pytest.mark.skipif(
    shutil.which("soffice") is None
    or shutil.which("pdftotext") is None
    or shutil.which("pdfinfo") is None,
    reason=(
        "LibreOffice (soffice) is not installed; .ci/run installs Debian's libreoffice-writer-nogui"
        if shutil.which("soffice") is None
        else "pdftotext/pdfinfo are not installed; .ci/run installs Debian's poppler-utils"
    ),
)


def _profile() -> str:
    """This process's LibreOffice user profile, as the URL `-env:UserInstallation` takes;
    removed when the process exits."""
    folder = Path(tempfile.gettempdir()) / f"qbank-soffice-{os.getpid()}"
    if not folder.exists():
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder.as_uri()


def render_pdfs(docx_paths: Sequence[Path], out_dir: Path) -> list[Path]:
    """Convert each .docx to `out_dir/<stem>.pdf` with LibreOffice headless, in one run.

    Raises RuntimeError naming the missing output (with LibreOffice's messages) when a
    conversion fails, subprocess.TimeoutExpired when it hangs.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={_profile()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out_dir),
            *(str(p) for p in docx_paths),
        ],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    pdfs = [out_dir / f"{Path(p).stem}.pdf" for p in docx_paths]
    missing = [p for p in pdfs if not p.exists()]
    if result.returncode != 0 or missing:
        raise RuntimeError(
            f"LibreOffice did not write {', '.join(map(str, missing)) or 'every PDF'} "
            f"(exit {result.returncode}): {result.stdout} {result.stderr}"
        )
    return pdfs


def render_pdf(docx_path: Path, out_dir: Path) -> Path:
    """Convert one .docx to PDF in `out_dir`; see `render_pdfs`."""
    return render_pdfs([docx_path], out_dir)[0]


def pdf_text(pdf: Path, *, skip_left: int = 0) -> str:
    """The PDF's text in reading layout (`pdftotext -layout`); pages end with a form feed.
    `skip_left`: points at each A4 page's left edge left out (a theory paper's 密封线, whose
    turned characters would land between the lines of the text)."""
    crop = ["-x", str(skip_left), "-y", "0", "-W", "600", "-H", "850"] if skip_left else []
    return subprocess.run(
        ["pdftotext", "-layout", *crop, str(pdf), "-"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout


def pdf_pages(pdf: Path) -> int:
    """Number of pages (`pdfinfo`)."""
    info = subprocess.run(
        ["pdfinfo", str(pdf)], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    found = re.search(r"^Pages:\s+(\d+)$", info, re.MULTILINE)
    if found is None:
        raise RuntimeError(f"pdfinfo printed no page count for {pdf}: {info}")
    return int(found.group(1))


def compact(text: str) -> str:
    """`text` without any whitespace (PDF text breaks lines and spaces words its own way)."""
    return re.sub(r"\s+", "", text)


def out_of_order(text: str, needles: Sequence[str]) -> str | None:
    """The first of `needles` not found in `text` after the previous one (compared without
    whitespace), or None when all appear in order."""
    haystack = compact(text)
    position = 0
    for needle in needles:
        found = haystack.find(compact(needle), position)
        if found < 0:
            return needle
        position = found + len(compact(needle))
    return None
