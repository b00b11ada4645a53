from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.support.receiver import Receiver
from tests.support.roles_resources import Hooked, hook_factory
from tests.support.server import Server


@pytest.fixture
def subscribe(
    api: httpx.Client, server: Server, receiver: Receiver
) -> Iterator[Callable[[list[str]], Hooked]]:
    """`subscribe(events)`: a hook on its own path of the receiver, deleted after the test."""
    yield from hook_factory(api, server, receiver)
