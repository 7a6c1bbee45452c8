"""What every command shares: database and language options, error translation, output."""

from __future__ import annotations

import functools
import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import click

from cli._errors import open_database_or_explain
from qbank.errors import QbankError
from qbank.i18n import set_language, tr

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from qbank.db import Database


class _StoredInt(click.IntRange):
    """An integer a database column can hold (SQLite and PostgreSQL integers are 64-bit): a
    larger one is a usage error, not a failed query. Its help shows no range: the bounds are
    the storage's, not the option's (a level's 1–5 is checked where levels are)."""

    name = "integer"

    def _describe_range(self) -> str:
        return ""


ROW_ID = _StoredInt(1, 2**63 - 1)
"""A database row id on the command line."""
DB_INT = _StoredInt(-(2**63), 2**63 - 1)
"""Any other integer that reaches a query (a level, a count)."""

F = TypeVar("F", bound=Callable[..., Any])
P = ParamSpec("P")
R = TypeVar("R")


def _set_lang(ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value:
        set_language(value)
    return value


def _set_db(ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not value.strip():
        raise click.BadParameter(tr("cli.db_empty"))
    if value:
        ctx.find_root().ensure_object(dict)["db"] = value
    return value


def _set_debug(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    if value:
        ctx.find_root().ensure_object(dict)["debug"] = True
    return value


db_option = click.option(
    "--db",
    metavar="URL",
    expose_value=False,
    is_eager=True,
    callback=_set_db,
    help="数据库：SQLite 文件路径或 URL（默认 $QBANK_DB 或 ./qbank.db） / database path or URL",
)
lang_option = click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    expose_value=False,
    is_eager=True,
    callback=_set_lang,
    help="输出语言（默认 $QBANK_LANG 或 zh） / output language",
)
debug_option = click.option(
    "--debug",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_set_debug,
    help="出错时显示完整的 Python 调用栈（或设 QBANK_DEBUG=1） / show tracebacks on failure",
)


def _set_quiet(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    if value:
        ctx.find_root().ensure_object(dict)["quiet"] = True
    return value


quiet_option = click.option(
    "--quiet",
    "-q",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_set_quiet,
    help="不显示进度条 / no progress display",
)
json_option = click.option("--json", "as_json", is_flag=True, help="输出 JSON / print JSON")


def common_options(fn: F) -> F:
    """`--db`, `--lang`, `--debug` and `--quiet`, accepted on every command as well as
    before it."""
    return db_option(lang_option(debug_option(quiet_option(fn))))


class UserError(click.ClickException):
    """A QbankError as click shows it: one line with a prefix in the user's language."""

    def show(self, file: Any = None) -> None:
        click.echo(tr("cli.error", message=self.format_message()), err=True)


def qbank_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn our errors into one clear message and exit status 1; a bug keeps its traceback."""

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except QbankError as e:
            from cli._limits import echo_problems

            echo_problems(getattr(e, "problems", ()))  # located problems (200), then the summary
            raise UserError(str(e)) from e

    return run


@contextmanager
def database() -> Iterator[Database]:
    ctx = click.get_current_context()
    db = open_database_or_explain((ctx.find_root().obj or {}).get("db"))
    try:
        yield db
    finally:
        db.dispose()


@contextmanager
def transaction() -> Iterator[Session]:
    """A session on the chosen database; everything in the block commits or nothing does."""
    with database() as db, db.transaction() as session:
        yield session


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def emit_table(rows: list[tuple[Any, ...]], headers: tuple[str, ...]) -> None:
    """A plain aligned table; widths count CJK characters as two columns."""

    def width(text: str) -> int:
        return sum(2 if ord(c) > 0x2E7F else 1 for c in text)

    cells = [tuple("" if v is None else str(v) for v in row) for row in rows]
    widths = [width(h) for h in headers]
    for row in cells:
        widths = [max(w, width(c)) for w, c in zip(widths, row, strict=True)]

    def line(values: tuple[str, ...]) -> str:
        return "  ".join(
            v + " " * (w - width(v)) for v, w in zip(values, widths, strict=True)
        ).rstrip()

    click.echo(line(headers))
    click.echo("  ".join("-" * w for w in widths))
    for row in cells:
        click.echo(line(row))


def t(key: str, /, **params: Any) -> str:
    return tr(key, **params)


PROGRESS_DELAY = 1.0
"""Seconds a stage runs before its bar appears: work done sooner shows nothing."""


@contextmanager
def progress(*, shown: bool = True) -> Iterator[Callable[[str, int, int], None]]:
    """A `workflows.types.Progress` that draws a bar on stderr per stage of long work.

    A stage's bar appears once the stage has run `PROGRESS_DELAY` seconds, and only when
    stderr is a terminal, the command prints no JSON (`shown`) and --quiet is not given;
    click's bar (click is loaded anyway) labels it with the stage's message `progress.<stage>`.
    """
    root = click.get_current_context().find_root()
    active = shown and not (root.obj or {}).get("quiet") and sys.stderr.isatty()
    current: dict[str, Any] = {}

    def close() -> None:
        bar = current.pop("bar", None)
        if bar is not None:
            bar.__exit__(None, None, None)

    def report(stage: str, done: int, total: int) -> None:
        if not active:
            return
        if current.get("stage") != stage:
            close()
            current.update(stage=stage, started=time.monotonic())
        bar = current.get("bar")
        if bar is None:
            if done >= total or time.monotonic() - current["started"] < PROGRESS_DELAY:
                return
            bar = click.progressbar(length=total, label=t(f"progress.{stage}"), file=sys.stderr)
            bar.__enter__()
            current["bar"] = bar
        bar.update(done - bar.pos)

    try:
        yield report
    finally:
        close()
