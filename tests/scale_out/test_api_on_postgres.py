"""The API on PostgreSQL, where every read is a round trip and can wait on a lock."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg

from tests.support.server import Server


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
            time.sleep(0.5)
            assert not waiting.done()  # the read waits for the lock
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


def test_access_taken_back_through_one_process_stops_at_the_next_request_on_another(
    tmp_path: Path, postgres_url: str
) -> None:
    """Each process remembers who may use the Management API until the access revision moves:
    a change made through one process counts at once on the others."""
    servers = [
        Server(
            tmp_path / name,
            HOOKLINE_DATABASE_URL=postgres_url,
            HOOKLINE_DISPATCH="false",
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
            assert httpx.get(f"{b.base}/api/hooks", headers=on_b).status_code == 200  # remembered
            assert api.delete(f"/applications/{app['id']}/roles/{role['id']}").status_code == 204
            assert httpx.get(f"{b.base}/api/hooks", headers=on_b).status_code == 403
    finally:
        for server in servers:
            server.stop()


def listeners(postgres_url: str) -> list[int]:
    """The sessions listening for moves of the access revision."""
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE query ILIKE 'LISTEN%hookline_revision_access%'"
        ).fetchall()
    return [pid for (pid,) in rows]


def wait_until(check: Callable[[], bool], what: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_a_process_that_lost_its_revision_channel_reads_until_it_listens_again(
    tmp_path: Path, postgres_url: str
) -> None:
    """While its LISTEN connection is down, a process reads the access revision at every
    request instead: a change made elsewhere meanwhile still counts at once."""
    servers = [
        Server(
            tmp_path / name,
            HOOKLINE_DATABASE_URL=postgres_url,
            HOOKLINE_DISPATCH="false",
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
            grant = {"roleIds": [role["id"]]}
            api.post(f"/applications/{app['id']}/roles", json=grant)
            token = httpx.post(
                f"{b.base}/oidc/token",
                data={"grant_type": "client_credentials", "scope": "all"},
                auth=(app["id"], app["secret"]),
            ).json()["access_token"]
            on_b = {"Authorization": f"Bearer {token}"}

            def b_answers() -> int:
                return httpx.get(f"{b.base}/api/hooks", headers=on_b).status_code

            assert b_answers() == 200
            wait_until(lambda: len(listeners(postgres_url)) == 2, "both processes to listen")
            with psycopg.connect(postgres_url, autocommit=True) as conn:
                for pid in listeners(postgres_url):
                    conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
            wait_until(lambda: "revision channel lost" in b.log.read_text(), "b to notice")

            revoke = f"/applications/{app['id']}/roles/{role['id']}"
            assert api.delete(revoke).status_code == 204
            assert b_answers() == 403
            api.post(f"/applications/{app['id']}/roles", json=grant)
            assert b_answers() == 200

            def listening_again() -> bool:
                # A process listens again at a request, a second or more after it lost it.
                assert api.get("/hooks").status_code == b_answers() == 200
                return len(listeners(postgres_url)) == 2

            wait_until(listening_again, "both to listen again")
            assert api.delete(revoke).status_code == 204
            assert b_answers() == 403
    finally:
        for server in servers:
            server.stop()
