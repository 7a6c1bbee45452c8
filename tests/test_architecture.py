"""The package rule of docs/architecture.md, read from the source: which package may import
which. Every import counts — at module level, inside functions, under `TYPE_CHECKING`, and
`importlib.import_module("…")` with a literal name — so a layer cannot lean on another by
importing late.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = ("qbank", "formats", "importers", "exporters", "workflows", "cli", "web")
ALLOWED: dict[str, frozenset[str]] = {
    "qbank": frozenset({"qbank"}),
    "formats": frozenset({"qbank", "formats"}),
    "importers": frozenset({"qbank", "formats", "importers"}),
    "exporters": frozenset({"qbank", "formats", "exporters"}),
    "workflows": frozenset({"qbank", "formats", "importers", "exporters", "workflows"}),
    "cli": frozenset(OURS),
    "web": frozenset(OURS),
}
"""Of our packages, those each package may import (itself included): the table in
docs/architecture.md."""
FORBIDDEN_LIBRARIES: dict[str, frozenset[str]] = {"qbank": frozenset({"click"})}
"""Outside libraries a package must not import: the engine never talks to a terminal."""


def imports(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, dotted module name) of every absolute import in `tree`, wherever it stands."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
        elif (
            isinstance(node, ast.Call)
            and _called_name(node.func) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.lineno, node.args[0].value


def _called_name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def violations(root: Path) -> list[str]:
    """Every import under `root` that the package rule forbids, as `file:line: package
    imports module`."""
    found = []
    for package, allowed in ALLOWED.items():
        banned = FORBIDDEN_LIBRARIES.get(package, frozenset())
        for path in sorted((root / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for line, module in imports(tree):
                top = module.split(".")[0]
                if (top in OURS and top not in allowed) or top in banned:
                    where = path.relative_to(root).as_posix()
                    found.append(f"{where}:{line}: {package}/ must not import {module}")
    return found


def test_every_package_imports_only_what_the_rule_allows() -> None:
    assert violations(ROOT) == []


def test_the_rule_covers_every_package_of_ours() -> None:
    packages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file()}
    assert packages <= set(OURS), packages - set(OURS)
    assert {"qbank", "formats", "importers", "exporters", "workflows", "cli"} <= packages


@pytest.mark.parametrize(
    ("package", "source", "module"),
    [
        ("qbank", "from formats.sealed_bundle import MANIFEST\n", "formats.sealed_bundle"),
        ("qbank", "def f():\n    import click\n", "click"),
        ("qbank", "if TYPE_CHECKING:\n    from workflows import sealing\n", "workflows"),
        ("formats", "from importers.limits import current\n", "importers.limits"),
        ("exporters", "def f():\n    from importers.items import X\n", "importers.items"),
        ("importers", "import exporters.directory\n", "exporters.directory"),
        ("workflows", "import importlib\nimportlib.import_module('cli.main')\n", "cli.main"),
    ],
)
def test_a_forbidden_import_is_named_with_file_and_line(
    tmp_path: Path, package: str, source: str, module: str
) -> None:
    for name in ALLOWED:
        (tmp_path / name).mkdir()
    (tmp_path / package / "mod.py").write_text("x = 1\n" + source)
    line = 1 + next(n for n, text in enumerate(source.splitlines(), 1) if module in text)
    assert violations(tmp_path) == [f"{package}/mod.py:{line}: {package}/ must not import {module}"]


def test_allowed_and_relative_imports_pass(tmp_path: Path) -> None:
    for name in ALLOWED:
        (tmp_path / name).mkdir()
    (tmp_path / "formats" / "a.py").write_text("from qbank.errors import X\nfrom . import b\n")
    (tmp_path / "exporters" / "a.py").write_text("from formats.item_layout import Y\n")
    (tmp_path / "cli" / "a.py").write_text("import workflows.sealing\nimport click\n")
    assert violations(tmp_path) == []
