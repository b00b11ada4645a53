"""The kit's local receiver in this process, over real HTTP on 127.0.0.1: what it reads of a
request is bounded as the adapters' bodies are, and Logto's signature alone is refused
unless it is told to accept it."""

from __future__ import annotations

import http.client
import json
import queue
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from hookline_receiver.answer import MAX_BODY
from hookline_receiver.listen import Arrival, Listener
from inbox_requests import KEY, logto_signed, signed

Start = Callable[..., tuple[Listener, "queue.Queue[Arrival]"]]


@pytest.fixture
def start() -> Iterator[Start]:
    started: list[Listener] = []

    def start(**options: Any) -> tuple[Listener, queue.Queue[Arrival]]:
        """A listener on a free port, and the arrivals it shows, as they come."""
        arrivals: queue.Queue[Arrival] = queue.Queue()
        listener = Listener(0, show=arrivals.put, **options)
        threading.Thread(target=listener.serve, daemon=True).start()
        started.append(listener)
        return listener, arrivals

    yield start
    for listener in started:
        listener.stop()


def exchange(port: int, head: bytes) -> tuple[int, dict[str, Any]]:
    """Sends `head` (a request's head, and no body), then reads the answer to the end: the
    status, and the body as JSON."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head)
        answer = b""
        while chunk := sock.recv(65536):  # the receiver closes the connection
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    _, _, body = rest.partition(b"\r\n\r\n")
    return int(status_line.split()[1]), json.loads(body)


@pytest.mark.parametrize(
    ("length", "status", "code"),
    [
        (str(MAX_BODY + 1), 413, "webhook.too_large"),
        ("99999999999999999999", 413, "webhook.too_large"),
        ("-1", 400, "webhook.unreadable"),
        ("ten", 400, "webhook.unreadable"),
    ],
)
def test_a_length_above_the_limit_or_not_a_length_is_refused_unread(
    start: Start, length: str, status: int, code: str
) -> None:
    listener, arrivals = start(secrets=[KEY])
    head = f"POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n".encode()
    answered_status, answered = exchange(listener.port, head)
    assert (answered_status, answered["code"]) == (status, code)
    assert arrivals.empty()  # answered before anything was read: nothing to show


def test_logtos_signature_alone_is_refused_unless_allowed(start: Start) -> None:
    body = b'{"event":"User.Deleted"}'
    listener, arrivals = start(secrets=[KEY])
    assert post(listener, body, signed(body, "msg_1")) == 204
    assert post(listener, body, logto_signed(body)) == 401  # a replay of the body, say
    from_logto, logto_arrivals = start(secrets=[KEY], allow_logto=True)
    assert post(from_logto, body, logto_signed(body)) == 204
    # Each is shown after its answer, by a thread of its own: in either order.
    verdicts = sorted(arrivals.get(timeout=10).verdict for _ in range(2))
    assert verdicts[0].startswith("refused: missing_headers")
    assert verdicts[1] == "verified (v1)"
    assert logto_arrivals.get(timeout=10).verdict == "verified (logto)"


def post(listener: Listener, body: bytes, headers: dict[str, str]) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", listener.port, timeout=10)
    try:
        conn.request("POST", "/hook", body, headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()
