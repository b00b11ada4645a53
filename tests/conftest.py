from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from hookline.db.engine import make_engine
from hookline.db.migrate import upgrade
from tests.support import backend
from tests.support.api import create_hook
from tests.support.postgres import PostgresCluster, PostgresNotInstalled
from tests.support.receiver import Receiver
from tests.support.server import Server


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="the database every test server runs on (default: sqlite)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark `slow` what starts a server (see `starts_a_server`). With --backend postgresql,
    leave out what the first pass (on SQLite) already proved and the database's kind cannot
    change: process supervision, logging, SQLite's own locks."""
    for item in items:
        if starts_a_server(item):
            item.add_marker(pytest.mark.slow)
    if config.getoption("--backend") != "postgresql":
        return
    once = [item for item in items if item.get_closest_marker("backend_independent")]
    if once:
        config.hook.pytest_deselected(items=once)
        items[:] = [item for item in items if item not in once]


def starts_a_server(item: pytest.Item) -> bool:
    """A test on the module's `hookline serve` or on PostgreSQL (the cluster, or a database
    on it). Modules that start servers of their own mark themselves `slow`."""
    fixtures = getattr(item, "fixturenames", ())
    callspec = getattr(item, "callspec", None)
    on_postgres = callspec is not None and callspec.params.get("database_url") == "postgresql"
    return on_postgres or "server" in fixtures or "postgres" in fixtures


@pytest.fixture(scope="session", autouse=True)
def server_backend(request: pytest.FixtureRequest) -> Iterator[str]:
    """With --backend postgresql, every Server of the run keeps its data on one cluster."""
    name = request.config.getoption("--backend")
    if name == "postgresql":
        backend.use_postgres(request.getfixturevalue("postgres"))
    yield name
    backend.use_postgres(None)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One running `hookline serve` (real process, real database) per test module."""
    srv = Server(tmp_path_factory.mktemp("hookline")).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def api(server: Server) -> Iterator[httpx.Client]:
    """An authenticated client for the Management API (`/api` base)."""
    with server.client() as client:
        yield client


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database, once on SQLite and once on PostgreSQL: the test runs on both."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hookline.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a database with hookline's tables, on SQLite and on PostgreSQL."""
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def make_hook(api: httpx.Client) -> Iterator[Callable[..., dict[str, Any]]]:
    """`create_hook` on the module's server, without `api`, and with no default events; every
    hook made this way is deleted after the test, so no test's hooks receive another test's
    events."""
    created: list[str] = []

    def make(url: str, events: list[str] | None = None, **fields: Any) -> dict[str, Any]:
        hook = create_hook(api, url, events, **fields)
        created.append(hook["id"])
        return hook

    yield make
    for hook_id in created:
        api.delete(f"/hooks/{hook_id}")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rcv = Receiver()
    yield rcv
    rcv.close()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    """A throwaway PostgreSQL cluster, started the first time a test asks for it."""
    try:
        cluster = PostgresCluster()
    except PostgresNotInstalled as missing:
        # Not a skip: a run without PostgreSQL must not pass for a run on both backends.
        raise pytest.fail.Exception(str(missing), pytrace=False) from None
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture
def postgres_url(postgres: PostgresCluster) -> Iterator[str]:
    """A fresh, empty database for this test alone, dropped after it."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    yield postgres.create_database(name)
    postgres.drop_database(name)
