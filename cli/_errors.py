"""The one place where a failure becomes what the user reads: one line and an exit status.

Typed qbank errors are the user's to fix (exit 1); click's own usage errors keep exit 2 and
are worded here in the user's language from the exception's type and parameter (`translated`),
not from click's English. What is left is turned into one located line here, so no traceback
ever reaches a user:

  3    the database could not be opened or failed (bad URL, not a database, server refuses,
       schema from a newer qbank), naming the database with its password hidden
  4    the operating system refused (missing directory, permission, full disk), naming the path
  5    anything else (a bug or a library failure), naming the command and where it failed
  130  interrupted (Ctrl-C)

`--debug` or `QBANK_DEBUG=1` lets the exception through with its traceback instead.
"""

from __future__ import annotations

import errno
import os
import re
import traceback
import unicodedata
from pathlib import Path
from types import TracebackType
from typing import Any

import click

from cli._lazy import LazyGroup
from qbank.errors import QbankError
from qbank.i18n import tr

EXIT_USER = 1
EXIT_USAGE = 2
EXIT_DATABASE = 3
EXIT_OS = 4
EXIT_INTERNAL = 5
EXIT_INTERRUPTED = 130

DEBUG_ENV = "QBANK_DEBUG"
_THIS = Path(__file__).resolve()
_ROOT = _THIS.parent.parent  # the directory holding cli/, qbank/, …
_OWN_PACKAGES = ("cli", "qbank", "importers", "exporters", "web")


class DatabaseUnavailable(Exception):
    """Opening the database named by `value` (a `--db` path or URL) failed with `cause`."""

    def __init__(self, value: str | None, cause: BaseException) -> None:
        self.value = value
        self.cause = cause
        super().__init__(f"{value}: {cause}")


def debugging(ctx: click.Context | None = None) -> bool:
    """True when the user asked for tracebacks (`--debug` anywhere, or `QBANK_DEBUG`)."""
    if os.environ.get(DEBUG_ENV, "").strip().lower() in ("1", "true", "yes", "on"):
        return True
    if ctx is not None:
        return bool((ctx.find_root().obj or {}).get("debug"))
    return False


def open_database_or_explain(value: str | None) -> Any:
    """`qbank.db.open_database`, with any failure other than a typed qbank one (such as a
    busy bank) wrapped so the handler can say which database could not be opened."""
    from qbank.db import open_database

    try:
        return open_database(value)
    except QbankError:
        raise
    except Exception as e:
        raise DatabaseUnavailable(value, e) from e


class QbankGroup(LazyGroup):
    """The root group: runs a command and turns whatever escapes it into one line.

    Overriding `invoke` (not the console script's `main()`) means `CliRunner` and the
    installed `qbank` take the same path."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as e:  # the root's own options: `qbank --nope`
            raise translated(e) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as e:  # a subcommand's arguments, or a command's own
            raise translated(e) from None
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, EOFError):
            raise  # click's own: usage errors (exit 2), --help, prompts at end of input
        except KeyboardInterrupt:
            if debugging(ctx):
                raise
            click.echo(err=True)
            click.echo(tr("cli.interrupted"), err=True)
            raise click.exceptions.Exit(EXIT_INTERRUPTED) from None
        except OSError as e:
            if e.errno == errno.EPIPE or debugging(ctx):
                raise  # click quietens a closed pipe itself
            _fail(ctx, e)
        except Exception as e:
            if debugging(ctx):
                raise
            _fail(ctx, e)


def _fail(ctx: click.Context, e: Exception) -> None:
    try:
        status, message = explain(e, ctx)
    except Exception:  # explaining must never be what shows a traceback
        status, message = EXIT_INTERNAL, _one_line(f"{type(e).__name__}: {e}")
    click.echo(tr("cli.error", message=message), err=True)
    raise click.exceptions.Exit(status) from None


def explain(e: BaseException, ctx: click.Context | None = None) -> tuple[int, str]:
    """Exit status and the one line (without the "Error:" prefix) that reports `e`."""
    import sqlalchemy.exc

    if isinstance(e, QbankError):
        from cli._limits import echo_problems  # the first 200, then "and N more"

        echo_problems(getattr(e, "problems", ()), line=_one_line)
        return EXIT_USER, _one_line(str(e))
    if isinstance(e, DatabaseUnavailable):
        return EXIT_DATABASE, _database_message(e.value, e.cause, opening=True)
    if isinstance(e, sqlalchemy.exc.SQLAlchemyError) or _is_alembic(e):
        return EXIT_DATABASE, _database_message(_db_value(ctx), e, opening=False)
    if isinstance(e, OSError):
        return EXIT_OS, _os_message(e)
    return EXIT_INTERNAL, _internal_message(e, ctx)


# --- click's usage errors ---------------------------------------------------------------


class UsageProblem(click.UsageError):
    """A usage error in the user's language: usage line, help hint and the message, as click
    shows them, with exit status 2."""

    def show(self, file: Any = None) -> None:
        ctx = self.ctx
        if ctx is not None:
            formatter = ctx.make_formatter()
            pieces = ctx.command.collect_usage_pieces(ctx)
            formatter.write_usage(ctx.command_path, " ".join(pieces), prefix=tr("usage.usage"))
            click.echo(formatter.getvalue().rstrip("\n"), err=True, color=ctx.color)
            if ctx.command.get_help_option(ctx) is not None:
                option = max(ctx.command.get_help_option_names(ctx), key=len)
                hint = tr("usage.try_help", command=ctx.command_path, option=option)
                click.echo(hint + "\n", err=True, color=ctx.color)
        click.echo(tr("cli.error", message=self.format_message()), err=True)


def translated(e: click.UsageError) -> click.UsageError:
    """`e` as a UsageProblem worded from its type and parameter, not from click's English;
    help shown for a bare group (NoArgsIsHelpError) passes unchanged."""
    if isinstance(e, UsageProblem | click.exceptions.NoArgsIsHelpError):
        return e
    ctx = e.ctx or _innermost_ctx(e)
    try:
        message = _usage_message(e, ctx)
    except Exception:  # wording an error must never become the error
        message = e.format_message()
    return UsageProblem(message, ctx)


_NOT_FOUND = object()


def _usage_message(e: click.UsageError, ctx: click.Context | None) -> str:
    no_such_command = getattr(click.exceptions, "NoSuchCommand", None)  # click >= 8.4
    if isinstance(e, click.MissingParameter):
        return _missing(e, ctx)
    if isinstance(e, click.BadParameter):
        return tr("usage.bad_value", param=_param_hint(e, ctx), reason=_bad_value(e))
    if isinstance(e, click.NoSuchOption):
        return _with_guesses(tr("usage.no_such_option", name=e.option_name), e.possibilities)
    if no_such_command is not None and isinstance(e, no_such_command):
        name = e.command_name
        names = (
            ctx.command.list_commands(ctx)
            if isinstance(ctx, click.Context) and isinstance(ctx.command, click.Group)
            else []
        )
        return _with_guesses(tr("usage.no_such_command", name=name), _close(name, names))
    if isinstance(e, click.BadOptionUsage):
        return _bad_option_usage(e, ctx)
    if type(e) is click.UsageError and ctx is not None:
        frame = _raised_from(e)
        if frame is not None and frame.f_locals.get("self") is ctx.command:
            if frame.f_code.co_name == "parse_args" and frame.f_locals.get("args"):
                extra = " ".join(map(str, frame.f_locals["args"]))
                return tr("usage.extra_arguments", args=extra)
            if frame.f_code.co_name == "invoke" and isinstance(ctx.command, click.Group):
                return tr("usage.missing_command")
    return e.format_message()  # our own usage errors are worded already


def _missing(e: click.MissingParameter, ctx: click.Context | None) -> str:
    kind = e.param_type or (e.param.param_type_name if e.param is not None else "option")
    key = "usage.missing_argument" if kind == "argument" else "usage.missing_option"
    message = tr(key, param=_param_hint(e, ctx))
    if e.param is not None and isinstance(e.param.type, click.Choice):
        choices = ", ".join(map(str, e.param.type.choices))
        message += tr("usage.choose_from", choices=choices)
    return message


def _param_hint(e: click.BadParameter, ctx: click.Context | None) -> str:
    hint = e.param_hint
    if hint is None and e.param is not None:
        if isinstance(e.param, click.Argument) and ctx is not None:
            return e.param.make_metavar(ctx)
        return " / ".join(e.param.opts or [e.param.human_readable_name])
    if isinstance(hint, str):
        return hint
    return " / ".join(hint or ())


def _bad_value(e: click.BadParameter) -> str:
    """Why the value was refused, from the parameter's type and the value it was given."""
    param = e.param
    value = _converted_value(e)
    if param is None or value is _NOT_FOUND:
        return e.message
    kind = param.type
    shown = str(value)
    if isinstance(kind, click.Choice):
        return tr("usage.not_choice", value=shown, choices=", ".join(map(str, kind.choices)))
    if isinstance(kind, click.types.IntParamType | click.types.FloatParamType):
        integer = isinstance(kind, click.types.IntParamType)
        try:
            (int if integer else float)(value)
        except (TypeError, ValueError):
            return tr("usage.not_integer" if integer else "usage.not_number", value=shown)
        if isinstance(kind, click.IntRange | click.FloatRange):
            return tr("usage.out_of_range", value=shown, range=_range(kind))
    if isinstance(kind, click.Path):
        path = Path(os.fsdecode(value))
        if kind.exists and not path.exists():
            return tr("usage.path_missing", path=_path(path))
        if not kind.dir_okay and path.is_dir():
            return tr("file.is_directory", path=_path(path))
        if not kind.file_okay and path.exists() and not path.is_dir():
            return tr("usage.path_is_file", path=_path(path))
    return e.message


def _converted_value(e: click.BadParameter) -> Any:
    """The value the parameter's type was converting when it refused (the type's `convert`
    frame holds it; click's exception does not), or _NOT_FOUND for a refusal of our own."""
    if e.param is None:
        return _NOT_FOUND
    for frame in reversed(_frames(e.__traceback__)):
        if frame.f_locals.get("self") is e.param.type and "value" in frame.f_locals:
            return frame.f_locals["value"]
    return _NOT_FOUND


def _range(kind: click.IntRange | click.FloatRange) -> str:
    low, high = kind.min, kind.max
    if low is not None and high is not None and not kind.min_open and not kind.max_open:
        return f"{low}–{high}"
    parts = []
    if low is not None:
        parts.append(f"{low}{'<' if kind.min_open else '≤'}")
    parts.append("x")
    if high is not None:
        parts.append(f"{'<' if kind.max_open else '≤'}{high}")
    return "".join(parts)


def _bad_option_usage(e: click.BadOptionUsage, ctx: click.Context | None) -> str:
    """An option given without its value, or a flag given one (`--dry-run=yes`)."""
    name = e.option_name
    params = ctx.command.params if ctx is not None else []
    for param in params:
        if isinstance(param, click.Option) and name in (*param.opts, *param.secondary_opts):
            flag = param.is_flag or param.count
            return tr(
                "usage.option_takes_no_value" if flag else "usage.option_needs_value", name=name
            )
    return e.format_message()


def _with_guesses(message: str, names: list[str] | None) -> str:
    if not names:
        return message
    return message + tr("usage.did_you_mean", names=", ".join(names))


def _close(name: str, names: list[str]) -> list[str]:
    import difflib

    return difflib.get_close_matches(name, names)


def _raised_from(e: BaseException) -> Any:
    """The innermost frame of the traceback outside click.Context (whose `fail` raises for
    its caller)."""
    for frame in reversed(_frames(e.__traceback__)):
        if not isinstance(frame.f_locals.get("self"), click.Context):
            return frame
    return None


def _innermost_ctx(e: BaseException) -> click.Context | None:
    """The click context nearest to where `e` was raised (the parser raises without one)."""
    found = None
    for frame in _frames(e.__traceback__):
        candidate = frame.f_locals.get("ctx")
        if isinstance(candidate, click.Context):
            found = candidate
    return found


# --- database ---------------------------------------------------------------------------


def _db_value(ctx: click.Context | None) -> str | None:
    if ctx is None:
        return None
    return (ctx.find_root().obj or {}).get("db")


def _is_alembic(e: BaseException) -> bool:
    return type(e).__module__.startswith("alembic.")


def _database_message(value: str | None, cause: BaseException, *, opening: bool) -> str:
    import sqlalchemy.exc

    url = _shown_url(value)
    if isinstance(cause, sqlalchemy.exc.ArgumentError):
        return tr("cli.db_bad_url", url=url, reason=_one_line(str(cause)))
    revision = _unknown_revision(cause)
    if revision is not None:
        return tr("cli.db_newer", url=url, revision=revision)
    reason = _database_reason(value, cause)
    return tr("cli.db_open_failed" if opening else "cli.db_failed", url=url, reason=reason)


def _unknown_revision(e: BaseException) -> str | None:
    """The revision named in the database that this qbank's migrations do not know."""
    seen: BaseException | None = e
    while seen is not None:
        argument = getattr(seen, "argument", None)
        if type(seen).__name__ == "ResolutionError" and argument:
            return str(argument)
        match = re.search(r"Can't locate revision identified by '([^']*)'", str(seen))
        if match:
            return match.group(1)
        seen = seen.__cause__ or seen.__context__
    return None


def _database_reason(value: str | None, e: BaseException) -> str:
    """Why, in the user's language where we recognise it, else the driver's own first line."""
    orig = getattr(e, "orig", None) or e
    text = str(orig)
    lowered = text.lower()
    if "file is not a database" in lowered or "file is encrypted" in lowered:
        return tr("cli.reason.not_a_database")
    if "unable to open database file" in lowered:
        return _sqlite_open_reason(value) or tr("cli.reason.cannot_open_file")
    if "connection refused" in lowered:
        return tr("cli.reason.refused")
    if "database or disk is full" in lowered:
        return tr("cli.reason.disk_full")
    if "database is locked" in lowered or "database table is locked" in lowered:
        return tr("cli.reason.locked")
    if "readonly database" in lowered or "read-only" in lowered:
        return tr("cli.reason.read_only")
    if isinstance(orig, OSError):
        return _errno_reason(orig)
    reason = _one_line(text) or type(orig).__name__
    return _hide_password(reason, value)


def _sqlite_open_reason(value: str | None) -> str | None:
    """What is wrong with a SQLite file path, looked at directly."""
    from qbank.db import resolve_url

    try:
        from sqlalchemy.engine import make_url

        url = make_url(resolve_url(value))
    except Exception:
        return None
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    path = Path(url.database)
    parent = path.parent
    try:
        if path.is_dir():
            return tr("cli.reason.is_a_directory")
        if not parent.exists():
            return tr("cli.reason.no_directory", path=_path(parent))
        if not parent.is_dir():
            return tr("cli.reason.not_directory", path=_path(parent))
        path.exists()
    except OSError as e:  # the path itself is unusable (too long, a loop…)
        return _errno_reason(e)
    if not os.access(parent, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.R_OK)):
        return tr("cli.reason.permission")
    return None


def _shown_url(value: str | None) -> str:
    """The database as the user named it; a URL with its password hidden."""
    from qbank.db import DEFAULT_PATH, resolve_url

    named = value or os.environ.get("QBANK_DB") or DEFAULT_PATH
    try:
        full = resolve_url(value)
    except Exception:
        full = named or ""
    if named and "://" not in named:
        return _printable(named)  # a plain path, as typed
    try:
        from sqlalchemy.engine import make_url

        return _printable(make_url(full).render_as_string(hide_password=True))
    except Exception:
        return _printable(re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", full))


def _hide_password(text: str, value: str | None) -> str:
    try:
        from sqlalchemy.engine import make_url

        password = make_url(value or "").password if value and "://" in value else None
    except Exception:
        password = None
    return text.replace(str(password), "***") if password else text


# --- operating system -------------------------------------------------------------------

_ERRNO_KEYS = {
    errno.ENOENT: "cli.reason.not_found",
    errno.EACCES: "cli.reason.permission",
    errno.EPERM: "cli.reason.permission",
    errno.EISDIR: "cli.reason.is_a_directory",
    errno.ENOTDIR: "cli.reason.not_a_directory",
    errno.ENOSPC: "cli.reason.disk_full",
    errno.EDQUOT: "cli.reason.quota",
    errno.EROFS: "cli.reason.read_only",
    errno.EEXIST: "cli.reason.exists",
    errno.ENOTEMPTY: "cli.reason.not_empty",
    errno.ENAMETOOLONG: "cli.reason.name_too_long",
    errno.EMFILE: "cli.reason.too_many_files",
    errno.ENFILE: "cli.reason.too_many_files",
    errno.EFBIG: "cli.reason.too_large",
    errno.EIO: "cli.reason.io",
    errno.ELOOP: "cli.reason.loop",
}


def _errno_reason(e: OSError) -> str:
    key = _ERRNO_KEYS.get(e.errno or -1)
    if key is not None:
        return tr(key)
    return _one_line(e.strerror or str(e)) or type(e).__name__


def _os_message(e: OSError) -> str:
    reason = _errno_reason(e)
    if e.filename is not None and e.filename2 is not None:
        return tr(
            "cli.os_error_two", path=_path(e.filename), other=_path(e.filename2), reason=reason
        )
    if e.filename is not None:
        return tr("cli.os_error", path=_path(e.filename), reason=reason)
    return tr("cli.os_error_bare", reason=reason)


def _path(name: Any) -> str:
    if isinstance(name, bytes):
        name = os.fsdecode(name)
    return _printable(str(name))


# --- anything else ----------------------------------------------------------------------


def _internal_message(e: BaseException, ctx: click.Context | None) -> str:
    if isinstance(e, MemoryError):
        return tr("cli.out_of_memory", command=_command_path(e, ctx), where=_where(e.__traceback__))
    error = _one_line(str(e))
    error = f"{type(e).__name__}: {error}" if error else type(e).__name__
    return tr(
        "cli.internal_error",
        command=_command_path(e, ctx),
        error=error,
        where=_where(e.__traceback__),
    )


def _frames(tb: TracebackType | None) -> list[Any]:
    frames = []
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    return frames


def _command_path(e: BaseException, ctx: click.Context | None) -> str:
    """`qbank bank list`: the deepest click context on the way to the failure."""
    deepest = ctx
    for frame in _frames(e.__traceback__):
        candidate = frame.f_locals.get("ctx")
        if isinstance(candidate, click.Context):
            deepest = candidate
    return deepest.command_path if deepest is not None else "qbank"


def _where(tb: TracebackType | None) -> str:
    """file:line of the innermost frame in qbank's own code, else of the innermost frame."""
    frames = traceback.extract_tb(tb)
    if not frames:
        return "?"
    chosen = frames[-1]
    for frame in reversed(frames):  # innermost, the handler aside
        if Path(frame.filename).resolve() != _THIS:
            chosen = frame
            break
    for frame in reversed(frames):
        path = Path(frame.filename).resolve()
        if path == _THIS:
            continue  # the handler itself is never where something failed
        if path.is_relative_to(_ROOT) and path.relative_to(_ROOT).parts[0] in _OWN_PACKAGES:
            chosen = frame
            break
    path = Path(chosen.filename).resolve()
    shown = path.relative_to(_ROOT) if path.is_relative_to(_ROOT) else path.name
    return f"{shown}:{chosen.lineno}"


def _one_line(text: str, limit: int = 500) -> str:
    """The first non-empty line, shortened: a message never spans lines or screens."""
    for line in text.split("\n"):
        line = line.strip()
        if line:
            return _printable(line, limit)
    return ""


def _printable(text: str, limit: int = 500) -> str:
    """`text` with control characters and line breaks escaped (`\\r`, `\\x1e`), so a path
    or a driver's message holding one cannot break the line; shortened past `limit`."""
    shown = "".join(
        repr(c)[1:-1] if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in text
    )
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"
