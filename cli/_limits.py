"""`--limit NAME=VALUE` for the commands that read files, and problem lists cut to a screenful.

The limits themselves live in `formats.limits`; this only lets a user raise (or lower) them
for one command, on top of `$QBANK_LIMITS`.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import click

from formats import limits as reading_limits
from qbank.errors import QbankError
from qbank.i18n import tr
from qbank.records import Problem, problem_count

F = TypeVar("F", bound=Callable[..., Any])

_HELP = (
    '提高（或降低）读取文件的上限，可重复；也可设环境变量 QBANK_LIMITS="名称=值,…"。'
    " / raise (or lower) a limit on reading files; repeatable; also $QBANK_LIMITS."
    " 名称 / NAMES (default): "
    + ", ".join(
        f"{name}={reading_limits.format_value(name, getattr(reading_limits.Limits(), name))}"
        for name in reading_limits.names()
    )
)


def _set_limits(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> None:
    try:
        base = reading_limits.parse_limits(os.environ.get(reading_limits.ENV_VAR, ""))
        chosen = reading_limits.parse_limits(values, base) if values else None
    except QbankError as e:
        raise click.BadParameter(str(e), ctx=ctx, param=param) from e
    reading_limits.set_current(chosen)
    ctx.call_on_close(lambda: reading_limits.set_current(None))


limit_option = click.option(
    "--limit",
    "limits",
    multiple=True,
    metavar="NAME=VALUE",
    expose_value=False,
    callback=_set_limits,
    help=_HELP,
)
"""Decorator for a command that reads files from outside (imports, packages, bundles)."""


def echo_problems(
    problems: Iterable[Problem],
    *,
    err: bool = True,
    line: Callable[[str], str] = lambda text: text,
) -> None:
    """The first `problems` limit of them (200 by default), then "… and N more".

    `line` shapes each problem's text (e.g. onto one line) before it is printed.
    """
    shown = reading_limits.current().problems
    listed = 0
    for problem in itertools.islice(problems, shown):
        click.echo(line(str(problem)), err=err)
        listed += 1
    more = problem_count(problems) - listed
    if more > 0:
        click.echo(tr("limit.more_problems", count=more), err=err)
