"""Dispatcher processes beside the API: woken at commit, so still within 100 ms."""

from __future__ import annotations

import time

from tests.delivery.test_delivery import emit, make_hook
from tests.support.receiver import Receiver
from tests.support.server import Server


def test_dispatcher_processes_deliver_within_100ms(tmp_path, receiver: Receiver) -> None:
    server = Server(tmp_path, HOOKLINE_DISPATCHERS="2").start()
    try:
        with server.client() as api:
            make_hook(api, receiver.url())
            emit(api)
            receiver.wait_for(1, timeout=15)  # the dispatcher processes are up
            lags = []
            for n in range(2, 12):
                emit(api)
                answered = time.time()
                lags.append(receiver.wait_for(n)[-1].at - answered)
            lags.sort()
            assert lags[len(lags) // 2] < 0.1, lags
    finally:
        server.stop()
    assert "Traceback" not in server.log.read_text()
