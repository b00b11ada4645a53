from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.support.receiver import Receiver
from tests.support.roles_resources import Hooked, hook_factory
from tests.support.server import Server


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One running `hookline serve` for the package's modules, not one each: a start costs
    seconds. Each test makes users, roles and hooks of its own; a module that needs settings
    of its own starts its own server."""
    srv = Server(tmp_path_factory.mktemp("identity")).start()
    yield srv
    srv.stop()


@pytest.fixture
def subscribe(
    api: httpx.Client, server: Server, receiver: Receiver
) -> Iterator[Callable[[list[str]], Hooked]]:
    """`subscribe(events)`: a hook on its own path of the receiver, deleted after the test."""
    yield from hook_factory(api, server, receiver)
