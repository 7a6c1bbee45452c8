"""No new function over 100 lines in the engine (qbank/) or the workflows (workflows/).

A function that long does several jobs; split it into named steps. Lines run from `def` to
the function's last line (docstring included, decorators not). The allowlist names the
functions left over the limit and why; an entry whose function shrinks or goes away must be
removed, so the list only gets shorter.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("qbank", "workflows")
MAX_LINES = 100

ALLOWED: set[str] = set()


def _long_functions() -> dict[str, int]:
    """`path:qualified name` → lines, for every function over MAX_LINES."""
    found: dict[str, int] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative.startswith("qbank/migrations/versions/"):
                continue  # frozen records of steps already run (as for ruff and mypy)
            _visit(ast.parse(path.read_text(encoding="utf-8")), relative, "", found)
    return found


def _visit(node: ast.AST, path: str, prefix: str, found: dict[str, int]) -> None:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            name = f"{prefix}{child.name}"
            if not isinstance(child, ast.ClassDef):
                lines = (child.end_lineno or child.lineno) - child.lineno + 1
                if lines > MAX_LINES:
                    found[f"{path}:{name}"] = lines
            _visit(child, path, f"{name}.", found)


def test_no_new_function_over_the_limit() -> None:
    long = {name: lines for name, lines in _long_functions().items() if name not in ALLOWED}
    assert not long, f"functions over {MAX_LINES} lines; split them into named steps: {long}"


def test_allowlist_names_only_functions_still_over_the_limit() -> None:
    stale = ALLOWED - _long_functions().keys()
    assert not stale, f"no longer over {MAX_LINES} lines (or gone); remove from ALLOWED: {stale}"


def test_the_walk_sees_nested_functions_and_methods() -> None:
    """The oracle: a method and a nested function, each one line over, are both reported."""
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_LINES - 1))
    nested = "\n".join(f"        y{i} = {i}" for i in range(MAX_LINES - 1))
    source = f"class C:\n  def m(self):\n{body}\n    return 1\n"
    source += f"def outer():\n    def inner():\n{nested}\n        return 1\n    return inner\n"
    found: dict[str, int] = {}
    _visit(ast.parse(source), "x.py", "", found)
    assert found == {
        "x.py:C.m": MAX_LINES + 1,
        "x.py:outer": MAX_LINES + 3,
        "x.py:outer.inner": MAX_LINES + 1,
    }
