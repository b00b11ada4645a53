"""The database every test server runs on: SQLite by default, PostgreSQL under
`pytest --backend postgresql`, so that one suite checks hookline on both."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.support.postgres import PostgresCluster

_cluster: PostgresCluster | None = None


def use_postgres(cluster: PostgresCluster | None) -> None:
    """Servers made from now on keep their data on `cluster` (None: back to SQLite files)."""
    global _cluster
    _cluster = cluster


def database_url(data_dir: Path) -> str:
    """The database of a server on `data_dir`; the same one every time, so that a server
    restarted on its data dir (after a SIGKILL, say) finds what it wrote before."""
    if _cluster is None:
        return f"sqlite:///{data_dir / 'hookline.db'}"
    name = "hookline_" + hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:16]
    if not _cluster.execute(f"SELECT 1 FROM pg_database WHERE datname = '{name}'"):
        _cluster.create_database(name)
    return _cluster.url(name)
