"""PDF print masters: Word and Excel files laid out by LibreOffice headless, fonts embedded.

A print room prints what it is given; a .docx leaves the layout (and 第 x 页 共 y 页, which
only Word computes) to whichever program opens it. `render_pdfs` converts a set of files
with one LibreOffice start (the start is most of what a conversion costs), in a profile of
its own (so parallel runs and a user's open LibreOffice do not clash) and with a time limit;
`page_count` reads a PDF's page count with poppler's `pdfinfo`.

Fonts: the documents ask for 宋体 (body) and 黑体 (headings) as East Asian fonts. Where
those are not installed LibreOffice would take any CJK face fontconfig offers (a sans-serif
one on Debian, for body text too). The conversion runs with a fontconfig file that adds
Noto Serif CJK SC after 宋体 and Noto Sans CJK SC after 黑体 (Debian's fonts-noto-cjk), so
an installed 宋体/黑体 still wins and otherwise the body is a Song-style serif and headings a
Hei-style sans. LibreOffice embeds (subsets of) every font it uses in the PDF.

Same input, same bytes: LibreOffice stamps each PDF with the time of conversion and an ID
and checksum derived from it; `render_pdfs(created=…)` sets the time to `created` and the
ID and checksum to an MD5 of the rest of the file (same lengths, so the cross-reference
offsets stay right). The same documents converted together then give PDFs with the same
SHA-256 on the same LibreOffice and fonts (a font subset depends on what the run converted
before it, so a document converted with others may differ from one converted alone).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape

from qbank.errors import InvalidInput

__all__ = [
    "FALLBACK_FONTS",
    "OFFICE_SECONDS",
    "TOOLS",
    "missing_tool",
    "page_count",
    "render_pdfs",
]

OFFICE_SECONDS = 900
"""Time limit of one LibreOffice run (every document of a print run)."""
TOOLS = ("soffice", "pdfinfo")
"""The programs PDF masters need: LibreOffice and poppler's pdfinfo."""
FALLBACK_FONTS = {
    "宋体": "Noto Serif CJK SC",
    "SimSun": "Noto Serif CJK SC",
    "黑体": "Noto Sans CJK SC",
    "SimHei": "Noto Sans CJK SC",
}
"""Font a document names → the free face used where it is not installed."""
_SYSTEM_FONTCONFIG = "/etc/fonts/fonts.conf"
_CONVERTIBLE = (".docx", ".xlsx")


def missing_tool() -> str | None:
    """The first of `TOOLS` not on PATH, or None when PDF masters can be made."""
    return next((tool for tool in TOOLS if shutil.which(tool) is None), None)


def render_pdfs(
    files: Mapping[str, bytes],
    *,
    created: datetime | None = None,
    timeout: float = OFFICE_SECONDS,
) -> dict[str, bytes]:
    """Each .docx/.xlsx of `files` (name → bytes) as a PDF: `X.docx` → `X.pdf`, in one run;
    with `created`, byte-stable (see the module notes).

    Side effects: runs `soffice` on copies in a temporary directory, removed afterwards.
    Raises InvalidInput `print.no_office` when a tool is missing, `print.render_failed`
    naming the file when LibreOffice writes no PDF for it or runs past `timeout` seconds;
    ValueError for a name that is not .docx/.xlsx or two names with one stem.
    """
    stems = [Path(name).stem for name in files]
    if any(Path(name).suffix not in _CONVERTIBLE for name in files) or len(set(stems)) < len(stems):
        raise ValueError(f"expected .docx/.xlsx files with distinct stems, not {list(files)}")
    tool = missing_tool()
    if tool is not None:
        raise InvalidInput("print.no_office", tool=tool)
    if not files:
        return {}
    with tempfile.TemporaryDirectory(prefix="qbank-pdf-") as tmp:
        folder = Path(tmp)
        sources = folder / "in"
        sources.mkdir()
        for name, data in files.items():
            (sources / name).write_bytes(data)
        command = [
            "soffice",
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder / "out"),
            *(str(sources / name) for name in files),
        ]
        env = {**os.environ, "FONTCONFIG_FILE": str(_fontconfig(folder))}
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=timeout, env=env, check=False
            )
        except subprocess.TimeoutExpired:
            reason = f"no result after {timeout:g} s"
            raise InvalidInput(
                "print.render_failed", file=next(iter(files)), reason=reason
            ) from None
        out = {}
        for name in files:
            pdf = folder / "out" / f"{Path(name).stem}.pdf"
            if not pdf.is_file():
                reason = done.stderr.strip() or f"exit status {done.returncode}"
                raise InvalidInput("print.render_failed", file=name, reason=reason)
            data = pdf.read_bytes()
            out[f"{Path(name).stem}.pdf"] = data if created is None else _stable(data, created)
    return out


def page_count(pdf: bytes) -> int:
    """Pages of a PDF, as poppler's `pdfinfo` counts them.

    Raises InvalidInput `print.no_office` without pdfinfo, `print.render_failed` when it
    cannot read the PDF.
    """
    if shutil.which("pdfinfo") is None:
        raise InvalidInput("print.no_office", tool="pdfinfo")
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(pdf)
        file.flush()
        done = subprocess.run(
            ["pdfinfo", file.name], capture_output=True, text=True, timeout=60, check=False
        )
    for line in done.stdout.splitlines():
        if line.startswith("Pages:"):
            return int(line.split(":", 1)[1])
    reason = done.stderr.strip() or "pdfinfo printed no page count"
    raise InvalidInput("print.render_failed", file="PDF", reason=reason)


_DATES = re.compile(rb"(/(?:CreationDate|ModDate)\(D:)\d{14}")
_IDS = re.compile(rb"(/ID \[ <)[0-9A-F]{32}(>\s*<)[0-9A-F]{32}(> \])")
_CHECKSUM = re.compile(rb"(/DocChecksum /)[0-9A-F]{32}")


def _stable(pdf: bytes, created: datetime) -> bytes:
    """`pdf` with its dates set to `created` and its ID and checksum to an MD5 of the file
    with them blanked, every replacement as long as what it replaces."""
    stamp = created.strftime("%Y%m%d%H%M%S").encode()

    def digests(data: bytes, value: bytes) -> bytes:
        data = _IDS.sub(lambda m: m[1] + value + m[2] + value + m[3], data)
        return _CHECKSUM.sub(lambda m: m[1] + value, data)

    blank = digests(_DATES.sub(lambda m: m[1] + stamp, pdf), b"0" * 32)
    return digests(blank, hashlib.md5(blank, usedforsecurity=False).hexdigest().upper().encode())


def _fontconfig(folder: Path) -> Path:
    """A fontconfig file: the system's configuration plus `FALLBACK_FONTS`, each free face
    accepted right after the font a document names (so an installed 宋体 still wins)."""
    aliases = "".join(
        f'<alias binding="same"><family>{escape(name)}</family>'
        f"<accept><family>{escape(face)}</family>"
        "</accept></alias>\n"
        for name, face in FALLBACK_FONTS.items()
    )
    path = folder / "fonts.conf"
    path.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        f'<include ignore_missing="yes">{_SYSTEM_FONTCONFIG}</include>\n{aliases}</fontconfig>\n',
        encoding="utf-8",
    )
    return path
