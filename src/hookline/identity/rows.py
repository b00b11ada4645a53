"""Row helpers the identity modules share: look up or 404, update, delete or 404, one page."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, Connection, Row, Select, Table, delete, func, select, update

from hookline.errors import ApiError, not_exists_with_id

# (page number from 1, page size), or None for every row.
Paging = tuple[int, int] | None


def get_row(conn: Connection, table: Table, row_id: str, entity: str | None = None) -> Row:
    """The row whose id is `row_id`, or Logto's 404 naming `entity` (the table by default)."""
    row = conn.execute(select(table).where(table.c.id == row_id)).first()
    if row is None:
        raise not_exists_with_id(entity or table.name, row_id)
    return row


def require_row(conn: Connection, table: Table, row_id: str, entity: str | None = None) -> None:
    """404 unless the row exists; reads only its id."""
    if conn.execute(select(table.c.id).where(table.c.id == row_id)).first() is None:
        raise not_exists_with_id(entity or table.name, row_id)


def update_row(conn: Connection, table: Table, row_id: str, values: dict[str, Any]) -> Row:
    """Write `values` (none is a no-op) to an existing row; returns the row as it now is."""
    get_row(conn, table, row_id)
    if values:
        conn.execute(update(table).where(table.c.id == row_id).values(**values))
    return get_row(conn, table, row_id)


def delete_row(conn: Connection, table: Table, row_id: str, entity: str | None = None) -> None:
    if conn.execute(delete(table).where(table.c.id == row_id)).rowcount == 0:
        raise not_exists_with_id(entity or table.name, row_id)


def page(conn: Connection, query: Select, paging: Paging) -> tuple[Sequence[Any], int]:
    """Rows of `query` (one page of them if `paging`), and how many rows there are in all."""
    if paging is None:
        rows = conn.execute(query).all()
        return rows, len(rows)
    total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    number, size = paging
    return conn.execute(query.limit(size).offset((number - 1) * size)).all(), total


def relation_not_found() -> ApiError:
    """Logto's answer for removing a relation that does not exist (its `DeletionError`)."""
    return ApiError(404, "entity.not_found", "The resource does not exist.")


def unique(ids: Sequence[str]) -> list[str]:
    """`ids` without repeats, in their first order."""
    return list(dict.fromkeys(ids))


def q_condition(column: Column, q: str | None) -> Any:
    """Logto's `q`: a case-insensitive substring match."""
    if not q:
        return None
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%", escape="\\")
