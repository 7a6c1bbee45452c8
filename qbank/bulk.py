"""Many rows in one statement, straight to the database driver's `executemany`.

SQLAlchemy Core's executemany builds and processes every row's parameters in Python
(construct_params, then each column's bind processor); on an import of 55,000 items that
bookkeeping cost more than the database's own work. `execute_many` compiles the statement once
for the connection's dialect, applies each parameter's bind processor (JSON, datetimes: the
same processors Core applies, so the stored bytes are the same), fills Python-side column
defaults once per call, and hands the driver plain tuples (or dicts for named styles). Only for
statements whose result is not read (no RETURNING).
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import JSON, Dialect, Insert, Table, func, insert, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import UpdateBase

from qbank.json_column import EncodedJSON, dumps

Rows = Sequence[Mapping[str, Any]] | Sequence[tuple[Any, ...]]
"""Rows to write: mappings with the same keys, or tuples whose values the `columns` argument
names, in its order (no dictionary built and taken apart again per row: the import's version
rows, 22 values each, cost 1.1 us a row less so)."""


def insert_many(
    session: Session,
    table: Table,
    rows: Rows,
    *,
    columns: Sequence[str] | None = None,
    skip_existing: bool = False,
) -> None:
    """INSERT `rows` (`Rows`: mappings, or tuples of the values `columns` names) into `table`;
    columns with a Python-side default that the rows do not give get it, computed once for
    all of them. With `skip_existing`, a row whose key a stored row (or an earlier row) has
    is left out and the stored row kept as it is (`ON CONFLICT DO NOTHING`, SQLite and
    PostgreSQL)."""
    if not rows:
        return
    keys = list(rows[0] if columns is None else columns)
    defaults: dict[str, Any] = {}
    for column in table.columns:
        default = column.default
        if column.key in keys or default is None:
            continue
        if default.is_callable:  # as Core calls it, with a context it does not need
            defaults[column.key] = default.arg(None)  # type: ignore[attr-defined]
        elif default.is_scalar:
            defaults[column.key] = default.arg  # type: ignore[attr-defined]
    stmt: Insert = _skipping_insert(session, table) if skip_existing else insert(table)
    execute_many(session, stmt, rows, columns=columns, constants=defaults)


def _skipping_insert(session: Session, table: Table) -> Insert:
    """INSERT into `table` that leaves out rows conflicting with a stored one."""
    name = session.get_bind().dialect.name
    if name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table).on_conflict_do_nothing()
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(table).on_conflict_do_nothing()
    raise NotImplementedError(f"no INSERT ... ON CONFLICT DO NOTHING for {name}")


def execute_many(
    session: Session,
    stmt: UpdateBase,
    rows: Rows,
    *,
    columns: Sequence[str] | None = None,
    constants: Mapping[str, Any] | None = None,
) -> None:
    """Execute `stmt` once per row of `rows` (`Rows`, naming with `constants` every bind
    parameter it has; `constants` the same for every row) with one driver `executemany`."""
    if not rows:
        return
    constants = constants or {}
    keys = list(rows[0] if columns is None else columns)
    if columns is not None and len(rows[0]) != len(keys):
        raise ValueError(f"rows of {len(rows[0])} values for {len(keys)} columns")
    session.flush()  # what the ORM holds pending goes first, as a Core execute would see it
    connection = session.connection()
    dialect = connection.dialect
    compiled = stmt.compile(dialect=dialect, column_keys=[*keys, *constants])
    names: Sequence[str] = (
        list(compiled.positiontup or ()) if dialect.positional else list(compiled.binds)
    )
    processors: list[Callable[[Any], Any] | None] = []
    for name in names:
        bind = compiled.binds[name]
        processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None and _plain_json(bind.type, dialect):
            processors.append(_json_writer(processor))
        elif processor is not None and isinstance(bind.type, JSON):
            processors.append(_encoded_as_is(processor))
        else:
            processors.append(processor)
    missing = [n for n in names if n not in keys and n not in constants]
    if missing:
        raise ValueError(f"rows do not give {', '.join(missing)}")
    parameters = _parameters(rows, names, processors, dialect, constants, columns)
    connection.exec_driver_sql(compiled.string, parameters)


def new_ids(session: Session, table: Table, count: int) -> list[int]:
    """Ids for `count` rows about to be inserted into `table` (integer primary key `id`),
    given in the insert rather than read back after it. On SQLite the ids after the largest
    one: every SQLite transaction holds the database's write lock from its start (`qbank.db`),
    so no other writer takes them, and they are the ids SQLite would give. On PostgreSQL the
    next values of the column's own sequence (what its default takes), so concurrent
    writers never collide."""
    if not count:
        return []
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        found = connection.execute(
            text(
                "SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"
            ),
            {"table": table.name, "n": count},
        )
        return [int(value) for (value,) in found]
    last = int(session.execute(select(func.max(table.c.id))).scalar() or 0)
    return list(range(last + 1, last + 1 + count))


def _parameters(
    rows: Rows,
    names: Sequence[str],
    processors: Sequence[Callable[[Any], Any] | None],
    dialect: Dialect,
    constants: Mapping[str, Any],
    columns: Sequence[str] | None = None,
) -> list[Any]:
    """The driver's parameters of `rows` (and `constants`, for each row): each value through
    its bind processor, if any. The rows' values are picked with one `itemgetter` per row (in
    C); where some columns have a processor, those and the constants are then set column by
    column and the rows zipped back together (in C), so a row costs Python work only where
    Core's would: one processor call per processed value, and one for a run of the same
    object (a constant, a batch's file name). Without processors, each row is merged with
    the constants instead (cheaper than taking the rows apart: 200,000 rows of 22 columns
    0.29 s against 0.46 s; with a processor 0.47 s against 0.70 s). Tuple rows (`columns`)
    are picked by position, and not at all when they hold the statement's values in its
    order."""
    processed = [(i, p) for i, p in enumerate(processors) if p is not None]
    if columns is None and constants and not processed:  # each row with the constants
        rows = [{**row, **constants} for row in rows]  # type: ignore[dict-item]
        constants = {}
    given = [name for name in names if name not in constants]
    keys: Sequence[Any] = given if columns is None else [columns.index(n) for n in given]
    pick = operator.itemgetter(*keys) if given else None
    if pick is None:
        values: list[Any] = [()] * len(rows)
    elif columns is not None and list(keys) == list(range(len(columns))):
        values = list(rows)  # the statement's values, in its order
    elif len(given) == 1:
        values = [(pick(row),) for row in rows]
    else:
        values = [pick(row) for row in rows]
    if processed or constants:  # constants of tuple rows go in here too
        picked = iter(list(zip(*values, strict=True)) if given else [])
        by_column: list[Sequence[Any]] = [
            [constants[name]] * len(rows) if name in constants else next(picked) for name in names
        ]
        for i, processor in processed:
            by_column[i] = _processed(by_column[i], processor)
        values = list(zip(*by_column, strict=True))
    if dialect.positional:
        return values
    return [dict(zip(names, value, strict=True)) for value in values]


def _processed(column: Sequence[Any], processor: Callable[[Any], Any]) -> list[Any]:
    """`processor` of each value of `column`, computed once for a run of one object."""
    out = []
    last: object = _NOTHING
    done: Any = None
    for value in column:
        if value is not last:
            last, done = value, processor(value)
        out.append(done)
    return out


_NOTHING = object()


def _plain_json(type_: Any, dialect: Dialect) -> bool:
    """Whether a JSON column's bind processor is SQLAlchemy's with the default serializer
    (`json.dumps` with its defaults, to a plain string): then `_json_writer` gives its bytes."""
    return (
        isinstance(type_, JSON)
        and getattr(dialect, "_json_serializer", None) in (None, json.dumps)
        and type_._str_impl.bind_processor(dialect) is None
    )


def _encoded_as_is(processor: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`processor` of a JSON column whose text is not `json.dumps`'s (a dialect's own
    serializer), but for an `EncodedJSON` text, given as it is."""

    def write(value: Any) -> Any:
        return str(value) if type(value) is EncodedJSON else processor(value)

    return write


def _json_writer(processor: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`processor` (SQLAlchemy's JSON bind processor over `json.dumps`) for the lists and
    mappings imports store by the thousand (options, knowledge paths, token sets, audit
    details): `json.dumps`'s text from an encoder made once (`qbank.json_column.dumps`)
    instead of one per value; an `EncodedJSON` text as it is; any other value (None, a scalar)
    goes to `processor` itself. tests/test_bulk.py compares the two on generated values."""

    def write(value: Any) -> Any:
        kind = type(value)
        if kind is EncodedJSON:
            return str(value)
        if kind is list or kind is dict:
            return dumps(value)
        return processor(value)

    return write
