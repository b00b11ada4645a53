"""Many processes on one PostgreSQL database: API processes started together share one key and
one schema; workers killed mid-run lose nothing, no delivery is sent by two live workers, and
a hanging receiver slows only its hook."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg
import pytest

from hookline.db.engine import make_engine, write
from hookline.outbox.emit import emit
from tests.support.postgres import lock_waiters
from tests.support.receiver import Receiver, Reply
from tests.support.server import Server
from tests.support.waiting import wait_until

pytestmark = pytest.mark.slow  # starts hookline processes

EVENTS, HOOKS, WORKERS = 10_000, 3, 4


class Workers:
    """`hookline worker` processes, each naming itself in the User-Agent of its requests."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str) -> None:
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", "hookline", "worker"],
            env={**self.env, "HOOKLINE_USER_AGENT": name},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def kill(self, name: str) -> None:
        self.processes[name].send_signal(signal.SIGKILL)
        self.processes[name].wait()

    def stop(self) -> dict[str, bytes]:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        return {name: p.communicate(timeout=30)[1] for name, p in self.processes.items()}


@pytest.fixture
def cluster(tmp_path: Path, postgres_url: str) -> Iterator[tuple[Server, Workers]]:
    """An API process that does not deliver, and the workers beside it."""
    server = Server(tmp_path, HOOKLINE_DATABASE_URL=postgres_url, HOOKLINE_DISPATCH="false").start()
    workers = Workers({**server.env, "HOOKLINE_MAX_IN_FLIGHT": "64"})
    yield server, workers
    workers.stop()
    server.stop()


def test_api_processes_started_together_share_the_database(
    tmp_path: Path, postgres_url: str, receiver: Receiver
) -> None:
    apis = [
        Server(
            tmp_path / f"api{n}",
            HOOKLINE_DATABASE_URL=postgres_url,
            HOOKLINE_DISPATCH="false",
            # One address in front of them all: a token from one is good on every one.
            HOOKLINE_PUBLIC_URL="https://hooks.example.com",
        )
        for n in range(3)
    ]
    workers = Workers(apis[0].env)
    try:
        with ThreadPoolExecutor(len(apis)) as pool:  # migrations and first keys, all at once
            list(pool.map(Server.start, apis))
        token = apis[0].token()  # signed with the one key every process loaded
        clients = [
            httpx.Client(base_url=f"{api.base}/api", headers={"authorization": f"Bearer {token}"})
            for api in apis
        ]
        hook = {"events": ["User.Created"], "config": {"url": receiver.url("/users")}}
        assert clients[1].post("/hooks", json=hook).status_code == 201
        workers.start("worker")
        for n, client in enumerate(clients):
            assert client.post("/users", json={"username": f"from_api_{n}"}).status_code == 200
        got = receiver.wait_for(3, "/users", timeout=15)
        assert sorted(json.loads(r.body)["data"]["username"] for r in got) == [
            "from_api_0",
            "from_api_1",
            "from_api_2",
        ]
    finally:
        workers.stop()
        for api in apis:
            api.stop()


def emit_events(url: str, count: int, batch: int = 500) -> None:
    """Events through hookline's own emit, committed in batches while the workers run."""
    engine = make_engine(url)
    for start in range(0, count, batch):
        with write(engine) as conn:
            for seq in range(start, min(start + batch, count)):
                emit(conn, "User.Created", {"seq": seq})
    engine.dispose()


def test_killed_workers_lose_nothing_and_no_delivery_goes_to_two_live_workers(
    cluster: tuple[Server, Workers], receiver: Receiver
) -> None:
    server, workers = cluster
    with server.client() as api:
        for n in range(HOOKS):
            hook = {"events": ["User.Created"], "config": {"url": receiver.url(f"/h{n}")}}
            assert api.post("/hooks", json=hook).status_code == 201
    for n in range(WORKERS):
        workers.start(f"worker-{n}")
    url = server.env["HOOKLINE_DATABASE_URL"]
    emit_events(url, EVENTS // 2)
    total = EVENTS * HOOKS
    wait_until(lambda: len(receiver.requests) >= total // 4, "a quarter delivered", 60)
    killed = ["worker-0", "worker-1"]
    for name in killed:  # mid-run, with deliveries in flight
        workers.kill(name)
    for name in killed:
        workers.start(f"{name}-again")
    emit_events(url, EVENTS - EVENTS // 2)
    expected = {delivery_id for (delivery_id,) in server_rows(url, "SELECT id FROM deliveries")}
    assert len(expected) == total
    wait_until(
        lambda: len({r.header("webhook-id") for r in receiver.requests}) >= total,
        "every delivery",
        120,
    )

    senders: dict[str, list[str]] = defaultdict(list)
    for request in list(receiver.requests):
        senders[request.header("webhook-id") or ""].append(request.header("user-agent") or "")
    assert set(senders) == expected  # every delivery arrived, and nothing else did
    attempts = Counter(d for (d,) in server_rows(url, "SELECT delivery_id FROM logs"))
    repeated = 0
    for delivery_id, by in senders.items():
        from_live = sum(1 for s in by if s not in killed)
        # Each send by a live worker is a recorded attempt (a retry after an error is one
        # more); the sends left unrecorded are those the killed workers had in flight.
        assert from_live <= attempts[delivery_id], (delivery_id, by)
        repeated += len(by) - attempts[delivery_id]
    # A delivery holds its slot until its outcome is recorded: each killed worker left at
    # most HOOKLINE_MAX_IN_FLIGHT sends unrecorded.
    assert repeated <= len(killed) * 64, repeated
    assert Counter(status for (status,) in server_rows(url, "SELECT status FROM deliveries")) == {
        2: total
    }
    for name, stderr in workers.stop().items():
        assert b"Traceback" not in stderr, (name, stderr.decode()[-2000:])


def test_a_hanging_receiver_does_not_slow_the_other_hooks(
    cluster: tuple[Server, Workers], receiver: Receiver
) -> None:
    server, workers = cluster
    receiver.on("/hang", *[Reply(delay=10)] * 200)
    with server.client() as api:
        for path in ("/hang", "/fast"):
            hook = {"events": ["User.Created"], "config": {"url": receiver.url(path)}}
            assert api.post("/hooks", json=hook).status_code == 201
    workers.env["HOOKLINE_REQUEST_TIMEOUT"] = "10"
    workers.start("worker-0")
    workers.start("worker-1")
    url = server.env["HOOKLINE_DATABASE_URL"]
    # A worker started late is not a slow hook.
    wait_until(lambda: listening(url) == 2, "both workers to listen", 30)
    engine = make_engine(url)
    emitted: dict[int, float] = {}
    start = time.time()
    for seq in range(200):  # 20 events/s for 10 s: the hanging hook's share fills up
        time.sleep(max(0.0, start + seq / 20 - time.time()))  # the pace, not a wait
        with write(engine) as conn:
            emit(conn, "User.Created", {"seq": seq})
        emitted[seq] = time.time()
    engine.dispose()
    fast = receiver.wait_for(200, "/fast", timeout=30)
    lags = sorted(r.at - emitted[json.loads(r.body)["seq"]] for r in fast)
    p99 = lags[int(len(lags) * 0.99) - 1]
    assert p99 < 0.1, f"p99 {p99 * 1000:.0f} ms, p50 {lags[len(lags) // 2] * 1000:.0f} ms"


def listening(url: str) -> int:
    """How many sessions wait for new deliveries: a worker listens once it is ready."""
    sql = (
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND starts_with(query, 'LISTEN')"
        " AND strpos(query, 'hookline_deliveries') > 0"
    )
    return server_rows(url, sql)[0][0]


def server_rows(url: str, sql: str) -> list[tuple]:
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.exec_driver_sql(sql)]
    engine.dispose()
    return rows


def test_a_value_taken_by_a_concurrent_writer_is_a_422(tmp_path: Path, postgres_url: str) -> None:
    """The API checks a username before writing it; a writer elsewhere that takes it between
    the check and the write makes the database refuse, answered as Logto answers it."""
    server = Server(tmp_path, HOOKLINE_DATABASE_URL=postgres_url).start()
    try:
        with server.client() as api, psycopg.connect(postgres_url) as other:
            other.execute(
                "INSERT INTO users (id, username, custom_data, identities, profile, created_at,"
                " updated_at) VALUES ('raced', 'raced', '{}', '{}', '{}', 0, 0)"
            )  # not committed: invisible to the API's check, but it holds the name
            with ThreadPoolExecutor(1) as pool:
                answer = pool.submit(api.post, "/users", json={"username": "raced"})
                wait_until(lambda: lock_waiters(postgres_url), "the write to wait for the name")
                other.commit()
                response = answer.result(timeout=10)
        assert response.status_code == 422
        assert response.json()["code"] == "entity.unique_integrity_violation"
    finally:
        server.stop()
    assert "Traceback" not in server.log.read_text()
