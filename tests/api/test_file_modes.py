"""The files that hold keys and one-time codes are readable by their owner alone: a real
server on a fresh data dir, a real verification code sent through the file connector."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hookline.outbox.wakeup import wake_directory
from tests.support.server import Server

# The files' kind is the point, not the database's: SQLite in both passes.
pytestmark = [pytest.mark.backend_independent, pytest.mark.slow]


def mode(path: Path) -> str:
    return oct(stat.S_IMODE(path.stat().st_mode))


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Server]:
    """A server whose database and outbox live in directories it must create itself."""
    server = Server(
        tmp_path,
        HOOKLINE_DATABASE_URL=f"sqlite:///{tmp_path / 'db' / 'hookline.db'}",
        HOOKLINE_MESSAGE_OUTBOX=str(tmp_path / "messages" / "messages.jsonl"),
    )
    yield server
    server.stop()


def send_code(server: Server) -> None:
    with httpx.Client(base_url=f"{server.base}/api", timeout=30) as client:
        assert client.put("/experience", json={"interactionEvent": "SignIn"}).status_code == 204
        sent = client.post(
            "/experience/verification/verification-code",
            json={
                "identifier": {"type": "email", "value": "erin@example.com"},
                "interactionEvent": "SignIn",
            },
        )
        assert sent.status_code == 200, sent.text


def test_database_and_outbox_are_created_owner_only(serve: Server, tmp_path: Path) -> None:
    server = serve.start()
    send_code(server)
    outbox = tmp_path / "messages" / "messages.jsonl"
    assert "erin@example.com" in outbox.read_text()
    database = tmp_path / "db" / "hookline.db"
    # Where the dispatcher's wake-up socket is, too: no other user can reach it.
    made = [
        tmp_path / "db",
        tmp_path / "messages",
        wake_directory(server.env["HOOKLINE_DATABASE_URL"]),
    ]
    files = [database, Path(f"{database}-wal"), Path(f"{database}-shm"), outbox]
    assert {path.name: mode(path) for path in made + files} == {
        **{path.name: "0o700" for path in made},
        **{path.name: "0o600" for path in files},
    }


def test_files_the_operator_made_keep_their_mode(serve: Server, tmp_path: Path) -> None:
    """A database or outbox made beforehand (say, readable by a backup group) is left as is."""
    for name in ("db", "messages"):
        (tmp_path / name).mkdir(mode=0o750)
    database = tmp_path / "db" / "hookline.db"
    outbox = tmp_path / "messages" / "messages.jsonl"
    for path in (database, outbox):
        path.touch()
        path.chmod(0o640)
    server = serve.start()
    send_code(server)
    assert "erin@example.com" in outbox.read_text()
    kept = [tmp_path / "db", tmp_path / "messages", database, Path(f"{database}-wal"), outbox]
    assert {path.name: mode(path) for path in kept} == {
        "db": "0o750",
        "messages": "0o750",
        "hookline.db": "0o640",
        "hookline.db-wal": "0o640",
        "messages.jsonl": "0o640",
    }
