"""The throwaway PostgreSQL cluster that the storage, delivery and API tests run on."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import asyncpg
import pytest

from tests.support.postgres import PASSWORD, PostgresCluster

pytestmark = pytest.mark.slow  # starts PostgreSQL


def fetch(url: str, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    """Run one statement on a connection of its own, as a separate hookline process would."""

    async def fetch_rows() -> list[tuple[Any, ...]]:
        connection = await asyncpg.connect(url)
        try:
            return [tuple(row) for row in await connection.fetch(sql, *args)]
        finally:
            await connection.close()

    return asyncio.run(fetch_rows())


def test_a_test_database_keeps_what_is_written_to_it(postgres_url: str) -> None:
    fetch(postgres_url, "CREATE TABLE hooks (id text PRIMARY KEY, name text NOT NULL)")
    fetch(postgres_url, "INSERT INTO hooks VALUES ($1, $2), ($3, $4)", "h2", "two", "h1", "one")

    rows = fetch(postgres_url, "SELECT id, name FROM hooks ORDER BY id")

    assert rows == [("h1", "one"), ("h2", "two")]


def test_a_test_database_starts_empty(postgres_url: str) -> None:
    tables = fetch(postgres_url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")

    assert tables == []


def test_test_databases_are_independent(postgres: PostgresCluster, postgres_url: str) -> None:
    other_url = postgres.create_database("independence_check")
    try:
        for url in (postgres_url, other_url):
            fetch(url, "CREATE TABLE events (id text)")
        fetch(postgres_url, "INSERT INTO events VALUES ('only-here')")

        assert postgres_url != other_url
        assert fetch(postgres_url, "SELECT id FROM events") == [("only-here",)]
        assert fetch(other_url, "SELECT id FROM events") == []
    finally:
        postgres.drop_database("independence_check")


def test_dropping_a_database_ends_its_open_connections(postgres: PostgresCluster) -> None:
    url = postgres.create_database("dropped_while_open")

    async def drop_under_an_open_connection() -> None:
        connection = await asyncpg.connect(url)
        postgres.drop_database("dropped_while_open")
        with pytest.raises(asyncpg.PostgresConnectionError):
            await connection.fetchval("SELECT 1")
        connection.terminate()

    asyncio.run(drop_under_an_open_connection())

    assert "dropped_while_open" not in postgres.execute("SELECT datname FROM pg_database")


def test_the_cluster_listens_on_a_free_loopback_port_only(
    postgres: PostgresCluster, postgres_url: str
) -> None:
    assert postgres.port != 5432
    assert postgres.execute("SHOW listen_addresses") == "127.0.0.1"
    assert fetch(postgres_url, "SELECT host(inet_server_addr())") == [("127.0.0.1",)]
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.2", postgres.port), timeout=2)


def test_connections_need_the_password(postgres_url: str) -> None:
    wrong_password = postgres_url.replace(f":{PASSWORD}@", ":not-the-password@")

    with pytest.raises(asyncpg.InvalidPasswordError):
        fetch(wrong_password, "SELECT 1")


def test_stop_shuts_the_server_down_and_removes_its_files() -> None:
    cluster = PostgresCluster().start()
    root, port = cluster.root, cluster.port
    assert root is not None and root.exists()

    cluster.stop()

    assert not root.exists()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2)


def test_settings_replace_the_test_defaults() -> None:
    cluster = PostgresCluster(settings={"fsync": "on", "synchronous_commit": "on"}).start()
    try:
        assert cluster.execute("SHOW fsync") == "on"
        assert cluster.execute("SHOW synchronous_commit") == "on"
        assert cluster.execute("SHOW full_page_writes") == "off"  # the tests' value, kept
        assert cluster.execute("SHOW listen_addresses") == "127.0.0.1"
    finally:
        cluster.stop()
