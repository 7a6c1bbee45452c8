"""The print run keeps DESIGN.md's layers: formats in `exporters/`, the database in `qbank/`."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported(module: str) -> set[str]:
    """Top-level and nested module names the source file of `module` imports."""
    tree = ast.parse((ROOT / (module.replace(".", "/") + ".py")).read_text("utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def reaches(names: set[str], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if n.split(".")[0] in forbidden or n in forbidden)


def test_the_exporter_knows_no_database() -> None:
    names = imported("exporters.print_run")
    assert reaches(names, ("sqlalchemy", "qbank.model", "qbank.db", "qbank.print_run")) == []
    assert "qbank.printing" in names  # it takes the plain print records


@pytest.mark.parametrize("module", ["qbank.print_run", "qbank.printing"])
def test_the_engine_knows_no_file_format(module: str) -> None:
    formats = ("exporters", "importers", "openpyxl", "docx", "lxml", "zipfile", "subprocess")
    assert reaches(imported(module), formats) == []
