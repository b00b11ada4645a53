"""A write that cannot reach the database is answered 503 in Logto's error shape, promptly,
and leaves nothing behind; the next one, once the database is back, succeeds."""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing

import pytest

from tests.support.server import Server

pytestmark = [pytest.mark.backend_independent, pytest.mark.slow]


def test_a_write_behind_a_stuck_lock_is_a_503_not_a_hang(tmp_path) -> None:
    path = tmp_path / "hookline.db"
    # SQLite whatever the backend under test: the lock held elsewhere is SQLite's.
    server = Server(
        tmp_path, HOOKLINE_DATABASE_URL=f"sqlite:///{path}", HOOKLINE_LOCK_WAIT="0.5"
    ).start()
    try:
        with server.client() as api, closing(sqlite3.connect(path, isolation_level=None)) as stuck:
            stuck.execute("BEGIN IMMEDIATE")
            started = time.monotonic()
            refused = api.post("/users", json={"username": "waited"})
            assert time.monotonic() - started < 5
            assert refused.status_code == 503
            assert refused.headers["retry-after"] == "1"
            assert refused.json()["code"] == "database.unavailable"
            stuck.execute("ROLLBACK")
            assert api.post("/users", json={"username": "waited"}).status_code == 200
            [(count,)] = server.sql("SELECT count(*) FROM events WHERE name = 'User.Created'")
            assert count == 1  # the refused write fired nothing
    finally:
        server.stop()
    log = server.log.read_text()
    assert "database unavailable" in log and "Traceback" not in log
