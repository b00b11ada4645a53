"""A hook whose receiver holds every request it may have in flight: the dispatcher waits for a
slot instead of polling the queue in a loop."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.support.api import create_hook, emit
from tests.support.receiver import Receiver, Reply
from tests.support.server import Server

pytestmark = pytest.mark.slow


HELD = 4  # seconds the receiver holds each request


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_a_saturated_hook_does_not_keep_the_dispatcher_busy(
    tmp_path: Path, receiver: Receiver
) -> None:
    receiver.on("/slow", *[Reply(delay=HELD)] * 20)
    server = Server(tmp_path, HOOKLINE_MAX_IN_FLIGHT_PER_HOOK="2").start()
    try:
        with server.client() as api:
            create_hook(api, receiver.url("/slow"))
            for seq in range(10):  # 2 in flight, 8 due and waiting for a slot
                emit(api, payload={"seq": seq})
            receiver.wait_for(2, "/slow")
            assert server.process is not None
            before, started = cpu_seconds(server.process.pid), time.monotonic()
            # The window: from the first two arrivals to the next two, sent once the receiver
            # lets the first go; all along, both of the hook's slots are held.
            receiver.wait_for(4, "/slow", timeout=HELD + 10)
            busy = cpu_seconds(server.process.pid) - before
            waited = time.monotonic() - started
        assert busy / waited < 0.075, f"{busy:.2f} s of CPU in {waited:.1f} s while waiting"
    finally:
        server.stop()
