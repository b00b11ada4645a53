"""A dispatcher that meets a database error logs it and tries again: it never stops
delivering while the API goes on accepting events."""

from __future__ import annotations

import pytest

from tests.support.api import create_hook, emit
from tests.support.receiver import Receiver
from tests.support.server import Server
from tests.support.waiting import wait_for_line

pytestmark = pytest.mark.slow

AWAY = "ALTER TABLE deliveries RENAME TO deliveries_away"
BACK = "ALTER TABLE deliveries_away RENAME TO deliveries"


def test_claims_that_fail_are_tried_again(tmp_path, receiver: Receiver) -> None:
    server = Server(tmp_path, HOOKLINE_POLL_INTERVAL="0.2").start()
    try:
        with server.client() as api:
            create_hook(api, receiver.url("/h"))
            server.sql(AWAY)  # every claim fails meanwhile
            wait_for_line(server.log, "claim failed")
            server.sql(BACK)
            emit(api, payload={"seq": 1})
            receiver.wait_for(1, "/h", timeout=10)
    finally:
        server.stop()
    assert "claim failed" in server.log.read_text()


def test_a_dispatcher_that_cannot_start_starts_over(tmp_path, receiver: Receiver) -> None:
    # Inside the API: the API answers while its dispatcher cannot start (status says 503
    # until it listens: tests/delivery/test_workers.py).
    server = Server(tmp_path, HOOKLINE_POLL_INTERVAL="0.2", HOOKLINE_DISPATCHERS="0").start()
    with server.client() as api:
        create_hook(api, receiver.url("/h"))
    server.stop()
    server.sql(AWAY)  # the dispatcher's first statement at start fails
    server.launch().wait_answering()
    try:
        wait_for_line(server.log, "dispatcher failed; starting over")
        server.sql(BACK)
        with server.client() as api:
            emit(api, payload={"seq": 1})
        receiver.wait_for(1, "/h", timeout=10)
    finally:
        server.stop()
    assert "dispatcher failed; starting over" in server.log.read_text()
