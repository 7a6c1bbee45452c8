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

import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Dialect, Insert, Table, insert
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import UpdateBase


def insert_many(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT `rows` (mappings with the same keys) into `table`; columns with a Python-side
    default that the rows do not give get it, computed once for all of them."""
    if not rows:
        return
    keys = list(rows[0])
    defaults: dict[str, Any] = {}
    for column in table.columns:
        default = column.default
        if column.key in keys or default is None:
            continue
        if default.is_callable:  # as Core calls it, with a context it does not need
            defaults[column.key] = default.arg(None)  # type: ignore[attr-defined]
        elif default.is_scalar:
            defaults[column.key] = default.arg  # type: ignore[attr-defined]
    stmt: Insert = insert(table)
    if defaults:
        execute_many(session, stmt, [{**row, **defaults} for row in rows])
    else:
        execute_many(session, stmt, rows)


def execute_many(session: Session, stmt: UpdateBase, rows: Sequence[Mapping[str, Any]]) -> None:
    """Execute `stmt` once per row of `rows` (mappings naming every bind parameter it has)
    with one driver `executemany`."""
    if not rows:
        return
    session.flush()  # what the ORM holds pending goes first, as a Core execute would see it
    connection = session.connection()
    dialect = connection.dialect
    compiled = stmt.compile(dialect=dialect, column_keys=list(rows[0]))
    names: Sequence[str] = (
        list(compiled.positiontup or ()) if dialect.positional else list(compiled.binds)
    )
    processors: list[Callable[[Any], Any] | None] = []
    for name in names:
        bind = compiled.binds[name]
        processors.append(bind.type.dialect_impl(dialect).bind_processor(dialect))
    missing = [n for n in names if n not in rows[0]]
    if missing:
        raise ValueError(f"rows do not give {', '.join(missing)}")
    connection.exec_driver_sql(compiled.string, _parameters(rows, names, processors, dialect))


def _parameters(
    rows: Sequence[Mapping[str, Any]],
    names: Sequence[str],
    processors: Sequence[Callable[[Any], Any] | None],
    dialect: Dialect,
) -> list[Any]:
    """The driver's parameters of `rows`: each value through its bind processor, if any.
    The values are picked with one `itemgetter` per row (in C); only the columns with a
    processor are then rewritten, so a row costs Python work only where Core's would."""
    pick = operator.itemgetter(*names)
    if len(names) == 1:
        values: list[Any] = [(pick(row),) for row in rows]
    else:
        values = [pick(row) for row in rows]
    processed = [(i, p) for i, p in enumerate(processors) if p is not None]
    if processed:
        rewritten = []
        for value in values:
            row = list(value)
            for i, processor in processed:
                row[i] = processor(row[i])
            rewritten.append(row)
        values = rewritten
    if dialect.positional:
        return [tuple(value) for value in values] if processed else values
    return [dict(zip(names, value, strict=True)) for value in values]
