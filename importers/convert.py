"""Old office formats (.doc, .wps, .xls, .et) turned into the ones qbank reads, or a clear
refusal that says how.

Banks still arrive as Word 97-2003 or WPS files. When LibreOffice is installed, the file is
converted headless into a temporary folder (`soffice --headless --convert-to docx`) with a
time limit and a profile of its own (two imports at once must not share one), and the result
is read as if the user had saved it as .docx/.xlsx; the importers' limits then apply to the
converted file as to any other. Without LibreOffice the refusal says how to save the file.

A file that is really a .docx/.xlsx under an old name is read as it is, and one that is none
of the formats LibreOffice would read (random bytes, a text file) is refused at once rather
than handed to a converter that takes seconds to start.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from formats import limits as reading_limits
from qbank.errors import InvalidInput, LimitExceeded
from qbank.i18n import tr

TIMEOUT_ENV = "QBANK_CONVERT_TIMEOUT"
DEFAULT_TIMEOUT = 120.0
"""Seconds LibreOffice may take for one file (its first start also builds a profile)."""

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Word/Excel 97-2003, WPS, encrypted Office files
_ZIP = b"PK\x03\x04"
_SOFFICE_PLACES = (
    "/Applications/LibreOffice.app/Contents/MacOS/soffice",
    r"C:\Program Files\LibreOffice\program\soffice.exe",
    r"C:\Program Files (x86)\LibreOffice\program\soffice.exe",
)


@dataclass(frozen=True)
class Format:
    """What a suffix means: the kind of file shown to the user, the app that saves it in the
    format qbank reads, the part every valid package of that format holds."""

    kind: str  # message key
    app: str  # message key
    target: str  # the suffix qbank reads (".docx", ".xlsx")
    main_part: str  # the zip member a valid package holds


WORD = Format("file.kind.word", "file.app.word", ".docx", "word/document.xml")
EXCEL = Format("file.kind.excel", "file.app.excel", ".xlsx", "xl/workbook.xml")
NATIVE = {".docx": WORD, ".xlsx": EXCEL, ".xlsm": EXCEL}
LEGACY = {
    ".doc": WORD,
    ".wps": Format("file.kind.wps_writer", "file.app.word", ".docx", "word/document.xml"),
    ".xls": EXCEL,
    ".et": Format("file.kind.wps_sheet", "file.app.excel", ".xlsx", "xl/workbook.xml"),
}


def is_package(path: Path, form: Format) -> bool:
    """True when `path` is a zip holding the main part of `form` (a real .docx/.xlsx), and
    when it is a zip too large to tell: the reader then refuses it naming the limit.

    The zip's directory is read only after the limits' checks of its size and entry count,
    so a hostile directory of millions of entries is refused before it is built.
    """
    try:
        reading_limits.check_zip(path, display=path.name, stream=False)
        with zipfile.ZipFile(path) as archive:
            archive.getinfo(form.main_part)
    except LimitExceeded:
        return True
    except (zipfile.BadZipFile, KeyError, EOFError, ValueError):
        return False  # an OSError (permission, I/O) is not the file's format: it passes up
    return True


def not_valid(path: Path, form: Format, suffix: str) -> InvalidInput:
    """The refusal of a file that is not what its suffix says, with how to save it right."""
    return InvalidInput(
        "file.not_valid",
        kind=tr(form.kind),
        suffix=suffix,
        file=path.name,
        app=tr(form.app),
        target=form.target,
    )


def check_package(path: Path) -> None:
    """Refuse a .docx/.xlsx/.xlsm that is not such a package (a renamed text file, a broken
    or truncated zip, a Word 97-2003 or encrypted file under the new name)."""
    suffix = path.suffix.lower()
    form = NATIVE.get(suffix)
    if form is not None and not is_package(path, form):
        raise not_valid(path, form, suffix)


def _looks_convertible(head: bytes) -> bool:
    """The first bytes of a file LibreOffice reads as an old office document: a compound file
    (.doc, .xls, .wps, .et), RTF, or HTML/MHT, which older systems export under these names."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return (
        head.startswith(_OLE2)
        or text.startswith((b"{\\rtf", b"<", b"mime-version"))
        or text.startswith(b"\xff\xfe<")  # UTF-16 HTML
    )


def soffice() -> str | None:
    """The LibreOffice program, if installed."""
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    for place in _SOFFICE_PLACES:
        if Path(place).is_file():
            return place
    return None


def _timeout() -> float:
    text = os.environ.get(TIMEOUT_ENV, "").strip()
    try:
        value = float(text) if text else DEFAULT_TIMEOUT
    except ValueError:
        return DEFAULT_TIMEOUT
    return value if value > 0 else DEFAULT_TIMEOUT


def notice_stderr(line: str) -> None:
    """Say on stderr what was done to a file (a conversion), apart from the command's output."""
    print(line, file=sys.stderr, flush=True)


@contextlib.contextmanager
def readable(path: Path, notice: Callable[[str], None] = notice_stderr) -> Iterator[Path]:
    """A file of a legacy suffix as one qbank reads, for the duration of the block.

    A .docx/.xlsx under the old name yields `path` itself; an old-format file is converted by
    LibreOffice into a temporary folder (removed afterwards), `notice` says so; otherwise
    InvalidInput says how to save the file (LibreOffice missing, conversion failed or timed
    out, or not an office file at all).
    """
    suffix = path.suffix.lower()
    form = LEGACY[suffix]
    limits = reading_limits.current()
    reading_limits.check_file_size(path, limits, path.name)
    with open(path, "rb") as handle:
        head = handle.read(512)
    if head.startswith(_ZIP) and is_package(path, form):
        yield path
        return
    if not _looks_convertible(head):
        raise not_valid(path, form, suffix)
    program = soffice()
    if program is None:
        raise InvalidInput(
            "file.legacy", file=path.name, suffix=suffix, app=tr(form.app), target=form.target
        )
    with tempfile.TemporaryDirectory(prefix="qbank-convert-") as folder:
        converted = _convert(program, path, form, Path(folder))
        reading_limits.check_file_size(converted, limits, path.name)
        notice(tr("file.converted", file=path.name, target=form.target))
        yield converted


def _convert(program: str, path: Path, form: Format, folder: Path) -> Path:
    """Run LibreOffice on a copy of `path` (a plain name: no odd characters reach its command
    line) and return the converted file inside `folder`."""
    source = folder / f"source{path.suffix.lower()}"
    shutil.copyfile(path, source)
    out = folder / "out"
    out.mkdir()
    command = [
        program,
        f"-env:UserInstallation={(folder / 'profile').as_uri()}",
        "--headless",
        "--norestore",
        "--convert-to",
        form.target.lstrip("."),
        "--outdir",
        str(out),
        str(source),
    ]
    seconds = _timeout()

    def failed(reason: str) -> InvalidInput:
        return InvalidInput(
            "file.convert_failed",
            file=path.name,
            target=form.target,
            reason=reason,
            app=tr(form.app),
        )

    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group: a timeout stops all of it
        )
    except OSError as e:
        raise failed(e.strerror or type(e).__name__) from None
    try:
        _, err = process.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        _stop(process)
        raise InvalidInput(
            "file.convert_timeout",
            file=path.name,
            seconds=f"{seconds:g}",
            target=form.target,
            app=tr(form.app),
        ) from None
    finally:
        if process.poll() is None:  # interrupted (Ctrl-C) while waiting
            _stop(process)
    converted = out / f"source{form.target}"
    said = [line.strip() for line in err.decode("utf-8", "replace").splitlines() if line.strip()]
    if process.returncode != 0:
        reason = tr("file.convert_exit", status=process.returncode)
    elif not converted.is_file() or not is_package(converted, form):
        reason = tr("file.convert_no_output")  # LibreOffice exits 0 when it cannot load a file
    else:
        return converted
    raise failed(f"{reason}: {said[-1]}" if said else reason)


def _stop(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if hasattr(os, "killpg"):
            os.killpg(process.pid, signal.SIGKILL)
        else:  # Windows: no process groups
            process.kill()
    process.wait()
