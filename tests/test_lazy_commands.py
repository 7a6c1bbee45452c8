"""Commands load when they run: listing them imports none, and their listed help is theirs."""

from __future__ import annotations

import subprocess
import sys

import click

from cli._lazy import LazyGroup
from cli.main import cli

HEAVY = ("ortools", "numba", "scipy", "docx", "openpyxl", "jieba", "pyrage", "numpy", "sklearn")


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
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from cli.main import cli\n"
        "result = CliRunner().invoke(cli, ['--help'])\n"
        "assert result.exit_code == 0, result.output\n"
        "print(' '.join(sorted(m for m in sys.modules)))\n"
    )
    loaded = set(
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    assert not [m for m in loaded if m.split(".")[0] in HEAVY]
    assert not [
        m
        for m in loaded
        if m.startswith("cli.") and m not in {"cli.main", "cli._common", "cli._errors", "cli._lazy"}
    ]


def test_bank_list_imports_nothing_heavy(tmp_path) -> None:  # type: ignore[no-untyped-def]
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from cli.main import cli\n"
        f"result = CliRunner().invoke(cli, ['--db', {str(tmp_path / 'q.db')!r}, 'bank', 'list'])\n"
        "assert result.exit_code == 0, result.output\n"
        "print(' '.join(sorted(m for m in sys.modules)))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert not [m for m in loaded if m.split(".")[0] in HEAVY]
