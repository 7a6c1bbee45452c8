"""`qbank.bulk`: the parameters it hands the driver are the ones SQLAlchemy Core would bind.

JSON columns on SQLite go through a direct writer for lists of strings and flat mappings;
its text must be `json.dumps`'s for every value, or stored rows (and what is read back and
hashed) would differ between a bulk import and a one-row write.
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    select,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from qbank.bulk import _json_writer, _plain_json, insert_many
from qbank.json_column import EncodedJSON, dumps

# Text with what JSON escapes: quotes, backslashes, control characters, non-ASCII (Chinese,
# astral characters written as surrogate pairs), lone surrogates.
TEXT = st.text(
    st.one_of(
        st.characters(),
        st.sampled_from(['"', "\\", "\n", "\x00", "\u2028", "电", "（", "😀", "\ud800"]),
    ),
    max_size=30,
)
MEMBER = st.one_of(
    TEXT,
    st.integers(min_value=-(2**70), max_value=2**70),
    st.none(),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.lists(TEXT, max_size=3),
)
VALUE = st.one_of(
    st.lists(TEXT, max_size=8),
    st.lists(MEMBER, max_size=4),
    st.dictionaries(TEXT, MEMBER, max_size=6),
    st.dictionaries(st.integers(), TEXT, max_size=3),
    MEMBER,
)


def _dumps(value: object) -> str:
    return json.dumps(value)


@settings(max_examples=1500, deadline=None)
@given(VALUE)
def test_json_writer_writes_what_json_dumps_writes(value: object) -> None:
    assert _json_writer(_dumps)(value) == json.dumps(value)


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.lists(TEXT, max_size=8), st.dictionaries(TEXT, MEMBER, max_size=6)))
def test_dumps_is_json_dumps(value: list[object] | dict[str, object]) -> None:
    assert dumps(value) == json.dumps(value)


def test_json_writer_used_only_for_the_default_serializer() -> None:
    dialect = sqlite.dialect()
    assert _plain_json(JSON(), dialect)
    assert not _plain_json(Integer(), dialect)
    custom = sqlite.dialect(json_serializer=lambda v: json.dumps(v, sort_keys=True))
    assert not _plain_json(JSON(), custom)


def test_insert_many_stores_json_as_core_does(tmp_path) -> None:
    """The same rows through `insert_many` and through a Core insert read back as the same
    stored text."""
    engine = create_engine(f"sqlite:///{tmp_path / 'bulk.db'}")
    table = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("v", JSON))
    table.metadata.create_all(engine)
    values = [
        ["电工", 'a"b', "\\", "😀"],
        [],
        {"A": "电压", "B": "x\ny", "seq": 3, "none": None},
        {"flag": True, "f": 0.5, "nested": {"a": [1]}},
        {1: "int key"},
        None,
        "plain",
    ]
    with Session(engine) as session, session.begin():
        insert_many(session, table, [{"id": i, "v": v} for i, v in enumerate(values)])
        session.execute(table.insert(), [{"id": 100 + i, "v": v} for i, v in enumerate(values)])
    with engine.connect() as connection:
        raw = dict(connection.exec_driver_sql("SELECT id, v FROM t").all())
        assert [raw[i] for i in range(len(values))] == [raw[100 + i] for i in range(len(values))]
        read = dict(connection.execute(select(table.c.id, table.c.v)).all())
        assert [read[i] for i in range(len(values))] == [read[100 + i] for i in range(len(values))]


def test_encoded_json_is_stored_as_the_value_it_encodes(db_url: str) -> None:
    """A worker's token set arrives as JSON text (`EncodedJSON`): stored as it is, it is the
    same stored text and the same value read back as the list itself (not a JSON string),
    through the writer on SQLite and the dialect's own JSON processor on PostgreSQL."""
    engine = create_engine(db_url)
    table = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("v", JSON))
    table.metadata.create_all(engine)
    values = [["电工", 'a"b', "\\", "😀"], [], {"A": "电压", "n": None}]
    try:
        with Session(engine) as session, session.begin():
            insert_many(session, table, [{"id": i, "v": v} for i, v in enumerate(values)])
            insert_many(
                session,
                table,
                [{"id": 100 + i, "v": EncodedJSON(dumps(v))} for i, v in enumerate(values)],
            )
            insert_many(session, table, [{"id": 200, "v": "plain"}])  # a str stays a string
        with engine.connect() as connection:
            raw = dict(connection.exec_driver_sql("SELECT id, CAST(v AS TEXT) FROM t").all())
            assert [raw[100 + i] for i in range(len(values))] == [
                raw[i] for i in range(len(values))
            ]
            read = dict(connection.execute(select(table.c.id, table.c.v)).all())
            assert [read[100 + i] for i in range(len(values))] == values
            assert read[200] == "plain"
    finally:
        engine.dispose()


def _defaulted(when: datetime) -> Table:
    """A table whose columns have Python-side defaults (a callable's, a scalar's, a JSON
    one) among columns without."""
    return Table(
        "t",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("at", DateTime, default=lambda: when),
        Column("name", String(20)),
        Column("tag", String(10), default="新"),
        Column("meta", JSON, default=lambda: {"k": ["v"]}),
        Column("n", Integer),
    )


def test_defaults_are_stored_as_core_stores_them(db_url: str) -> None:
    """Columns the rows do not give get their Python-side defaults (a callable's, a
    scalar's, a JSON one), wherever they sit among the given ones, stored as a Core insert
    stores them, on SQLite and PostgreSQL."""
    engine = create_engine(db_url)
    when = datetime(2026, 12, 4, 21, 0, 5, 123456)
    table = _defaulted(when)
    table.metadata.create_all(engine)
    rows = [{"id": i, "name": f"题{i}", "n": i * 2} for i in range(5)]
    try:
        with Session(engine) as session, session.begin():
            insert_many(session, table, rows)
            session.execute(table.insert(), [{**r, "id": 100 + r["id"]} for r in rows])
            insert_many(session, table, [{"id": 200}])  # every column but the key a default
        with engine.connect() as connection:
            columns = "at, name, tag, CAST(meta AS TEXT), n"
            raw = {
                i: rest for i, *rest in connection.exec_driver_sql(f"SELECT id, {columns} FROM t")
            }
            assert [raw[i] for i in range(5)] == [raw[100 + i] for i in range(5)]
            read = {row.id: row for row in connection.execute(select(table))}
            assert (read[3].at, read[3].tag, read[3].meta, read[3].n) == (
                when,
                "新",
                {"k": ["v"]},
                6,
            )
            assert (read[200].name, read[200].tag, read[200].n) == (None, "新", None)
    finally:
        engine.dispose()


def test_tuple_rows_are_stored_as_their_mappings(db_url: str) -> None:
    """Rows given as tuples (`columns` naming their values) store what the same rows as
    mappings store, whatever the columns' order (the table's, another, fewer with defaults
    between them, with or without JSON to write), on SQLite and PostgreSQL; a tuple of
    another length is refused before anything is written."""
    engine = create_engine(db_url)
    when = datetime(2026, 12, 5, 7, 0, 1, 5)
    table = _defaulted(when)
    plain = Table(
        "p", MetaData(), Column("id", Integer, primary_key=True), Column("name", String(20))
    )
    table.metadata.create_all(engine)
    plain.metadata.create_all(engine)
    mappings = [
        {"id": i, "name": f"题{i}", "meta": [f"电{i}", {"k": None}], "n": i * 3} for i in range(6)
    ]
    orders = [("id", "name", "meta", "n"), ("n", "meta", "id", "name")]
    try:
        with Session(engine) as session, session.begin():
            insert_many(session, table, mappings)
            for k, order in enumerate(orders, start=1):
                rows = [
                    tuple(r[c] if c != "id" else r[c] + 100 * k for c in order) for r in mappings
                ]
                insert_many(session, table, rows, columns=order)
            insert_many(session, plain, [{"id": 1, "name": "甲"}, {"id": 2, "name": "乙"}])
            insert_many(session, plain, [(11, "甲"), (12, "乙")], columns=("id", "name"))
            insert_many(session, plain, [("丙", 21)], columns=("name", "id"))
            insert_many(session, table, [(300, "戊")], columns=("id", "name"))  # a default
            with pytest.raises(ValueError, match="rows of 2 values for 3 columns"):
                insert_many(session, plain, [(31, "丁")], columns=("id", "name", "n"))
        with engine.connect() as connection:
            stored = {
                i: rest
                for i, *rest in connection.exec_driver_sql(
                    "SELECT id, at, name, tag, CAST(meta AS TEXT), n FROM t"
                )
            }
            for k in range(1, len(orders) + 1):
                assert [stored[100 * k + i] for i in range(6)] == [stored[i] for i in range(6)]
            assert stored[300][:3] == [stored[0][0], "戊", "新"] and stored[300][4] is None
            names = dict(connection.exec_driver_sql("SELECT id, name FROM p").all())
            assert names == {1: "甲", 2: "乙", 11: "甲", 12: "乙", 21: "丙"}
    finally:
        engine.dispose()
