"""The API on PostgreSQL, where every read is a round trip and can wait on a lock."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.support.postgres import lock_waiters
from tests.support.server import Server
from tests.support.waiting import wait_until

pytestmark = pytest.mark.slow  # starts hookline processes


def test_a_read_waiting_on_a_lock_does_not_stall_the_other_requests(
    tmp_path: Path, postgres_url: str
) -> None:
    server = Server(tmp_path, HOOKLINE_DATABASE_URL=postgres_url, HOOKLINE_DISPATCH="false").start()
    try:
        with (
            server.client() as blocked,
            server.client() as other,
            psycopg.connect(postgres_url) as locker,
            ThreadPoolExecutor(1) as pool,
        ):
            locker.execute("LOCK TABLE hooks IN ACCESS EXCLUSIVE MODE")  # held until rollback
            waiting = pool.submit(blocked.get, "/hooks", timeout=30)
            wait_until(lambda: lock_waiters(postgres_url), "the read to wait for the lock")
            assert not waiting.done()
            started = time.monotonic()
            assert other.get("/users", timeout=5).status_code == 200
            assert other.get("/roles", timeout=5).status_code == 200
            assert time.monotonic() - started < 1
            locker.rollback()
            assert waiting.result(timeout=10).status_code == 200
    finally:
        server.stop()


def test_a_write_behind_a_lock_held_too_long_is_a_503_not_a_hang(
    tmp_path: Path, postgres_url: str
) -> None:
    server = Server(
        tmp_path,
        HOOKLINE_DATABASE_URL=postgres_url,
        HOOKLINE_DISPATCH="false",
        HOOKLINE_LOCK_WAIT="0.5",
    ).start()
    try:
        with server.client() as api, psycopg.connect(postgres_url) as stuck:
            stuck.execute("LOCK TABLE users IN ACCESS EXCLUSIVE MODE")  # until rollback
            started = time.monotonic()
            refused = api.post("/users", json={"username": "waited"})
            assert time.monotonic() - started < 5
            assert refused.status_code == 503
            assert refused.json()["code"] == "database.unavailable"
            stuck.rollback()
            assert api.post("/users", json={"username": "waited"}).status_code == 200
            [(count,)] = server.sql("SELECT count(*) FROM events WHERE name = 'User.Created'")
            assert count == 1  # the refused write fired nothing
    finally:
        server.stop()


@dataclass
class Access:
    """Two API processes on one database, and a machine-to-machine application given the
    Management API role through the first (`api`), holding a token from the second."""

    api: httpx.Client
    b: Server
    app: dict[str, Any]
    role: dict[str, Any]
    on_b: Callable[[], int]  # the status of a Management API request to the second process

    def revoke(self) -> None:
        response = self.api.delete(f"/applications/{self.app['id']}/roles/{self.role['id']}")
        assert response.status_code == 204, response.text

    def grant(self) -> None:
        response = self.api.post(
            f"/applications/{self.app['id']}/roles", json={"roleIds": [self.role["id"]]}
        )
        assert response.status_code == 201, response.text


@pytest.fixture
def access(tmp_path: Path, postgres_url: str) -> Iterator[Access]:
    servers = [
        Server(
            tmp_path / name,
            HOOKLINE_DATABASE_URL=postgres_url,
            HOOKLINE_DISPATCH="false",
            # One address in front of both: a token from one is good on the other.
            HOOKLINE_PUBLIC_URL="https://hooks.example.com",
        )
        for name in ("a", "b")
    ]
    for server in servers:
        server.start()
    a, b = servers
    try:
        with a.client() as api:
            app = api.post("/applications", json={"name": "m", "type": "MachineToMachine"}).json()
            roles = api.get("/roles", params={"type": "MachineToMachine"}).json()
            (role,) = [r for r in roles if r["name"] == "Logto Management API access"]
            api.post(f"/applications/{app['id']}/roles", json={"roleIds": [role["id"]]})
            token = httpx.post(
                f"{b.base}/oidc/token",
                data={"grant_type": "client_credentials", "scope": "all"},
                auth=(app["id"], app["secret"]),
            ).json()["access_token"]
            on_b = {"Authorization": f"Bearer {token}"}
            granted = Access(
                api,
                b,
                app,
                role,
                lambda: httpx.get(f"{b.base}/api/hooks", headers=on_b).status_code,
            )
            yield granted
    finally:
        for server in servers:
            server.stop()


def test_access_taken_back_through_one_process_stops_at_the_next_request_on_another(
    access: Access,
) -> None:
    """Each process remembers who may use the Management API until the access revision moves:
    a change made through one process counts at once on the others."""
    assert access.on_b() == 200  # remembered by the second process
    access.revoke()
    assert access.on_b() == 403


def listeners(postgres_url: str) -> list[int]:
    """The sessions listening for moves of the access revision."""
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE query ILIKE 'LISTEN%hookline_revision_access%'"
        ).fetchall()
    return [pid for (pid,) in rows]


def test_a_process_that_lost_its_revision_channel_reads_until_it_listens_again(
    access: Access, postgres_url: str
) -> None:
    """While its LISTEN connection is down, a process reads the access revision at every
    request instead: a change made elsewhere meanwhile still counts at once."""
    assert access.on_b() == 200
    wait_until(lambda: len(listeners(postgres_url)) == 2, "both processes to listen", 15)
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        for pid in listeners(postgres_url):
            conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
    b_log = access.b.log
    wait_until(lambda: "revision channel lost" in b_log.read_text(), "the second to notice", 15)

    access.revoke()
    assert access.on_b() == 403
    access.grant()
    assert access.on_b() == 200

    def listening_again() -> bool:
        # A process listens again at a request, a second or more after it lost it.
        assert access.api.get("/hooks").status_code == access.on_b() == 200
        return len(listeners(postgres_url)) == 2

    wait_until(listening_again, "both to listen again", 15)
    access.revoke()
    assert access.on_b() == 403
