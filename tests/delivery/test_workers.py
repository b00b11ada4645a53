"""Dispatcher processes beside the API: woken at commit, and stopped without loss."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from hookline.config import dispatchers_for_the_cores
from hookline.outbox.wakeup import wake_directory
from tests.support.api import create_hook, emit, median_lag
from tests.support.receiver import Receiver, Reply
from tests.support.server import Server
from tests.support.waiting import wait_for_line, wait_until

pytestmark = pytest.mark.slow

STARTED = "dispatcher started"  # logged by each dispatcher, in a process of its own or not


def test_the_default_dispatcher_processes_deliver_within_100ms(
    tmp_path, receiver: Receiver
) -> None:
    # HOOKLINE_DISPATCHERS unset: hookline's default, a dispatcher process per core.
    server = Server(tmp_path, HOOKLINE_DISPATCHERS=None).start()
    try:
        with server.client() as api:
            create_hook(api, receiver.url())
            assert median_lag(api, receiver, timeout=15) < 0.1
    finally:
        server.stop()
    log = server.log.read_text()
    assert "Traceback" not in log
    assert log.count("dispatcher process ready") == dispatchers_for_the_cores()


def test_the_first_webhook_after_status_answers_is_woken_not_polled(
    tmp_path, receiver: Receiver
) -> None:
    # The fallback poll comes too late to pass for a wake-up.
    server = Server(tmp_path, HOOKLINE_DISPATCHERS="2", HOOKLINE_POLL_INTERVAL="60").start()
    try:
        with server.client() as api:
            create_hook(api, receiver.url("/h"))
            emit(api)
            # Well before the next poll: woken.
            receiver.wait_for(1, "/h", timeout=5)
    finally:
        server.stop()


@pytest.mark.backend_independent
@pytest.mark.parametrize("dispatchers", ["2", "0"], ids=["processes", "in-process"])
def test_status_answers_503_until_the_dispatchers_listen(
    tmp_path, receiver: Receiver, dispatchers: str
) -> None:
    # SQLite whatever the backend: a file where the dispatchers bind their wake-up sockets
    # keeps them from listening, and so from saying they are ready, while the API runs.
    database_url = f"sqlite:///{tmp_path / 'hookline.db'}"
    blocker = wake_directory(database_url)
    blocker.write_bytes(b"")
    server = Server(tmp_path, HOOKLINE_DATABASE_URL=database_url, HOOKLINE_DISPATCHERS=dispatchers)
    try:
        server.launch()
        wait_for_line(server.log, "dispatcher failed; starting over", count=2, timeout=30)
        status = httpx.get(f"{server.base}/api/status", timeout=5)
        assert status.status_code == 503
        assert status.json() == {
            "code": "dispatcher.not_ready",
            "message": "The dispatcher processes are starting; try again.",
        }
        assert status.headers["retry-after"] == "1"
        blocker.unlink()
        server.wait_ready()
        with server.client() as api:
            create_hook(api, receiver.url("/h"))
            emit(api)
            receiver.wait_for(1, "/h", timeout=5)
    finally:
        server.stop()
        if blocker.is_file():
            blocker.unlink()
    assert server.log.read_text().count("dispatcher process ready") == int(dispatchers)


def test_a_worker_stopped_with_sigterm_finishes_its_deliveries_and_exits(
    tmp_path, receiver: Receiver
) -> None:
    receiver.on("/h", Reply(delay=0.5))
    server = Server(tmp_path).start()
    worker_log = tmp_path / "worker.log"
    worker = subprocess.Popen(
        [sys.executable, "-m", "hookline", "worker"],
        env=server.env,
        stdout=subprocess.DEVNULL,
        stderr=worker_log.open("wb"),
    )
    try:
        with server.client() as api:
            create_hook(api, receiver.url("/h"))
            # The worker is up and shares the queue with the server's dispatcher.
            wait_for_line(worker_log, STARTED, timeout=30)
            for seq in range(60):
                emit(api, payload={"seq": seq})
            receiver.wait_for(5, "/h")
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(timeout=15) == 0, worker_log.read_text()[-3000:]
            got = receiver.wait_for(60, "/h", timeout=20)
            assert {json.loads(r.body)["seq"] for r in got} == set(range(60))
        assert "Traceback" not in worker_log.read_text()
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
            create_hook(api, receiver.url("/h"))
            wait_for_line(server.log, STARTED)
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


def running(pid: int) -> bool:
    """Whether `pid` runs still: a zombie nobody has reaped yet does not."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.backend_independent
def test_dispatcher_processes_end_with_a_sigkilled_server(tmp_path) -> None:
    server = Server(tmp_path, HOOKLINE_DISPATCHERS="1").start()
    assert server.process is not None
    (child,) = children(server.process.pid)
    try:
        wait_for_line(server.log, STARTED)  # it has asked to end with its server
        server.kill()
        wait_until(lambda: not running(child), "the dispatcher process to end", timeout=5)
    finally:
        if running(child):
            os.kill(child, signal.SIGKILL)


@pytest.mark.backend_independent
def test_a_dispatcher_process_whose_server_died_as_it_started_exits_at_once(tmp_path) -> None:
    gone = subprocess.Popen(["true"])  # stands for the server, SIGKILLed meanwhile
    gone.wait()
    worker = subprocess.run(
        [sys.executable, "-m", "hookline", "worker"],
        env={
            **os.environ,
            "HOOKLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'hookline.db'}",
            "HOOKLINE_PARENT_PID": str(gone.pid),
        },
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert worker.returncode == 0
    assert "worker starting" not in worker.stderr


def status(server: Server) -> int:
    return httpx.get(f"{server.base}/api/status", timeout=5).status_code


@pytest.mark.backend_independent
def test_status_stays_204_while_a_dead_dispatcher_process_is_replaced(tmp_path) -> None:
    # Once ready, a server whose dispatcher dies keeps accepting events, durably: a health
    # check that took it for dead would restart the API for nothing.
    server = Server(tmp_path, HOOKLINE_DISPATCHERS="1").start()
    try:
        assert server.process is not None
        (first,) = children(server.process.pid)
        os.kill(first, signal.SIGKILL)
        wait_for_line(server.log, "dispatcher process exited; starting another")
        assert status(server) == 204

        def replaced() -> bool:
            assert status(server) == 204  # at every look until the replacement listens
            return server.log.read_text().count("dispatcher process ready") == 2

        wait_until(replaced, "the replacement to be ready", timeout=15)
        assert status(server) == 204
    finally:
        server.stop()
    assert f"pid={first}" in server.log.read_text()


@pytest.mark.backend_independent
def test_a_dispatcher_process_that_exits_with_0_alone_is_replaced(
    tmp_path, receiver: Receiver
) -> None:
    server = Server(tmp_path, HOOKLINE_DISPATCHERS="1").start()
    try:
        assert server.process is not None
        with server.client() as api:
            create_hook(api, receiver.url("/h"))
            (first,) = children(server.process.pid)
            # A dispatcher stops cleanly on SIGTERM and exits with 0; the server runs on.
            os.kill(first, signal.SIGTERM)
            wait_for_line(server.log, "dispatcher process ready", count=2, timeout=15)
            (second,) = children(server.process.pid)
            assert second != first
            emit(api)
            receiver.wait_for(1, "/h", timeout=15)
    finally:
        server.stop()
    log = server.log.read_text()
    assert "worker stopped" in log
    [restart] = [line for line in log.splitlines() if "starting another" in line]
    assert f"pid={first}" in restart and "exit_code=0" in restart


@pytest.mark.backend_independent
def test_dispatcher_processes_stopped_with_their_server_are_not_replaced(
    tmp_path, receiver: Receiver
) -> None:
    # A request in flight keeps the server draining for a while after the signal.
    receiver.on("/slow", Reply(delay=3))
    server = Server(tmp_path, HOOKLINE_DISPATCHERS="2").start()
    assert server.process is not None
    pid = server.process.pid
    try:
        with server.client() as api, ThreadPoolExecutor(1) as pool:
            hook = create_hook(api, receiver.url("/h"))
            test_send = pool.submit(
                api.post,
                f"/hooks/{hook['id']}/test",
                json={"events": ["User.Created"], "config": {"url": receiver.url("/slow")}},
            )
            receiver.wait_for(1, "/slow")
            # As Ctrl-C or systemd would: the whole process group at once.
            for process in (pid, *children(pid)):
                os.kill(process, signal.SIGTERM)
            wait_for_line(server.log, "worker stopped", count=2)
            assert test_send.result(timeout=20).status_code == 204
            server.process.wait(timeout=20)
    finally:
        server.stop()
    assert "starting another" not in server.log.read_text()


@pytest.mark.backend_independent
def test_a_dispatcher_process_that_cannot_be_started_is_tried_again(
    tmp_path, receiver: Receiver
) -> None:
    server = Server(tmp_path, HOOKLINE_DISPATCHERS="1").start()
    try:
        assert server.process is not None
        pid = server.process.pid
        with server.client() as api:
            create_hook(api, receiver.url("/h"))
            wait_for_line(server.log, STARTED)
            (first,) = children(pid)
            # No file descriptor left for the server: starting a process fails (EMFILE), as
            # it would for want of memory or processes.
            limits = resource.prlimit(pid, resource.RLIMIT_NOFILE)
            resource.prlimit(pid, resource.RLIMIT_NOFILE, (0, limits[1]))
            try:
                os.kill(first, signal.SIGKILL)
                wait_for_line(server.log, "could not start a dispatcher process")
            finally:
                resource.prlimit(pid, resource.RLIMIT_NOFILE, limits)
            wait_until(lambda: len(children(pid)) == 1, "a dispatcher process")
            emit(api, payload={"seq": 1})
            receiver.wait_for(1, "/h", timeout=15)
    finally:
        server.stop()


@pytest.mark.backend_independent
def test_a_worker_that_cannot_start_says_why_in_its_log_format(tmp_path) -> None:
    worker = subprocess.run(
        [sys.executable, "-m", "hookline", "worker"],
        env={
            **os.environ,
            "HOOKLINE_DATABASE_URL": "sqlite:////proc/nope/hookline.db",
            "HOOKLINE_LOG_FORMAT": "json",
        },
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert worker.returncode == 1
    # One JSON line, the reason in it: no traceback.
    [failure] = [json.loads(line) for line in worker.stderr.splitlines() if line]
    assert failure["level"] == "ERROR" and failure["action"] == "database_fail"
    assert failure["message"].startswith("cannot open the database sqlite:////proc/nope/")
