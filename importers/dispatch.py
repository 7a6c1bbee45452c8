"""Pick the importer for a file by its suffix, so callers name a file, not a format.

Before a reader sees a file, its being a file of the kind its name says is checked here, so the
user reads "not a valid Word file" or "is a directory" instead of a library's own words; an
old office format goes through `importers.convert` and its problems are reported against the
original file name. Spreadsheets of every kind (.xlsx, .xls, .et, .ods) are read directly by
calamine; only an .xls/.et calamine cannot open (an HTML or RTF export under that name, an old
WPS format) is converted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from importers import convert, tables
from importers.table_items import RowProgress, read_items_table
from qbank.errors import ImportRejected, InvalidInput
from qbank.records import ItemRecord, Parsed, PracticalSetRecord, TreeNode

SHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".et", ".ods", ".csv")
ITEM_SUFFIXES = (".docx", *SHEET_SUFFIXES)
TREE_SUFFIXES = SHEET_SUFFIXES
PRACTICAL_SUFFIXES = (".docx", ".yaml", ".yml", ".json")

Notice = Callable[[str], None]


@contextmanager
def _readable(
    path: Path, expected: tuple[str, ...], notice: Notice | None
) -> Iterator[tuple[Path, str]]:
    """`path` checked (a file, of a suffix in `expected`, a valid package when it is one), or
    its conversion from an old office format into one of `expected`; with the suffix of the
    format to read it as."""
    if path.is_dir():
        raise InvalidInput("file.is_directory", path=str(path))
    suffix = path.suffix.lower()
    legacy = None if suffix in expected else convert.LEGACY.get(suffix)
    if suffix not in expected and (legacy is None or legacy.target not in expected):
        raise InvalidInput(
            "cli.unsupported_file", suffix=suffix or path.name, expected=" ".join(expected)
        )
    if not path.is_file():
        raise InvalidInput("cli.file_missing", path=str(path))
    if suffix in convert.LEGACY and suffix in expected and not tables.reads_directly(path):
        legacy = convert.LEGACY[suffix]
    if legacy is None:
        convert.check_package(path)
        yield path, suffix
        return
    with convert.readable(path, notice or convert.notice_stderr) as readable:
        yield readable, legacy.target


def read_items(
    path: str | Path,
    *,
    mapping: dict[str, str] | None = None,
    notice: Notice | None = None,
    progress: RowProgress | None = None,
) -> Parsed[ItemRecord]:
    """Theory items from a Word block layout or an Excel/CSV table. `progress(rows read, rows
    in all)` is called as a table's rows are read (a Word file reports nothing)."""
    path = Path(path)
    with _readable(path, ITEM_SUFFIXES, notice) as (readable, suffix):
        if suffix == ".docx":
            from importers.docx_items import read_items_docx  # python-docx only for Word

            return read_items_docx(readable, mapping=mapping, display_name=path.name)
        return read_items_table(
            readable, mapping=mapping, display_name=path.name, progress=progress
        )


def read_items_or_reject(path: str | Path) -> list[ItemRecord]:
    """Theory items of a file that must be read whole (a reference, a package): any problem
    raises ImportRejected listing them all."""
    parsed = read_items(path)
    if parsed.problems:
        raise ImportRejected(Path(path).name, parsed.problems)
    return parsed.records


def read_tree(path: str | Path, *, notice: Notice | None = None) -> Parsed[TreeNode]:
    """The knowledge-point tree (鉴定要素细目表) from Excel or CSV."""
    path = Path(path)
    with _readable(path, TREE_SUFFIXES, notice) as (readable, _suffix):
        from importers.tree import read_tree as read_tree_file

        return read_tree_file(readable, display_name=path.name)


def read_practical(path: str | Path, *, notice: Notice | None = None) -> Parsed[PracticalSetRecord]:
    """Practical paper sets from a Word paper or the documented YAML/JSON form."""
    path = Path(path)
    with _readable(path, PRACTICAL_SUFFIXES, notice) as (readable, suffix):
        if suffix == ".docx":
            from importers.practical_docx import read_practical_docx

            return read_practical_docx(readable, display_name=path.name)
        from importers.practical import read_practical_data

        return read_practical_data(readable, display_name=path.name)
