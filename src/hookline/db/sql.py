"""Hand-written SQL for the hot paths, written once in SQLite's style and run on either driver."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Connection, Insert, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal

_NAMED = re.compile(r"(?<![:\w]):(\w+)")


@functools.cache
def for_driver(dialect: str, statement: str) -> str:
    """`?` and `:name` placeholders as psycopg wants them (`%s`, `%(name)s`) on PostgreSQL."""
    if dialect != "postgresql":
        return statement
    return _NAMED.sub(r"%(\1)s", statement.replace("%", "%%").replace("?", "%s"))


class Cursor:
    """The driver's own cursor under a SQLAlchemy connection, in its transaction, taking
    SQLite-style statements; skips the statement-building layer where it costs most."""

    __slots__ = ("_cursor", "dialect")

    def __init__(self, conn: Connection) -> None:
        self._cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        self.dialect = conn.dialect.name

    def execute(self, statement: str, params: Any = ()) -> Cursor:
        self._cursor.execute(for_driver(self.dialect, statement), params)
        return self

    def executemany(self, statement: str, rows: Any) -> None:
        self._cursor.executemany(for_driver(self.dialect, statement), rows)

    def fetchone(self) -> Any:
        return self._cursor.fetchone()

    def fetchall(self) -> Sequence[Any]:
        return self._cursor.fetchall()

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount


def insert_or_ignore(conn: Connection, table: Table) -> Insert:
    """An INSERT whose rows that break a unique constraint are skipped, on either database."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()


def json_value(value: Any) -> Any:
    """A JSON column's value read through the driver: SQLite and asyncpg give text, psycopg
    gives it decoded."""
    return orjson.loads(value) if isinstance(value, (str, bytes)) else value


class insertion_order(ColumnElement[int]):
    """The order in which a table's rows were inserted, to sort by: SQLite's `rowid`, and on
    PostgreSQL the identity column `seq` that migration 0006 adds for it."""

    inherit_cache = True
    _traverse_internals = [("table_name", InternalTraversal.dp_string)]

    def __init__(self, table: Table) -> None:
        self.table_name = table.name


@compiles(insertion_order, "sqlite")
def _rowid(element: insertion_order, compiler: Any, **kw: Any) -> str:
    return f"{element.table_name}.rowid"


@compiles(insertion_order, "postgresql")
def _seq(element: insertion_order, compiler: Any, **kw: Any) -> str:
    return f"{element.table_name}.seq"
