"""Storing an event under an idempotency key while retention deletes the key's old event, on a
real PostgreSQL database: each statement of a transaction there sees the others' latest
commits, so the old event can vanish between two of emit's statements."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

from hookline.db.engine import make_engine, write
from hookline.db.migrate import upgrade
from hookline.db.sql import Cursor
from hookline.outbox import emit as emit_module
from hookline.outbox.emit import emit

UPDATED = "User.Data.Updated"
ABOUT_A = {"data": {"id": "a"}}  # subject user:a


@pytest.fixture
def engine(postgres_url: str) -> Iterator[Engine]:
    engine = make_engine(postgres_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def test_a_key_whose_event_retention_deletes_meanwhile_stores_the_event_anew(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with write(engine) as conn:
        old = emit(conn, UPDATED, ABOUT_A, idempotency_key="k")

    class RetentionBetweenStatements(Cursor):
        """Deletes the key's event, from another connection, as soon as an insert finds
        the key taken: after the insert, before emit looks the event up."""

        def execute(self, statement: str, params: Any = ()) -> Cursor:
            super().execute(statement, params)
            if statement.startswith("INSERT INTO events") and self.rowcount == 0:
                with write(engine) as other:
                    other.exec_driver_sql("DELETE FROM events WHERE id = %s", (old,))
            return self

    monkeypatch.setattr(emit_module, "Cursor", RetentionBetweenStatements)
    with write(engine) as conn:
        new = emit(conn, UPDATED, ABOUT_A, idempotency_key="k")
    monkeypatch.undo()
    with write(engine) as conn:
        emit(conn, UPDATED, ABOUT_A)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT id, idempotency_key, sequence FROM events ORDER BY sequence"
        ).all()
    # The key was free once its event was gone: the event is stored under it, and the
    # subject's numbers go on without a gap or a repeat.
    assert [tuple(row) for row in rows] == [(new, "k", 2), (rows[1][0], None, 3)]
    assert new != old
