"""Read a filing package directory: every file's bytes, and its bank.xlsx as item records."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from importers.table_items import read_items_table
from qbank.errors import InvalidInput
from qbank.records import ItemRecord, Problem


@dataclass
class PackageFiles:
    files: dict[str, bytes]
    bank_records: list[ItemRecord] | None
    bank_problems: list[Problem]


def read_package(path: str | Path) -> PackageFiles:
    """All files under `path` (names relative, `/`-separated); bank.xlsx parsed when readable."""
    root = Path(path)
    if not root.is_dir():
        raise InvalidInput("cli.file_missing", path=str(root))
    files = {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }
    records: list[ItemRecord] | None = None
    problems: list[Problem] = []
    if (root / "bank.xlsx").is_file():
        parsed = read_items_table(root / "bank.xlsx")
        problems = parsed.problems
        records = None if parsed.problems else parsed.records
    return PackageFiles(files, records, problems)
