"""`hookline admin create USERNAME`: the password from standard input when it is not a
terminal, the database created and migrated if it is not yet."""

from __future__ import annotations

import os
import pty
import select
import sys
import time
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


def test_asks_the_password_twice_on_a_terminal(tmp_path: Path) -> None:
    server = Server(tmp_path / "data")
    terminal = Terminal([sys.executable, "-m", "hookline", "admin", "create", "dora"], server.env)
    terminal.expect("Password: ")
    terminal.send("terminal-password\n")
    terminal.expect("Repeat for confirmation: ")
    terminal.send("terminal-password\n")
    terminal.expect("created the console admin 'dora'")
    assert terminal.wait() == 0
    assert "terminal-password" not in terminal.seen  # not echoed
    assert server.sql("SELECT username FROM console_admins") == [("dora",)]


class Terminal:
    """A command on a pseudo-terminal of its own, as if a person typed at it."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: the terminal is its standard input and output
            os.execve(argv[0], argv, env)
        self.seen = ""

    def expect(self, text: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.seen:
            left = deadline - time.monotonic()
            assert left > 0, f"{text!r} not shown; the terminal shows {self.seen!r}"
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                self.seen += os.read(self.fd, 4096).decode(errors="replace")

    def send(self, text: str) -> None:
        os.write(self.fd, text.encode())

    def wait(self) -> int:
        _, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        return os.waitstatus_to_exitcode(status)
