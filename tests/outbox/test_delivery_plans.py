"""The deliveries a hook lists or recovers are found through indexes, not by reading every
delivery: the statements `outbox.deliveries` sends, as SQLite plans them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, event

from hookline.db.engine import make_engine, write
from hookline.db.migrate import upgrade
from hookline.ids import now_ms
from hookline.outbox.deliveries import DeliveryFilter, list_deliveries, recover


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'hookline.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


def plans(engine: Engine, call: Callable[[Connection], Any]) -> list[str]:
    """SQLite's plan of each statement `call` sends about deliveries, one string each."""
    sent: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "deliveries" in statement and not statement.startswith("EXPLAIN"):
            sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        with write(engine) as conn:
            call(conn)
            return [
                " / ".join(row[3] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {s}", p))
                for s, p in sent
            ]
    finally:
        event.remove(engine, "before_cursor_execute", keep)


def test_a_hooks_failed_deliveries_are_listed_through_their_index(engine: Engine) -> None:
    where = DeliveryFilter(hook_id="hook", status="failed")
    [count, page] = plans(engine, lambda conn: list_deliveries(conn, where, 1, 20))
    assert "USING INDEX deliveries_failed (hook_id=?)" in count
    assert "USING INDEX deliveries_failed (hook_id=?)" in page
    assert "TEMP B-TREE" not in page  # the index gives the order, newest first


def test_recovery_finds_a_hooks_failed_deliveries_through_their_index(engine: Engine) -> None:
    since = now_ms() - 3_600_000
    [update] = plans(engine, lambda conn: recover(conn, "hook", since, None, 0.0))
    assert "USING INDEX deliveries_failed (hook_id=? AND id>?)" in update


def test_every_delivery_from_a_time_on_is_read_along_the_ids_newest_first(
    engine: Engine,
) -> None:
    where = DeliveryFilter(start_time=now_ms() - 3_600_000)
    [_, page] = plans(engine, lambda conn: list_deliveries(conn, where, 1, 20))
    assert "USING INDEX sqlite_autoindex_deliveries_1 (id>?)" in page
    assert "TEMP B-TREE" not in page
