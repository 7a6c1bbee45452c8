"""Commands load when they run: listing them imports none, and their listed help is theirs;
help and `bank list` load none of the heavy libraries (solver, data frames, numerics,
document and spreadsheet formats, tokenizers, age, migrations), and `bank list` on a current
SQLite file not even SQLAlchemy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest

from cli._lazy import LazyGroup
from cli.main import COMMANDS, cli
from qbank.bank import ensure_bank
from qbank.db import open_database

HEAVY = frozenset(
    {
        "ortools",
        "pandas",
        "numba",
        "scipy",
        "numpy",
        "docx",
        "openpyxl",
        "jieba",
        "rjieba",
        "pyrage",
        "alembic",
        "sklearn",
        "python_calamine",
    }
)

RUNNER = (
    "import sys\n"
    "from click.testing import CliRunner\n"
    "from cli.main import cli\n"
    "result = CliRunner().invoke(cli, sys.argv[1:], catch_exceptions=False)\n"
    "assert result.exit_code == 0, result.output\n"
    "print(' '.join(sorted(sys.modules)))\n"
)
"""Runs one command in a fresh interpreter and prints every module it loaded."""


def _loaded(*args: str) -> set[str]:
    run = subprocess.run(
        [sys.executable, "-c", RUNNER, *args], capture_output=True, text=True, check=True
    )
    return set(run.stdout.split())


def _heavy(loaded: set[str]) -> list[str]:
    return sorted({m.split(".")[0] for m in loaded} & HEAVY)


def _groups(group: click.Group) -> list[LazyGroup]:
    found = [group] if isinstance(group, LazyGroup) else []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            found += _groups(command)
    return found


def test_listed_help_is_each_commands_own() -> None:
    for group in _groups(cli):
        for name, (_, listed) in group.lazy.items():
            command = group.get_command(click.Context(group), name)
            assert command is not None
            assert command.get_short_help_str(limit=1000) == listed, name


def test_help_imports_no_command_module_and_nothing_heavy() -> None:
    loaded = _loaded("--help")
    assert not _heavy(loaded)
    assert not [
        m
        for m in loaded
        if m.startswith("cli.") and m not in {"cli.main", "cli._common", "cli._errors", "cli._lazy"}
    ]


@pytest.mark.parametrize("command", sorted({*COMMANDS, "init"}))
def test_each_commands_help_imports_nothing_heavy(command: str) -> None:
    assert not _heavy(_loaded(command, "--help"))


def test_import_items_help_imports_nothing_heavy() -> None:
    assert not _heavy(_loaded("import", "items", "--help"))


def test_bank_list_on_a_current_database_imports_nothing_heavy(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    database = open_database(str(path))  # created and migrated: the schema is current
    with database.transaction() as session:
        ensure_bank(session, "6-31-01-03", 4, actor="t", occupation_name="电工")
    database.dispose()
    show = ("show", "--occupation", "6-31-01-03", "--level", "4")
    for args in (("list",), ("list", "--json"), show):
        loaded = _loaded("--db", str(path), "bank", *args)
        assert not _heavy(loaded)
        # a current SQLite file is read through sqlite3: not even SQLAlchemy or the model
        assert not {m.split(".")[0] for m in loaded} & {"sqlalchemy", "psycopg"}
        assert not {"qbank.model", "qbank.queries", "qbank.bank"} & loaded


def test_signature_help_names_the_bundle_suffix() -> None:
    """The unseal help spells the suffix out (importing formats.sealed_bundle loads age)."""
    from formats.sealed_bundle import SIGNATURE_SUFFIX

    unseal = cli.get_command(click.Context(cli), "unseal")
    assert unseal is not None
    helps = [p.help or "" for p in unseal.params if isinstance(p, click.Option)]
    assert any(f"BUNDLE{SIGNATURE_SUFFIX}" in h for h in helps)


def test_spreadsheet_import_loads_no_word_reader(tmp_path: Path) -> None:
    """Importing a CSV (or any spreadsheet) reads it without loading python-docx or the
    Word, tree and practical readers; a Word file loads them when it is read."""
    path = tmp_path / "q.db"
    database = open_database(str(path))
    with database.transaction() as session:
        ensure_bank(session, "6-31-01-03", 4, actor="t", occupation_name="电工")
    database.dispose()
    bank = tmp_path / "bank.csv"
    bank.write_text("题型,题干,答案\n判断题,电动机外壳应接地。,√\n", encoding="utf-8")
    loaded = _loaded(
        "--db", str(path), "import", "items", str(bank),
        "--occupation", "6-31-01-03", "--level", "4", "--dry-run",
    )  # fmt: skip
    assert "importers.table_items" in loaded
    assert not {"docx", "importers.docx_items", "importers.tree", "importers.practical"} & loaded
