"""One write transaction on a real SQLite file: the state its code shares, and the callback
after its commit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from hookline.db.engine import make_engine
from hookline.db.unit import TransactionState, unit_of_work


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'hookline.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE notes (text TEXT)")
    yield engine
    engine.dispose()


def stored(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return [text for (text,) in conn.exec_driver_sql("SELECT text FROM notes")]


def test_on_commit_runs_after_a_commit_that_asked_for_it(engine: Engine) -> None:
    seen: list[list[str]] = []  # what another connection sees when the callback runs

    def on_commit() -> None:
        seen.append(stored(engine))

    with unit_of_work(engine, on_commit) as conn:
        conn.exec_driver_sql("INSERT INTO notes VALUES ('quiet')")
    assert seen == []
    with unit_of_work(engine, on_commit) as conn:
        conn.exec_driver_sql("INSERT INTO notes VALUES ('asked')")
        TransactionState.of(conn).on_commit_due = True
    assert seen == [["quiet", "asked"]]  # committed by then
    with pytest.raises(RuntimeError), unit_of_work(engine, on_commit) as conn:
        conn.exec_driver_sql("INSERT INTO notes VALUES ('lost')")
        TransactionState.of(conn).on_commit_due = True
        raise RuntimeError("the change failed")
    assert seen == [["quiet", "asked"]]
    assert stored(engine) == ["quiet", "asked"]


def test_each_transaction_on_a_connection_has_a_state_of_its_own(engine: Engine) -> None:
    with engine.connect() as conn:
        with conn.begin():
            state = TransactionState.of(conn)
            state.on_commit_due = state.notified = state.hooks_written = True
            state.hooks_revision = 7
            with conn.begin_nested():
                assert TransactionState.of(conn) is state  # a savepoint shares it
            state.savepoint_rolled_back()
            assert state == TransactionState(on_commit_due=True, hooks_written=True)
        with conn.begin():
            assert TransactionState.of(conn) == TransactionState()
