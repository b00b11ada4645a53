"""A dispatcher that cannot start tries again less and less often, however many events
arrive meanwhile, and delivers them once it can."""

from __future__ import annotations

import json
import time

import pytest

from hookline.outbox.wakeup import wake_directory
from tests.support.api import create_hook, emit
from tests.support.receiver import Receiver
from tests.support.server import Server

pytestmark = [pytest.mark.backend_independent, pytest.mark.slow]


def test_a_failing_dispatcher_is_not_restarted_by_every_event(tmp_path, receiver: Receiver) -> None:
    # SQLite whatever the backend: a file where the dispatcher binds its wake-up socket fails
    # every start of the in-process dispatcher, while events are still accepted (and wake it).
    database_url = f"sqlite:///{tmp_path / 'hookline.db'}"
    blocker = wake_directory(database_url)
    blocker.write_bytes(b"")
    try:
        server = Server(
            tmp_path,
            HOOKLINE_DATABASE_URL=database_url,
            HOOKLINE_POLL_INTERVAL="0.2",
            HOOKLINE_DISPATCHERS="0",
        )
        server.launch().wait_answering()
        try:
            with server.client() as api:
                create_hook(api, receiver.url("/h"))
                # Events back to back for 2 s: each one wakes the dispatcher.
                deadline = time.monotonic() + 2
                seq = 0
                while time.monotonic() < deadline:
                    emit(api, payload={"seq": seq})
                    seq += 1
                # 0.2 s, then 0.4, 0.8, 1.6...: a handful of starts, not hundreds.
                failures = server.log.read_text().count("dispatcher failed; starting over")
                assert 1 <= failures <= 6, failures
                blocker.unlink()
                got = receiver.wait_for(seq, "/h", timeout=15)
                assert {json.loads(r.body)["seq"] for r in got} == set(range(seq))
        finally:
            server.stop()
    finally:
        if blocker.is_file():
            blocker.unlink()
