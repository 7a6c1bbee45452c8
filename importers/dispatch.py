"""Pick the importer for a file by its suffix, so callers name a file, not a format."""

from __future__ import annotations

from pathlib import Path

from importers.docx_items import read_items_docx
from importers.practical import read_practical_data
from importers.practical_docx import read_practical_docx
from importers.table_items import read_items_table
from importers.tree import read_tree as read_tree_file
from qbank.errors import ImportRejected, InvalidInput
from qbank.records import ItemRecord, Parsed, PracticalSetRecord, TreeNode

ITEM_SUFFIXES = (".docx", ".xlsx", ".xlsm", ".csv")
TREE_SUFFIXES = (".xlsx", ".xlsm", ".csv")
PRACTICAL_SUFFIXES = (".docx", ".yaml", ".yml", ".json")


def _suffix(path: Path, expected: tuple[str, ...]) -> str:
    suffix = path.suffix.lower()
    if suffix not in expected:
        raise InvalidInput(
            "cli.unsupported_file", suffix=suffix or path.name, expected=" ".join(expected)
        )
    if not path.is_file():
        raise InvalidInput("cli.file_missing", path=str(path))
    return suffix


def read_items(path: str | Path, *, mapping: dict[str, str] | None = None) -> Parsed[ItemRecord]:
    """Theory items from a Word block layout or an Excel/CSV table."""
    path = Path(path)
    if _suffix(path, ITEM_SUFFIXES) == ".docx":
        return read_items_docx(path, mapping=mapping)
    return read_items_table(path, mapping=mapping)


def read_items_or_reject(path: str | Path) -> list[ItemRecord]:
    """Theory items of a file that must be read whole (a reference, a package): any problem
    raises ImportRejected listing them all."""
    parsed = read_items(path)
    if parsed.problems:
        raise ImportRejected(Path(path).name, parsed.problems)
    return parsed.records


def read_tree(path: str | Path) -> Parsed[TreeNode]:
    """The knowledge-point tree (鉴定要素细目表) from Excel or CSV."""
    path = Path(path)
    _suffix(path, TREE_SUFFIXES)
    return read_tree_file(path)


def read_practical(path: str | Path) -> Parsed[PracticalSetRecord]:
    """Practical paper sets from a Word paper or the documented YAML/JSON form."""
    path = Path(path)
    if _suffix(path, PRACTICAL_SUFFIXES) == ".docx":
        return read_practical_docx(path)
    return read_practical_data(path)
