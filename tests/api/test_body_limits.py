"""Request bodies are bounded before they are read: over HTTP and raw sockets against a real
server, whose resident memory is read from /proc."""

from __future__ import annotations

import json
import select
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hookline.api.body_limits import END_USER_LIMIT, MANAGEMENT_LIMIT
from tests.support.server import Server

# The edge of the HTTP server, the same whatever the database.
pytestmark = [pytest.mark.backend_independent, pytest.mark.slow]

MiB = 1024 * 1024
# HOOKLINE_BODY_TIMEOUT of the servers here (10 s by default), so that stalls are quick to see.
IDLE_TIMEOUT = 1.0
# Far below what buffering any of the bodies sent here would take.
RSS_SLACK = 40 * MiB


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("body-limits"), HOOKLINE_BODY_TIMEOUT=str(IDLE_TIMEOUT))
    yield srv.start()
    srv.stop()


def rss(server: Server) -> int:
    assert server.process is not None
    status = Path(f"/proc/{server.process.pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
    return int(line.split()[1]) * 1024


def events_count(server: Server) -> int:
    [(count,)] = server.sql("SELECT count(*) FROM events")
    return count


def connect(server: Server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=IDLE_TIMEOUT + 10)


def read_answer(sock: socket.socket) -> tuple[int, dict[str, str], dict]:
    """The status, headers and JSON body of one response; then the server must close."""
    raw = b""
    while b"\r\n\r\n" not in raw:
        chunk = sock.recv(65536)
        assert chunk, f"closed without an answer: {raw!r}"
        raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode().split("\r\n")
    headers = {k.lower(): v.strip() for k, v in (h.split(":", 1) for h in header_lines)}
    while len(body) < int(headers["content-length"]):
        chunk = sock.recv(65536)
        assert chunk, "closed in the middle of the answer"
        body += chunk
    try:
        # A close with some of the body unread resets the connection.
        assert sock.recv(65536) == b"", "the connection stays open"
    except ConnectionResetError:
        pass
    return int(status_line.split()[1]), headers, json.loads(body)


def assert_still_serving(server: Server) -> None:
    assert httpx.get(f"{server.base}/api/status", timeout=5).status_code == 204
    with server.client() as api:
        response = api.post("/hook-events", json={"event": "User.Created", "payload": {}})
        assert response.status_code == 202, response.text


def test_ingest_of_50_mb_is_refused_and_nothing_stored(server: Server, api: httpx.Client) -> None:
    before, memory = events_count(server), rss(server)
    body = json.dumps({"event": "User.Created", "payload": {"blob": "x" * (50 * MiB)}})
    response = api.post("/hook-events", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 413, response.text
    assert response.json() == {
        "code": "request.payload_too_large",
        "message": "The request body is too large: at most 262144 bytes are accepted.",
    }
    assert events_count(server) == before
    assert rss(server) - memory < RSS_SLACK
    assert_still_serving(server)


def test_the_logto_relay_is_bounded_as_ingest_is(api: httpx.Client) -> None:
    # Refused by its size before anything else: before its signature is checked.
    body = json.dumps({"event": "User.Created", "blob": "x" * (300 * 1024)})
    response = api.post(
        "/hook-events/logto", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413, response.text
    assert response.json()["code"] == "request.payload_too_large"


def test_ingest_below_the_limit_is_accepted(api: httpx.Client) -> None:
    payload = {"blob": "x" * (200 * 1024)}
    response = api.post("/hook-events", json={"event": "User.Created", "payload": payload})
    assert response.status_code == 202, response.text


def test_max_payload_bytes_is_a_setting(tmp_path: Path) -> None:
    server = Server(tmp_path, HOOKLINE_MAX_PAYLOAD_BYTES="1000").start()
    try:
        with server.client() as api:
            small = {"event": "User.Created", "payload": {"blob": "x" * 800}}
            assert api.post("/hook-events", json=small).status_code == 202
            large = {"event": "User.Created", "payload": {"blob": "x" * 1000}}
            response = api.post("/hook-events", json=large)
            assert response.status_code == 413, response.text
            assert "at most 1000 bytes" in response.json()["message"]
    finally:
        server.stop()


def test_declared_200_mb_is_refused_before_the_body(server: Server) -> None:
    """Unauthenticated: the answer comes on the headers alone, and the connection is closed."""
    with connect(server) as sock:
        sock.sendall(
            b"PUT /api/experience HTTP/1.1\r\nhost: hookline\r\n"
            b"content-type: application/json\r\ncontent-length: %d\r\n\r\n{" % (200 * MiB)
        )
        status, headers, body = read_answer(sock)
    assert status == 413
    assert headers["connection"] == "close"
    assert body["code"] == "request.payload_too_large"
    assert f"at most {END_USER_LIMIT} bytes" in body["message"]
    assert_still_serving(server)


def test_chunked_body_is_refused_once_past_the_limit(server: Server) -> None:
    """200 MB offered in chunks: the server answers once it has counted past the limit and
    reads no more, so its memory does not grow with what was offered."""
    memory = rss(server)
    chunk = b"%x\r\n%s\r\n" % (64 * 1024, b" " * 64 * 1024)
    sent = 0
    with connect(server) as sock:
        sock.sendall(
            b"PUT /api/experience HTTP/1.1\r\nhost: hookline\r\n"
            b"content-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
        )
        while sent < 200 * MiB:
            readable, writable, _ = select.select([sock], [sock], [], IDLE_TIMEOUT + 10)
            if readable:
                break  # the answer
            assert writable, "neither an answer nor room to send more"
            sock.sendall(chunk)
            sent += len(chunk)
        status, _, body = read_answer(sock)
    assert status == 413
    assert body["code"] == "request.payload_too_large"
    # What the socket buffers took before the server stopped reading, not the 200 MB.
    assert sent < 40 * MiB
    assert rss(server) - memory < RSS_SLACK
    assert_still_serving(server)


def test_stalled_body_is_answered_408_and_closed(server: Server) -> None:
    with connect(server) as sock:
        sock.sendall(
            b"PUT /api/experience HTTP/1.1\r\nhost: hookline\r\n"
            b"content-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
            b"1\r\n{\r\n"
        )
        started = time.monotonic()
        status, headers, body = read_answer(sock)  # then nothing more is sent
        waited = time.monotonic() - started
    assert status == 408
    assert headers["connection"] == "close"
    assert body["code"] == "request.timeout"
    assert IDLE_TIMEOUT <= waited < IDLE_TIMEOUT + 5  # the sweep runs every quarter of it
    assert_still_serving(server)


def test_slow_body_that_keeps_coming_is_read(server: Server) -> None:
    """The bound is on the gap between chunks, not on the whole body."""
    parts = [b'{"interactionEvent":', b'"SignIn"', b"}"]
    gap = IDLE_TIMEOUT * 0.6
    with connect(server) as sock:
        sock.sendall(
            b"PUT /api/experience HTTP/1.1\r\nhost: hookline\r\nconnection: close\r\n"
            b"content-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
        )
        started = time.monotonic()
        for index, part in enumerate(parts):
            if index:
                time.sleep(gap)  # the pace of a slow client, not a wait for the server
            sock.sendall(b"%x\r\n%s\r\n" % (len(part), part))
        sock.sendall(b"0\r\n\r\n")
        answer = sock.recv(65536)
    assert time.monotonic() - started > IDLE_TIMEOUT
    assert answer.startswith(b"HTTP/1.1 204"), answer


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/hooks"), ("PATCH", "/users/someone/custom-data"), ("PATCH", "/sign-in-exp")],
)
def test_management_bodies_are_bounded(api: httpx.Client, method: str, path: str) -> None:
    body = json.dumps({"customData": {"blob": "x" * MANAGEMENT_LIMIT}})
    response = api.request(method, path, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 413, response.text
    assert response.json()["code"] == "request.payload_too_large"


def test_token_requests_are_bounded(server: Server) -> None:
    response = httpx.post(
        f"{server.base}/oidc/token",
        data={"grant_type": "client_credentials", "client_secret": "x" * END_USER_LIMIT},
    )
    assert response.status_code == 413, response.text
    assert response.json()["code"] == "request.payload_too_large"
