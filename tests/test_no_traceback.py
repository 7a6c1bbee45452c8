"""No traceback ever reaches a user.

Every command of the tree (walked from `cli.main.cli`, nested groups included) is driven with
hostile arguments: paths that do not exist, directories where files belong, random bytes where
a document, bundle or database belongs, unreadable files, a PostgreSQL server that refuses,
odd unicode, very long and empty strings. Whatever happens, no output holds a traceback, and
a command that tried to open a database that cannot be opened does not exit 0. The runner
is in-process with `catch_exceptions=False`, so any exception escaping the top-level handler
fails the test. Then the three cases found by hand, once each through the real console script.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import pytest
import sqlalchemy.exc
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qbank.db
from cli._errors import (
    EXIT_DATABASE,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OS,
    EXIT_USER,
    QbankGroup,
)
from cli.main import cli
from qbank.errors import InvalidInput

QBANK = Path(sys.executable).with_name("qbank")
REFUSED_PG = "postgresql+psycopg://postgres:hunter2@127.0.0.1:1/test"
SLOW = {"demo", "serve"}  # whole workflows; `serve` would not return


def leaves(
    group: click.Group, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        if name in SLOW:
            continue
        command = group.get_command(ctx, name)
        assert command is not None
        if isinstance(command, click.Group):
            yield from leaves(command, (*path, name))
        else:
            yield (*path, name), command


COMMANDS = dict(leaves(cli))


@dataclass
class Workspace:
    base: Path
    good_db: Path  # a migrated, empty bank
    newer_db: Path  # its schema revision is one this qbank has never heard of
    junk: Path  # random bytes
    keys: Path
    opened: list[str]  # every database URL a command tried to open, per example


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    base = tmp_path_factory.mktemp("hostile")
    good = base / "good.db"
    qbank.db.open_database(str(good)).dispose()
    newer = base / "newer.db"
    shutil.copy(good, newer)
    with sqlite3.connect(newer) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'fffffffffff0'")
    junk = base / "junk.bin"
    junk.write_bytes(bytes(range(256)) * 8)
    keys = base / "keys"
    keys.mkdir(mode=0o700)
    opened: list[str] = []
    original_init = qbank.db.Database.__init__

    def recording_init(self: Any, url: str, *args: Any, **kwargs: Any) -> None:
        opened.append(url)
        original_init(self, url, *args, **kwargs)

    cwd = Path.cwd()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(qbank.db.Database, "__init__", recording_init)
        os.chdir(base)  # a command that writes relative paths writes here
        try:
            yield Workspace(base, good, newer, junk, keys, opened)
        finally:
            os.chdir(cwd)


# --- hostile values -----------------------------------------------------------------------

ODD = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
HOSTILE_TEXT = st.one_of(
    st.just(""),
    st.text(ODD, max_size=40),
    st.sampled_from(
        ["x" * 5000, "题" * 3000, "\u202e\u200b\ufeff", "../../../../etc/passwd", "NaN"]
    ),
)
SUFFIXES = [
    ".docx",
    ".xlsx",
    ".xls",
    ".ods",
    ".csv",
    ".json",
    ".jsonl",
    ".yaml",
    ".toml",
    ".zip",
    ".tar",
    ".age",
    ".pub",
    ".db",
    ".txt",
    "",
]


@st.composite
def junk_file(draw: st.DrawFn, scratch: Path, min_size: int = 0) -> str:
    """A fresh file of random bytes (or a truncated zip) with the suffix an importer dispatches on."""
    truncated_zip = b"PK\x03\x04" + b"\x00" * max(40, min_size)
    content = draw(st.one_of(st.binary(min_size=min_size, max_size=2048), st.just(truncated_zip)))
    path = scratch / f"{uuid.uuid4().hex}{draw(st.sampled_from(SUFFIXES))}"
    path.write_bytes(content)
    return str(path)


def new_scratch(ws: Workspace) -> Path:
    """A directory of its own for one example, holding a junk file, an unreadable one (chmod
    000, which root reads anyway: it is junk as well) and a directory; commands may write
    over any of them without touching another example."""
    scratch = ws.base / "ex" / uuid.uuid4().hex
    (scratch / "a-directory").mkdir(parents=True)
    (scratch / "a-directory" / "inside.txt").write_text("x")
    (scratch / "junk.bin").write_bytes(bytes(range(256)) * 8)
    (scratch / "unreadable.db").write_bytes(b"\x00\xff" * 512)
    (scratch / "unreadable.db").chmod(0)
    return scratch


def missing_name(scratch: Path) -> st.SearchStrategy[str]:
    """Odd unicode as a file name in a directory that does not exist ('x' first: not '.')."""
    return st.text(ODD, min_size=1, max_size=30).map(
        lambda s: str(scratch / "no-such-directory" / ("x" + s.replace("/", "_")))
    )


def hostile_path(scratch: Path, written: bool) -> st.SearchStrategy[str]:
    paths = [
        str(scratch / "no-such-directory" / "file.docx"),  # does not exist
        str(scratch / "a-directory"),  # a directory where a file belongs
        str(scratch / "junk.bin"),
        str(scratch / "unreadable.db"),
        str(scratch / "junk.bin" / "below-a-file"),  # ENOTDIR
        str(scratch / ("n" * 300)),  # ENAMETOOLONG
        "",
    ]
    if written:  # ENOSPC on write, even as root; read, it is endless (and no input is one)
        paths.append("/dev/full")
    return st.one_of(
        st.sampled_from(paths),
        junk_file(scratch),
        missing_name(scratch),
    )


def bad_db(ws: Workspace, scratch: Path) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(
            [
                str(scratch / "junk.bin"),  # not a database
                str(scratch / "unreadable.db"),
                str(scratch / "no-such-directory" / "qbank.db"),
                str(scratch / "a-directory"),
                str(ws.newer_db),  # made by a newer qbank
                str(scratch / "junk.bin" / "x.db"),
                str(scratch / ("d" * 300) / "x.db"),
                "/dev/full",
                REFUSED_PG,
                "nosuchdialect://user:hunter2@host/db",
                "postgresql+psycopg://:hunter2@127.0.0.1:1",
            ]
        ),
        # SQLite takes a file of a few bytes for an empty database; 100 and more it refuses
        junk_file(scratch, min_size=100),
        missing_name(scratch),
    )


def param_value(param: click.Parameter, scratch: Path) -> st.SearchStrategy[str]:
    kind = param.type
    if isinstance(kind, click.Path):
        name = param.name or ""
        return hostile_path(scratch, written=name.startswith("out") or name == "xlsx")
    if isinstance(kind, click.Choice):
        return st.sampled_from([str(c) for c in kind.choices])
    if isinstance(kind, click.types.IntParamType):
        return st.one_of(st.integers(-3, 10**6), st.just(2**70)).map(str)
    if isinstance(kind, click.types.FloatParamType):
        return st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(str), st.just("1e400"))
    return HOSTILE_TEXT


@st.composite
def invocation(
    draw: st.DrawFn, path: tuple[str, ...], command: click.Command, ws: Workspace
) -> tuple[list[str], bool]:
    """The argument list for one run, and whether its --db is one that cannot be opened."""
    scratch = new_scratch(ws)
    options: list[str] = []
    positionals: list[str] = []
    for param in command.params:
        if not param.expose_value or param.name == "help":
            continue
        if isinstance(param, click.Option):
            if param.is_flag:
                if draw(st.booleans()):
                    options.append(max(param.opts, key=len))
                continue
            if not param.required and not draw(st.booleans()):
                continue
            count = draw(st.integers(1, 2)) if param.multiple else 1
            for _ in range(count):
                options += [max(param.opts, key=len), draw(param_value(param, scratch))]
        else:
            count = draw(st.integers(1, 2)) if param.nargs == -1 else max(param.nargs, 1)
            positionals += [draw(param_value(param, scratch)) for _ in range(count)]
    broken = draw(st.booleans())
    if broken:
        db = draw(bad_db(ws, scratch))
    else:
        db = str(scratch / "good.db")
        shutil.copy(ws.good_db, db)
    before = draw(st.booleans())
    lang = ["--lang", "en"] if draw(st.booleans()) else []
    args = [*lang, "--db", db, *path] if before else [*path, "--db", db, *lang]
    return [*args, *options, "--", *positionals] if positionals else [*args, *options], broken


def run(args: list[str], ws: Workspace) -> Result:
    env = {
        "QBANK_KEYS": str(ws.keys),
        "QBANK_DB": None,
        "QBANK_DEBUG": None,
        "QBANK_PASSPHRASE": None,
        "QBANK_SEAL_PASSPHRASE": None,
    }
    return CliRunner().invoke(cli, args, input="", env=env, catch_exceptions=False)


@pytest.mark.parametrize("path", sorted(COMMANDS), ids=" ".join)
def test_hostile_arguments_never_show_a_traceback(path: tuple[str, ...], ws: Workspace) -> None:
    command = COMMANDS[path]

    @settings(
        max_examples=6,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        args, broken = data.draw(invocation(path, command, ws), label="args")
        ws.opened.clear()
        result = run(args, ws)
        output = result.stdout + result.stderr
        assert "Traceback" not in output, output
        assert "hunter2" not in output, output
        if broken and ws.opened:
            assert result.exit_code != 0, output
        if result.exit_code in (EXIT_DATABASE, EXIT_OS, EXIT_INTERNAL):
            lines = result.stderr.strip().splitlines()
            assert lines and lines[-1].startswith(("错误：", "Error: ")), output

    check()


def test_every_command_of_the_tree_is_driven() -> None:
    assert ("bank", "list") in COMMANDS and ("key", "new") in COMMANDS and ("init",) in COMMANDS
    assert len(COMMANDS) >= 40


# --- the three cases found by hand, through the installed console script -------------------


def console(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("QBANK_")}
    return subprocess.run(
        [str(QBANK), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**base, **(env or {})},
        check=False,
    )


def one_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_console_db_that_is_not_a_database(tmp_path: Path) -> None:
    junk = tmp_path / "notes.db"
    junk.write_bytes(os.urandom(4096))
    proc = console("bank", "list", "--db", str(junk))
    assert proc.returncode == EXIT_DATABASE
    assert one_line(proc) == f"错误：无法打开数据库 {junk}：不是 SQLite 数据库文件"


def test_console_db_in_a_missing_directory(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "qbank.db"
    proc = console("init", "--db", str(missing), env={"QBANK_LANG": "en"})
    assert proc.returncode == EXIT_DATABASE
    line = one_line(proc)
    assert line == (
        f"Error: cannot open the database {missing}: the directory {missing.parent} does not exist"
    )


def test_console_postgresql_server_that_refuses() -> None:
    proc = console(
        "--lang", "en", "item", "list", "--occupation", "X", "--level", "4", "--db", REFUSED_PG
    )
    assert proc.returncode == EXIT_DATABASE
    line = one_line(proc)
    assert "hunter2" not in line
    assert line.startswith(
        "Error: cannot open the database postgresql+psycopg://postgres:***@127.0.0.1:1/test: "
    )
    assert "refused" in line


AS_NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


@pytest.mark.skipif(
    not (hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("setpriv")),
    reason="needs root to run the console script as another user (setpriv)",
)
def test_console_unreadable_database_as_an_ordinary_user() -> None:
    """chmod 000 stops nobody when the tests run as root: run qbank as `nobody` instead, with
    no home directory and an install it cannot write, where numba's cache used to raise at
    import (before any handler) until qbank.overlap gave it a private directory."""
    base = Path(tempfile.mkdtemp(prefix="qbank-perm-"))
    try:
        base.chmod(0o755)
        locked = base / "locked.db"
        locked.write_bytes(os.urandom(4096))
        locked.chmod(0)
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("QBANK_", "NUMBA_")) and k != "XDG_CACHE_HOME"
        }
        proc = subprocess.run(
            [*AS_NOBODY, str(QBANK), "--lang", "en", "bank", "list", "--db", str(locked)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={**env, "HOME": str(base / "no-home")},
        )
        assert proc.returncode == EXIT_DATABASE
        assert one_line(proc) == f"Error: cannot open the database {locked}: permission denied"
    finally:
        shutil.rmtree(base, ignore_errors=True)


# --- the handler's other outcomes, in-process ----------------------------------------------


def test_database_from_a_newer_qbank_is_named_with_its_revision(ws: Workspace) -> None:
    result = run(["--lang", "en", "bank", "list", "--db", str(ws.newer_db)], ws)
    assert result.exit_code == EXIT_DATABASE
    assert result.stderr.strip() == (
        f"Error: the database {ws.newer_db} has schema revision fffffffffff0, which this qbank "
        "does not know (probably made by a newer qbank); upgrade qbank"
    )


def test_database_named_by_the_environment_is_shown_as_named(ws: Workspace) -> None:
    result = CliRunner().invoke(
        cli, ["bank", "list"], env={"QBANK_DB": str(ws.junk)}, catch_exceptions=False
    )
    assert result.exit_code == EXIT_DATABASE
    assert result.stderr.strip() == f"错误：无法打开数据库 {ws.junk}：不是 SQLite 数据库文件"


def test_unparseable_url_is_a_database_error(ws: Workspace) -> None:
    result = run(["bank", "list", "--db", "nosuchdialect://u:hunter2@h/db"], ws)
    assert result.exit_code == EXIT_DATABASE
    assert result.stderr.startswith("错误：数据库地址 nosuchdialect://u:***@h/db 无效：")


def test_empty_db_is_a_usage_error(ws: Workspace) -> None:
    result = run(["bank", "list", "--db", ""], ws)
    assert result.exit_code == 2
    assert "--db" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("flag", ["--debug", "env"])
def test_debug_lets_the_traceback_through(flag: str, ws: Workspace) -> None:
    args = ["bank", "list", "--db", str(ws.junk)]
    env = {"QBANK_DEBUG": "1"} if flag == "env" else {}
    with pytest.raises(Exception, match="file is not a database"):
        CliRunner().invoke(
            cli, [*args, "--debug"] if flag == "--debug" else args, env=env, catch_exceptions=False
        )


def failing_group(error: BaseException) -> click.Group:
    """A root group like qbank's, whose one command raises `error`."""

    @click.group(cls=QbankGroup)
    def root() -> None:
        pass

    @root.group()
    def outer() -> None:
        pass

    @outer.command()
    def boom() -> None:
        raise error

    return root


@pytest.mark.parametrize(
    ("error", "status", "line"),
    [
        (
            PermissionError(errno.EACCES, "Permission denied", "/srv/bank/out.docx"),
            EXIT_OS,
            "错误：/srv/bank/out.docx：没有权限",
        ),
        (
            OSError(errno.ENOSPC, "No space left on device", "/mnt/usb/paper.pdf"),
            EXIT_OS,
            "错误：/mnt/usb/paper.pdf：磁盘空间已满",
        ),
        (
            IsADirectoryError(errno.EISDIR, "Is a directory", "题库"),
            EXIT_OS,
            "错误：题库：这是一个目录，应为文件",
        ),
        (
            FileNotFoundError(errno.ENOENT, "No such file", "a.csv", None, "b.csv"),
            EXIT_OS,
            "错误：a.csv → b.csv：文件或目录不存在",
        ),
        (OSError(errno.EIO, "Input/output error"), EXIT_OS, "错误：系统错误：读写错误（I/O）"),
        (InvalidInput("cli.db_empty"), EXIT_USER, "错误：--db 不能为空"),
    ],
)
def test_os_and_typed_errors_become_one_located_line(
    error: Exception, status: int, line: str
) -> None:
    result = CliRunner().invoke(failing_group(error), ["outer", "boom"], catch_exceptions=False)
    assert result.exit_code == status
    assert result.stderr.strip() == line


def driver_error(message: str) -> Exception:
    return sqlalchemy.exc.OperationalError("INSERT …", {}, sqlite3.OperationalError(message))


@pytest.mark.parametrize(
    ("error", "line"),
    [
        (driver_error("database or disk is full"), "错误：数据库 qbank.db 出错：磁盘空间已满"),
        (
            driver_error("database is locked"),
            "错误：数据库 qbank.db 出错：数据库正被另一进程占用，请稍后再试",
        ),
        (
            driver_error("no such table: items\n[SQL: …]"),
            "错误：数据库 qbank.db 出错：no such table: items",
        ),
        (
            sqlalchemy.exc.ArgumentError("Could not parse URL"),
            "错误：数据库地址 qbank.db 无效：Could not parse URL",
        ),
    ],
)
def test_database_failures_during_a_command_name_the_database(error: Exception, line: str) -> None:
    result = CliRunner().invoke(
        failing_group(error), ["outer", "boom"], catch_exceptions=False, env={"QBANK_DB": None}
    )
    assert result.exit_code == EXIT_DATABASE
    assert result.stderr.strip() == line


def test_unexpected_error_names_the_command_and_where() -> None:
    result = CliRunner().invoke(
        failing_group(ValueError("bad\nsecond line")),
        ["outer", "boom"],
        catch_exceptions=False,
        env={"QBANK_LANG": "en"},
    )
    assert result.exit_code == EXIT_INTERNAL
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("Error: root outer boom failed unexpectedly: ValueError: bad (at ")
    assert "test_no_traceback.py:" in line and line.endswith("run with --debug for details)")


def test_out_of_memory_says_so() -> None:
    result = CliRunner().invoke(
        failing_group(MemoryError()), ["outer", "boom"], catch_exceptions=False
    )
    assert result.exit_code == EXIT_INTERNAL
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("错误：root outer boom 内存不足（位置 tests/test_no_traceback.py:")


def test_interrupt_is_a_short_line_and_130() -> None:
    result = CliRunner().invoke(
        failing_group(KeyboardInterrupt()),
        ["outer", "boom"],
        catch_exceptions=False,
        env={"QBANK_LANG": "en"},
    )
    assert result.exit_code == EXIT_INTERRUPTED
    assert result.stderr.strip() == "interrupted"


def test_usage_errors_keep_clicks_exit_status() -> None:
    """Worded in the user's language (tests/test_messages.py), still click's usage error."""
    result = CliRunner().invoke(cli, ["bank", "list", "--no-such-option"], catch_exceptions=False)
    assert result.exit_code == 2
    assert "用法：" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["item", "show", str(2**63)],
        ["paper", "check", "99999999999999999999"],
        ["custody", "show", "--batch", str(2**64)],
        ["bank", "show", "--occupation", "6-31-01-03", "--level", str(2**63)],
        ["item", "show", "0"],
    ],
)
def test_numbers_the_database_cannot_hold_are_usage_errors(args: list[str]) -> None:
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("command", "option"), [(["overlap", "check"], "--level"), (["custody", "show"], "--batch")]
)
def test_a_numbers_storage_bounds_stay_out_of_the_help(command: list[str], option: str) -> None:
    """A level or a row id is refused past 64 bits, but its help says INTEGER, not the
    19-digit range."""
    result = CliRunner().invoke(cli, [*command, "--help"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if line.strip().startswith(option))
    assert "INTEGER" in line and "RANGE" not in line and str(2**63 - 1) not in result.output
