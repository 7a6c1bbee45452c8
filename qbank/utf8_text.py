"""UTF-8 `bytes` written to a TEXT column without a Python `str` in between.

Binding a `str` costs several copies of a large value: the `str` itself (two bytes a
character once one character is outside Latin-1, as in any report naming a Chinese
occupation), the UTF-8 copy the driver takes of it, then the driver's own copy. `utf8_text(b)`
binds the bytes as a binary parameter and has the database turn them into text itself:
`CAST(? AS TEXT)` on SQLite (the database's encoding is UTF-8: the bytes become the stored text
as they are, and the value's type is TEXT, as a bound `str` makes it), `convert_from(?, 'UTF8')`
on PostgreSQL (which also checks that the bytes are UTF-8). The stored value and what reading
the column returns are the same as for `b.decode("utf-8")` bound as a string.

The bytes must be valid UTF-8 (SQLite does not check).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import LargeBinary, Text, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class utf8_text(FunctionElement[str]):  # a SQL function: named like one
    """The text whose UTF-8 encoding is the bound `bytes`, as a column value."""

    type = Text()
    inherit_cache = True
    name = "utf8_text"

    def __init__(self, value: bytes) -> None:
        super().__init__(literal(value, LargeBinary()))


@compiles(utf8_text, "sqlite")
def _sqlite(element: utf8_text, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS TEXT)"


@compiles(utf8_text, "postgresql")
def _postgresql(element: utf8_text, compiler: SQLCompiler, **kw: Any) -> str:
    return f"convert_from({compiler.process(element.clauses, **kw)}, 'UTF8')"
