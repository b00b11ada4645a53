"""The PostgreSQL rows' cluster: one per bench run, a fresh database for each run on it."""

from __future__ import annotations

import re

from tests.support.postgres import PostgresCluster

# The tests' cluster turns durability off. These are PostgreSQL's defaults again: a commit
# returns once its WAL is flushed to disk, as on a production server.
DURABLE = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}
# What the report shows of the cluster, read back from the server rather than assumed.
SHOWN = (
    "server_version",
    "fsync",
    "synchronous_commit",
    "full_page_writes",
    "wal_level",
    "shared_buffers",
    "max_wal_size",
    "max_connections",
)


def start() -> PostgresCluster:
    return PostgresCluster(settings=DURABLE).start()


def facts(cluster: PostgresCluster) -> dict:
    return {name: cluster.execute(f"SHOW {name}") for name in SHOWN}


def postmaster(cluster: PostgresCluster) -> int:
    """The server's pid: its processes (one per connection) are the "postgres" CPU column."""
    return int((cluster.data_dir / "postmaster.pid").read_text().split()[0])


def database_name(label: str) -> str:
    return "bench_" + re.sub(r"[^a-z0-9]", "_", label.lower())
