"""`hookline admin create USERNAME`: the password from standard input when it is not a
terminal, the database created and migrated if it is not yet."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.console.conftest import hookline_command
from tests.support.server import Server

pytestmark = pytest.mark.slow


def test_creates_an_admin_in_a_new_database(tmp_path: Path) -> None:
    server = Server(tmp_path / "data")
    done = hookline_command(server, "admin", "create", "alice", password="a-long-password")
    assert done.returncode == 0, done.stderr
    assert "created the console admin 'alice'" in done.stdout
    rows = server.sql("SELECT username, password_hash, failed_sign_ins FROM console_admins")
    assert len(rows) == 1
    username, password_hash, failed = rows[0]
    assert username == "alice" and failed == 0
    assert password_hash.startswith("$argon2id$") and "a-long-password" not in password_hash


def test_refuses_a_second_admin_of_the_same_name(tmp_path: Path) -> None:
    server = Server(tmp_path / "data")
    assert (
        hookline_command(server, "admin", "create", "bob", password="first-password").returncode
        == 0
    )
    again = hookline_command(server, "admin", "create", "bob", password="other-password")
    assert again.returncode == 1
    assert again.stderr == "hookline: an admin named 'bob' exists already\n"


@pytest.mark.parametrize(
    ("username", "password", "error"),
    [
        ("carol", "short", "at least 8 characters"),
        ("carol", "", "at least 8 characters"),
        ("no spaces", "long-enough", "the username must be"),
    ],
)
def test_refuses_bad_input_in_one_line(
    tmp_path: Path, username: str, password: str, error: str
) -> None:
    server = Server(tmp_path / "data")
    done = hookline_command(server, "admin", "create", username, password=password)
    assert done.returncode == 1
    assert error in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.splitlines()) == 1
