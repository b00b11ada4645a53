"""`hookline serve` that cannot start says why in one line: a database it cannot open, a
port in use; and a port in use leaves nothing behind, no database and no credentials."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.backend_independent

HOOKLINE = Path(sys.executable).with_name("hookline")  # the installed entry point


def serve(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HOOKLINE, *(args or ("serve", "--port", "0"))],
        env={"PATH": os.environ["PATH"], "HOOKLINE_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=60,
    )


def one_line(result: subprocess.CompletedProcess[str], starts: str) -> None:
    assert result.returncode == 1, result
    assert result.stderr.startswith(starts), result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreachable_postgresql_is_one_line_and_its_password_is_masked() -> None:
    for command in (("serve", "--port", "0"), ("worker",), ("migrate",)):
        result = serve("postgresql://nobody:s3cret@127.0.0.1:1/x", *command)
        one_line(result, "hookline: cannot open the database postgresql://nobody:***@127.0.0.1:1/x")
        assert "Connection refused" in result.stderr and "s3cret" not in result.stderr


def test_a_sqlite_file_where_no_directory_can_be_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    result = serve(f"sqlite:///{tmp_path}/a-file/hookline.db")
    one_line(result, f"hookline: cannot open the database sqlite:///{tmp_path}/a-file/hookline.db")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes in read-only directories")
def test_a_sqlite_file_in_a_read_only_directory_is_one_line(tmp_path: Path) -> None:
    read_only = tmp_path / "read-only"
    read_only.mkdir(mode=0o500)
    one_line(serve(f"sqlite:///{read_only}/hookline.db"), "hookline: cannot open the database")


def test_an_unknown_database_kind_is_one_line() -> None:
    one_line(serve("mysql://localhost/hookline"), "hookline: cannot open the database mysql:")


def test_a_port_in_use_is_one_line_before_anything_is_made_or_printed(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = serve(f"sqlite:///{tmp_path}/data/hookline.db", "serve", "--port", str(port))
    one_line(result, f"hookline: cannot listen on 127.0.0.1:{port}: ")
    assert result.stdout == ""  # no credentials
    assert not (tmp_path / "data").exists()
