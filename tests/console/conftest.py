"""A running `hookline serve` with a console admin made by `hookline admin create`, and a
client that signs in as that admin."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from tests.support.server import Server

ADMIN = "admin"
PASSWORD = "correct horse battery"
CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


def hookline_command(server: Server, *args: str, password: str) -> subprocess.CompletedProcess:
    """`hookline ARGS` on the server's database, the password on standard input (a pipe,
    not a terminal)."""
    return subprocess.run(
        [sys.executable, "-m", "hookline", *args],
        env=server.env,
        input=password + "\n",
        capture_output=True,
        text=True,
        timeout=60,
    )


def create_admin(server: Server, username: str = ADMIN, password: str = PASSWORD) -> None:
    done = hookline_command(server, "admin", "create", username, password=password)
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the console's modules, each test with hooks and admins of its own. The
    admin is created before the server starts: the command migrates the database."""
    srv = Server(tmp_path_factory.mktemp("console"))
    srv.data_dir.mkdir(parents=True, exist_ok=True)
    create_admin(srv)
    srv.start()
    yield srv
    srv.stop()


def csrf_of(page: httpx.Response) -> str:
    found = CSRF_FIELD.search(page.text)
    assert found, page.text
    return found.group(1)


def sign_in(
    server: Server, username: str = ADMIN, password: str = PASSWORD
) -> tuple[httpx.Client, httpx.Response]:
    """A new client that fetched the sign-in form and sent it; and the answer it got."""
    client = httpx.Client(base_url=server.base, timeout=30)
    form = client.get("/console/sign-in")
    answer = client.post(
        "/console/sign-in",
        data={"csrf": csrf_of(form), "username": username, "password": password},
    )
    return client, answer


def signed_in(server: Server, username: str = ADMIN, password: str = PASSWORD) -> int:
    """The status of a sign-in (303 when it succeeded)."""
    client, answer = sign_in(server, username, password)
    client.close()
    return answer.status_code


@pytest.fixture
def admin(server: Server) -> Iterator[httpx.Client]:
    """A client signed in as the admin."""
    client, answer = sign_in(server)
    assert answer.status_code == 303, answer.text
    yield client
    client.close()
