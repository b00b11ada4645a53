"""What `hookline serve` and `hookline worker` write to stderr: JSON lines under
HOOKLINE_LOG_FORMAT=json, uvicorn's errors among them, and never a database password."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hookline.config import dispatchers_for_the_cores
from hookline.outbox.wakeup import wake_directory
from tests.support.server import Server
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.backend_independent, pytest.mark.slow]


def entries(text: str) -> list[dict[str, Any]]:
    """Every line of `text` as JSON: a line that is not fails the test."""
    return [json.loads(line) for line in text.splitlines() if line]


def test_serve_logs_its_address_and_masked_database_as_json(tmp_path, postgres_url) -> None:
    server = Server(
        tmp_path,
        HOOKLINE_DATABASE_URL=postgres_url,
        HOOKLINE_LOG_FORMAT="json",
        HOOKLINE_DISPATCHERS=None,
    ).start()
    server.stop()
    log = server.log.read_text()
    assert postgres_url not in log
    [start] = [e for e in entries(log) if e.get("action") == "serve"]
    assert start["level"] == "INFO"
    assert start["address"] == f"http://127.0.0.1:{server.port}"
    # tests/support/postgres.py: user hookline, password hookline.
    assert start["database"] == postgres_url.replace(":hookline@", ":***@")
    assert start["database"].startswith("postgresql://hookline:***@127.0.0.1:")
    # HOOKLINE_DISPATCHERS unset: dispatcher processes, one per core (none on one core).
    assert start["dispatcher_processes"] == dispatchers_for_the_cores()
    assert start["dispatches"] is (start["dispatcher_processes"] == 0)


def test_a_taken_port_is_one_json_line_and_nothing_else(tmp_path) -> None:
    server = Server(tmp_path, HOOKLINE_LOG_FORMAT="json").start()
    try:
        second = subprocess.run(
            [sys.executable, "-m", "hookline", "serve", "--port", str(server.port)]
            + ["--no-dispatch"],
            env=server.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        server.stop()
    assert second.returncode == 1
    # Refused before anything started: no "serving" line, only the reason.
    [error] = entries(second.stderr)
    assert error["level"] == "ERROR" and error["action"] == "serve_fail"
    assert "Address already in use" in error["message"]


def test_worker_logs_its_start_and_stop(tmp_path) -> None:
    database_url = f"sqlite:///{tmp_path / 'hookline.db'}"
    worker = subprocess.Popen(
        [sys.executable, "-m", "hookline", "worker"],
        env={**os.environ, "HOOKLINE_DATABASE_URL": database_url, "HOOKLINE_LOG_FORMAT": "json"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        listening(wake_directory(database_url), worker)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=20) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert worker.stderr is not None
    start, dispatching, stop = entries(worker.stderr.read())
    assert start["action"] == "worker_start"
    assert start["database"] == database_url
    # The id it writes on the deliveries it leases: host, process and a random part.
    assert dispatching["action"] == "dispatch"
    assert f":{worker.pid}:" in dispatching["worker"]
    assert stop["action"] == "worker_stop"


def listening(directory: Path, worker: subprocess.Popen[str]) -> None:
    """Wait until the worker's dispatcher binds its wake-up socket: it handles SIGTERM then."""

    def bound() -> bool:
        assert worker.poll() is None, "the worker exited"
        return any(directory.glob("*.sock"))

    wait_until(bound, "the worker's wake-up socket", timeout=30)


def test_a_bad_log_setting_is_one_clear_line_not_a_traceback(tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "hookline", "serve"],
        env={
            **os.environ,
            "HOOKLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'hookline.db'}",
            "HOOKLINE_LOG_FORMAT": "xml",
        },
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert result.stderr == "hookline: HOOKLINE_LOG_FORMAT: Input should be 'text' or 'json'\n"
