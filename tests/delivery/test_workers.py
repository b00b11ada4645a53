"""Dispatcher processes beside the API: woken at commit, so still within 100 ms."""

from __future__ import annotations

from tests.delivery.test_delivery import make_hook, median_lag
from tests.support.receiver import Receiver
from tests.support.server import Server


def test_dispatcher_processes_deliver_within_100ms(tmp_path, receiver: Receiver) -> None:
    server = Server(tmp_path, HOOKLINE_DISPATCHERS="2").start()
    try:
        with server.client() as api:
            make_hook(api, receiver.url())
            assert median_lag(api, receiver, timeout=15) < 0.1
    finally:
        server.stop()
    assert "Traceback" not in server.log.read_text()
