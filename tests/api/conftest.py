from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.server import Server


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One running `hookline serve` for the package's modules, not one each: a start costs
    seconds. Each test makes hooks of its own; a module that needs settings of its own starts
    its own server."""
    srv = Server(tmp_path_factory.mktemp("api")).start()
    yield srv
    srv.stop()
