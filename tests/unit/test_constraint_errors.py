"""Writes a database refuses, answered as Logto answers them, from either database's words."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, exc

from hookline.errors import constraint_violated


@pytest.fixture
def children(engine: Engine) -> None:
    """Tables whose constraints refuse some writes."""
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE parents (id TEXT PRIMARY KEY)")
        conn.exec_driver_sql(
            "CREATE TABLE children (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
            " parent_id TEXT REFERENCES parents (id))"
        )
        conn.exec_driver_sql("INSERT INTO children (id, name) VALUES ('c1', 'taken')")


@pytest.mark.parametrize(
    ("statement", "status", "code"),
    [
        (
            "INSERT INTO children (id, name) VALUES ('c2', 'taken')",
            422,
            "entity.unique_integrity_violation",
        ),
        (
            "INSERT INTO children (id, name, parent_id) VALUES ('c2', 'n', 'none')",
            422,
            "entity.relation_foreign_key_not_found",
        ),
        ("INSERT INTO children (id) VALUES ('c2')", 400, "guard.invalid_input"),
    ],
)
@pytest.mark.usefixtures("children")
def test_each_refusal_has_its_answer(
    engine: Engine, statement: str, status: int, code: str
) -> None:
    with pytest.raises(exc.IntegrityError) as refused, engine.begin() as conn:
        conn.exec_driver_sql(statement)
    answer = constraint_violated(str(refused.value.orig))
    assert (answer.status, answer.code) == (status, code)
