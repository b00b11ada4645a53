"""A dispatcher that meets a database error logs it and tries again: it never stops
delivering while the API goes on accepting events."""

from __future__ import annotations

import time

from tests.delivery.test_delivery import emit, make_hook
from tests.support.receiver import Receiver
from tests.support.server import Server

AWAY = "ALTER TABLE deliveries RENAME TO deliveries_away"
BACK = "ALTER TABLE deliveries_away RENAME TO deliveries"


def test_claims_that_fail_are_tried_again(tmp_path, receiver: Receiver) -> None:
    server = Server(tmp_path, HOOKLINE_POLL_INTERVAL="0.2").start()
    try:
        with server.client() as api:
            make_hook(api, receiver.url("/h"))
            server.sql(AWAY)  # every claim fails meanwhile
            time.sleep(1)
            server.sql(BACK)
            emit(api, payload={"seq": 1})
            receiver.wait_for(1, "/h", timeout=10)
    finally:
        server.stop()
    assert "claim failed" in server.log.read_text()


def test_a_dispatcher_that_cannot_start_starts_over(tmp_path, receiver: Receiver) -> None:
    # Inside the API, whose status does not wait for it (dispatcher processes that cannot
    # start keep it 503: tests/delivery/test_workers.py).
    server = Server(tmp_path, HOOKLINE_POLL_INTERVAL="0.2", HOOKLINE_DISPATCHERS="0").start()
    with server.client() as api:
        make_hook(api, receiver.url("/h"))
    server.stop()
    server.sql(AWAY)  # the dispatcher's first statement at start fails
    server.start()
    try:
        time.sleep(1)
        server.sql(BACK)
        with server.client() as api:
            emit(api, payload={"seq": 1})
        receiver.wait_for(1, "/h", timeout=10)
    finally:
        server.stop()
    assert "dispatcher failed; starting over" in server.log.read_text()
