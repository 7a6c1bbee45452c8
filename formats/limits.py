"""How much of a file from outside qbank will read: one set of limits for every reader.

A file handed to qbank (an item bank, a tree, a review sheet, a filing package, a sealed
bundle) may be hostile or just broken: a few megabytes of zip can inflate to gigabytes, one
cell can hold two gigabytes, one CSV line can hold millions of fields. Every reader checks
these limits and refuses with `LimitExceeded` (or `FileTooLarge` for sizes), naming the file,
where in it, which limit, the value and how to raise it, long before memory runs out.

Defaults fit the largest honest files (Excel's own maxima where there is one). They are raised
with `--limit NAME=VALUE` on the commands that read files, or the `QBANK_LIMITS` environment
variable (`QBANK_LIMITS="member_size=1G,rows=2000000"`); a Python caller uses `applied(...)`
or passes a `Limits` to the reader.

Zip packages (docx, xlsx) are checked from the central directory before anything is inflated
(`check_zip`), and then every member is inflated once as a stream with the caps enforced
(`check_zip(..., stream=True)`), because the directory can lie and because one huge text node
(a 2 GB cell) must be refused before a parser turns it into a string. Python's zipfile, which
openpyxl and python-docx read through, stops each member at its declared size, so after
both checks a library cannot inflate more than the limits allow.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import IO

from qbank.errors import FileTooLarge, InvalidInput, LimitExceeded
from qbank.records import Location, Problem

__all__ = [
    "ENV_VAR",
    "FileTooLarge",
    "LimitExceeded",
    "Limits",
    "applied",
    "as_problem",
    "check_docx",
    "check_file_size",
    "check_paragraph",
    "check_zip",
    "current",
    "format_value",
    "names",
    "parse_limits",
    "read_capped",
    "read_directory",
    "set_current",
]

ENV_VAR = "QBANK_LIMITS"
KiB, MiB, GiB = 1024, 1024**2, 1024**3
_CHUNK = 1 * MiB
_SIZE_LIMITS = frozenset({"file_size", "unzipped_size", "member_size"})


@dataclass(frozen=True)
class Limits:
    """Upper bounds on what one file may make qbank read; every field can be raised.

    Sizes are bytes; `*_chars` count characters; `rows`, `columns`, `cells` are per sheet
    (a CSV file is one sheet, its fields are columns); `problems` is how many problems are
    listed to a user (the rest are counted, and `--json` keeps the full count).
    """

    file_size: int = 256 * MiB
    """Bytes of any one file on disk (a workbook, a CSV, a package file, a sealed bundle)."""
    unzipped_size: int = 1 * GiB
    """Uncompressed bytes of all members of a zip package (docx/xlsx) or archive together."""
    member_size: int = 256 * MiB
    """Uncompressed bytes of one member of a zip package or archive."""
    members: int = 10_000
    """Entries in a zip package or archive."""
    elements: int = 2_000_000
    """XML elements in one part of a Word file or workbook that is parsed whole (python-docx
    and openpyxl hold them all in memory; a worksheet is counted by rows instead)."""
    cell_chars: int = 32_767
    """Characters in one spreadsheet cell or CSV field (Excel's own maximum)."""
    paragraph_chars: int = 100_000
    """Characters in one Word paragraph."""
    rows: int = 1_048_576
    """Rows of one worksheet, records of one CSV file (Excel's own maximum)."""
    columns: int = 16_384
    """Cells of one row, fields of one CSV record (Excel's own maximum)."""
    cells: int = 10_000_000
    """Cells of one worksheet (rows times the width of each row); shared strings of a workbook."""
    line_chars: int = 1_000_000
    """Characters in one line of a CSV (or other text) file."""
    problems: int = 200
    """Problems listed to a user; the rest are summed up as "and N more"."""

    def check(
        self, name: str, value: int, file: str, where: str = "", *, at_least: bool = False
    ) -> None:
        """Raise LimitExceeded (FileTooLarge for sizes) when `value` exceeds limit `name`.

        `at_least`: `value` was counted only up to where reading stopped.
        """
        maximum = getattr(self, name)
        if value > maximum:
            error = FileTooLarge if name in _SIZE_LIMITS else LimitExceeded
            raise error(
                file=file,
                where=where,
                limit=name,
                value=value,
                maximum=maximum,
                at_least=at_least,
            )


_current: contextvars.ContextVar[Limits | None] = contextvars.ContextVar(
    "qbank_limits", default=None
)


def current() -> Limits:
    """The limits in effect: set by `--limit`/`applied`, else `$QBANK_LIMITS`, else defaults."""
    chosen = _current.get()
    if chosen is not None:
        return chosen
    return parse_limits(os.environ.get(ENV_VAR, ""))


def set_current(limits: Limits | None) -> None:
    """Make `limits` the ones every later read uses (None: back to `$QBANK_LIMITS`/defaults)."""
    _current.set(limits)


@contextlib.contextmanager
def applied(limits: Limits) -> Iterator[Limits]:
    """Read with `limits` inside the block."""
    token = _current.set(limits)
    try:
        yield limits
    finally:
        _current.reset(token)


_SIZE = re.compile(r"(\d+)\s*([kmgt]i?b?|b)?", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": KiB, "m": MiB, "g": GiB, "t": 1024 * GiB}


def _number(name: str, text: str) -> int:
    match = _SIZE.fullmatch(text.strip().replace("_", "").replace(",", ""))
    if match is None:
        raise InvalidInput("limit.bad_value", name=name, value=text)
    unit = (match.group(2) or "").lower()[:1]
    return int(match.group(1)) * _UNITS[unit]


def names() -> list[str]:
    return [f.name for f in fields(Limits)]


def parse_limits(text: str | tuple[str, ...] | list[str], base: Limits | None = None) -> Limits:
    """`member_size=1G,rows=2000000` (or a list of `NAME=VALUE`) over `base` (the defaults).

    Sizes take K/M/G suffixes (powers of 1024). A limit can be raised or lowered; an unknown
    name or a malformed value raises InvalidInput naming the known limits.
    """
    limits = base or Limits()
    parts = text.split(",") if isinstance(text, str) else list(text)
    changes: dict[str, int] = {}
    for part in parts:
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        name = name.strip().replace("-", "_")
        if not sep or name not in names():
            raise InvalidInput("limit.unknown", value=part.strip(), names=", ".join(names()))
        number = _number(name, value)
        if number <= 0:
            raise InvalidInput("limit.bad_value", name=name, value=value.strip())
        changes[name] = number
    return replace(limits, **changes) if changes else limits


def format_value(name: str, value: int) -> str:
    """A limit's value as a user would type it back: sizes in K/M/G when they are whole."""
    if name in _SIZE_LIMITS:
        for suffix, unit in (("G", GiB), ("M", MiB), ("K", KiB)):
            if value >= unit and value % unit == 0:
                return f"{value // unit}{suffix}"
    return str(value)


# --- files ---------------------------------------------------------------------------------


def check_file_size(path: str | Path, limits: Limits | None = None, display: str = "") -> int:
    """Size of `path` in bytes; FileTooLarge when over `file_size`. OSError passes through."""
    limits = limits or current()
    size = os.stat(path).st_size
    limits.check("file_size", size, display or Path(path).name)
    return size


def read_capped(
    stream: IO[bytes], cap: int, *, file: str, where: str = "", limit: str = "member_size"
) -> bytes:
    """All bytes of `stream`, refusing with FileTooLarge as soon as more than `cap` arrive.

    For archive members and uploads whose declared size cannot be trusted: at most `cap` + 1
    bytes are ever held.
    """
    data = stream.read(cap + 1)
    if len(data) > cap:
        raise FileTooLarge(file=file, where=where, limit=limit, value=len(data), maximum=cap)
    return data


def check_zip(
    path: str | Path,
    limits: Limits | None = None,
    *,
    display: str = "",
    stream: bool = True,
    text_limit: str = "cell_chars",
) -> None:
    """Refuse a zip package (docx, xlsx) that would inflate beyond `limits`.

    First the file size and the central directory (entries, each member's and the total
    declared uncompressed size), before anything is inflated; then, with `stream`, every
    member is inflated once in chunks, counting real bytes against the same caps and looking
    for a run of XML text too long for limit `text_limit` (`cell_chars` for a workbook,
    `paragraph_chars` for a Word file): a character takes at most 8 bytes of XML (`&#65535;`),
    so a run over 8 times the limit is refused before any parser builds a string of it. Raises FileTooLarge/LimitExceeded;
    a damaged zip raises zipfile.BadZipFile (or OSError), which readers already report.
    """
    limits = limits or current()
    file = display or Path(path).name
    check_file_size(path, limits, file)
    with open(path, "rb") as handle:
        end = zipfile._EndRecData(handle)  # type: ignore[attr-defined]
        if end:  # entry count from the end record, before zipfile builds the directory
            limits.check("members", int(end[zipfile._ECD_ENTRIES_TOTAL]), file)  # type: ignore[attr-defined]
        with zipfile.ZipFile(handle) as archive:
            infos = archive.infolist()
            limits.check("members", len(infos), file)
            total = 0
            for info in infos:
                limits.check("member_size", info.file_size, file, info.filename)
                total += info.file_size
                limits.check("unzipped_size", total, file)
            if stream:
                _stream_members(archive, infos, limits, file, text_limit)


def _stream_members(
    archive: zipfile.ZipFile,
    infos: list[zipfile.ZipInfo],
    limits: Limits,
    file: str,
    text_limit: str,
) -> None:
    total = 0
    node_limit = 8 * getattr(limits, text_limit)
    for info in infos:
        if info.is_dir():
            continue
        name = info.filename
        is_xml = name.lower().endswith((".xml", ".rels", ".vml"))
        # openpyxl's read-only sheet keeps every row element of a sheet without <dimension>
        # while it looks for one, and holds every shared string; it and python-docx parse any
        # other part whole: count each before a parser sees it
        workbook = text_limit == "cell_chars"
        count_rows = workbook and name.startswith("xl/worksheets/")
        count_strings = workbook and name == "xl/sharedStrings.xml"
        # an .ods's content.xml is read by calamine as a stream, not parsed whole
        count_elements = is_xml and not count_rows and not count_strings
        count_elements = count_elements and not (workbook and name == "content.xml")
        size = rows = strings = elements = 0
        run = 0  # bytes since the last '<' (text between tags), carried across chunks
        with archive.open(info) as member:
            while chunk := member.read(_CHUNK):
                size += len(chunk)
                total += len(chunk)
                limits.check("member_size", size, file, name, at_least=True)
                limits.check("unzipped_size", total, file, at_least=True)
                if is_xml:
                    run = _longest_text(chunk, run, node_limit, file, name, text_limit)
                if count_rows:
                    rows += _row_tags(chunk)
                    limits.check("rows", rows, file, name, at_least=True)
                if count_strings:
                    strings += _string_tags(chunk)
                    limits.check("cells", strings, file, name, at_least=True)
                if count_elements:
                    elements += _element_tags(chunk)
                    limits.check("elements", elements, file, name, at_least=True)


def _row_tags(chunk: bytes) -> int:
    """Row elements starting in `chunk` (`<row`, `<x:row`; not `<rowBreaks`), give or take
    one cut at the chunk's edge."""
    count = chunk.count
    return (
        count(b"<row") - count(b"<rowBreaks") + count(b":row ") + count(b":row>") + count(b":row/")
    )


def _string_tags(chunk: bytes) -> int:
    """Shared strings (`<si>`) starting in `chunk`."""
    count = chunk.count
    return count(b"<si>") + count(b"<si ") + count(b":si>") + count(b":si ")


def _element_tags(chunk: bytes) -> int:
    """Elements starting in `chunk`: tags that are not end tags, declarations or comments."""
    count = chunk.count
    return count(b"<") - count(b"</") - count(b"<?") - count(b"<!")


def _longest_text(
    chunk: bytes, run: int, node_limit: int, file: str, member: str, text_limit: str
) -> int:
    """Refuse a run of more than `node_limit` bytes without '<'; return the trailing run.

    Fast on any input: a run longer than the limit must hold one of the windows of half the
    limit laid end to end from the first '<', so only those few windows are searched.
    """
    first = chunk.find(b"<")
    if first < 0:
        run += len(chunk)
        longest = run
    else:
        last = chunk.rfind(b"<")
        longest = run + first
        window = max(node_limit // 2, 1)
        for start in range(first, last - window + 1, window):
            if chunk.find(b"<", start, start + window) < 0:
                left = chunk.rfind(b"<", 0, start)
                right = chunk.find(b"<", start + window)
                longest = max(longest, right - left - 1)
        run = len(chunk) - last - 1
        longest = max(longest, run)
    if longest > node_limit:
        raise LimitExceeded(
            file=file,
            where=member,
            limit=text_limit,
            value=(longest + 7) // 8,
            maximum=node_limit // 8,
            at_least=True,
        )
    return run


def as_problem(error: LimitExceeded, location: Location | None = None) -> Problem:
    """The refusal as one located Problem, for readers that report rather than raise."""
    where = error.location or location or Location(error.file)
    return Problem(where, "file", "limit.exceeded_here", error.problem_params())


def check_docx(path: str | Path, display: str = "", limits: Limits | None = None) -> Problem | None:
    """`check_zip` for a Word file, as the one problem a reader reports; None when within.

    A file that is not a zip at all passes: python-docx then says what is wrong with it.
    """
    try:
        check_zip(path, limits, display=display, text_limit="paragraph_chars")
    except LimitExceeded as error:
        return as_problem(error)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return None
    return None


def check_paragraph(
    text: str, display: str, paragraph: int, limits: Limits | None = None
) -> Problem | None:
    """The problem of a Word paragraph longer than `paragraph_chars`; None when within."""
    limits = limits or current()
    if len(text) <= limits.paragraph_chars:
        return None
    error = LimitExceeded(
        file=display,
        limit="paragraph_chars",
        value=len(text),
        maximum=limits.paragraph_chars,
        location=Location(display, paragraph=paragraph),
    )
    return as_problem(error)


def read_directory(
    root: Path, limits: Limits | None = None, *, not_a_file: str
) -> dict[str, bytes]:
    """Every regular file under `root` by its relative POSIX name, read under `limits`.

    A symbolic link or device anywhere inside is refused with the message `not_a_file`
    (`{path}`): following one could read any file of the machine. Counts and sizes are checked
    from the listing first, and again while reading (a file may grow after it was listed).
    """
    limits = limits or current()
    where = str(root)
    listing: list[tuple[str, Path]] = []
    total = 0
    for p in sorted(root.rglob("*")):
        info = p.lstat()
        if stat.S_ISDIR(info.st_mode):
            continue
        name = p.relative_to(root).as_posix()
        if not stat.S_ISREG(info.st_mode):
            raise InvalidInput(not_a_file, path=str(p))
        listing.append((name, p))
        limits.check("members", len(listing), where)
        limits.check("member_size", info.st_size, where, name)
        total += info.st_size
        limits.check("unzipped_size", total, where)
    files = {}
    total = 0
    for name, p in listing:
        with p.open("rb") as handle:
            files[name] = read_capped(handle, limits.member_size, file=where, where=name)
        total += len(files[name])
        limits.check("unzipped_size", total, where, at_least=True)
    return files
