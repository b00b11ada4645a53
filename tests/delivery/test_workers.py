"""Dispatcher processes beside the API: woken at commit, and stopped without loss."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from tests.delivery.test_delivery import emit, make_hook, median_lag
from tests.support.receiver import Receiver, Reply
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


def test_a_worker_stopped_with_sigterm_finishes_its_deliveries_and_exits(
    tmp_path, receiver: Receiver
) -> None:
    receiver.on("/h", Reply(delay=0.5))
    server = Server(tmp_path).start()
    worker = subprocess.Popen(
        [sys.executable, "-m", "hookline", "worker"],
        env=server.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        with server.client() as api:
            make_hook(api, receiver.url("/h"))
            time.sleep(2)  # the worker is up and sharing the queue with the server's dispatcher
            for seq in range(60):
                emit(api, payload={"seq": seq})
            receiver.wait_for(5, "/h")
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(timeout=15) == 0, worker.stderr.read().decode()[-3000:]
            got = receiver.wait_for(60, "/h", timeout=20)
            assert {json.loads(r.body)["seq"] for r in got} == set(range(60))
        assert b"Traceback" not in worker.stderr.read()
    finally:
        if worker.poll() is None:
            worker.kill()
        server.stop()


def children(pid: int) -> set[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return {int(child) for child in f.read().split()}


def test_a_dispatcher_process_that_dies_is_replaced(tmp_path, receiver: Receiver) -> None:
    server = Server(tmp_path, HOOKLINE_DISPATCHERS="1").start()
    try:
        assert server.process is not None
        with server.client() as api:
            make_hook(api, receiver.url("/h"))
            time.sleep(1)  # the dispatcher is up
            (first,) = children(server.process.pid)
            os.kill(first, signal.SIGKILL)
            emit(api, payload={"seq": 1})  # while no dispatcher runs
            receiver.wait_for(1, "/h", timeout=15)
            (second,) = children(server.process.pid)
            assert second != first
            emit(api, payload={"seq": 2})
            got = receiver.wait_for(2, "/h", timeout=15)
            assert sorted(json.loads(r.body)["seq"] for r in got) == [1, 2]
    finally:
        server.stop()
    log = server.log.read_text()
    assert "dispatcher process exited; starting another" in log
    assert f"pid={first}" in log and "exit_code=-9" in log
