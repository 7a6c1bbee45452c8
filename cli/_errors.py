"""The one place where a failure becomes what the user reads: one line and an exit status.

Typed qbank errors are the user's to fix (exit 1); click's own usage errors keep exit 2. What
is left is turned into one located line here, so no traceback ever reaches a user:

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

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
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
