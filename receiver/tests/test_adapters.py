"""The adapters over real HTTP on 127.0.0.1: WSGI under wsgiref, ASGI under uvicorn as a
FastAPI route, and the Django view with Django's request and response duck-typed. Each
verifies, stores, and answers: 204, 401 with the reason, 409 for a conflicting body."""

from __future__ import annotations

import http.client
import json
import socket
import sqlite3
import sys
import threading
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
import uvicorn
from fastapi import FastAPI

from hookline_receiver import Inbox
from hookline_receiver.answer import answer
from hookline_receiver.asgi import webhook_app as asgi_app
from hookline_receiver.django import webhook_view
from hookline_receiver.wsgi import webhook_app as wsgi_app
from inbox_requests import KEY, logto_signed, signed


class Quiet(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def inbox(tmp_path: Path) -> Inbox:
    return Inbox(tmp_path / "inbox.db")


@pytest.fixture
def wsgi_port(inbox: Inbox) -> Iterator[int]:
    server: WSGIServer = make_server(
        "127.0.0.1", 0, wsgi_app(inbox, secrets=[KEY]), handler_class=Quiet
    )
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    server.server_close()


@pytest.fixture
def asgi_port(inbox: Inbox) -> Iterator[int]:
    app = FastAPI()
    app.add_route("/hook", asgi_app(inbox, secrets=[KEY]), methods=["POST"])
    port, stop = serve_asgi(app, lifespan="on")
    yield port
    stop()


def serve_asgi(app: Any, lifespan: str) -> tuple[int, Callable[[], None]]:
    """`app` under uvicorn on 127.0.0.1: its port, and how to stop it."""
    # Bound and listening before uvicorn starts: a request waits in the backlog meanwhile.
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan=lifespan))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()

    def stop() -> None:
        server.should_exit = True
        thread.join(10)
        sock.close()

    return sock.getsockname()[1], stop


def post(port: int, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", "/hook", body, headers)
        response = conn.getresponse()
        payload = response.read()
        return response.status, json.loads(payload) if payload else None
    finally:
        conn.close()


Post = Callable[[bytes, dict[str, str]], tuple[int, Any]]


@pytest.fixture(params=["wsgi", "asgi"])
def send(request: pytest.FixtureRequest) -> Post:
    port = request.getfixturevalue(f"{request.param}_port")
    return lambda body, headers: post(port, body, headers)


def test_a_verified_webhook_is_stored_once_and_answered_204(send: Post, inbox: Inbox) -> None:
    headers = signed(b'{"n":1}', "msg_1", subject="user:u", sequence=1)
    assert send(b'{"n":1}', headers) == (204, None)
    assert send(b'{"n":1}', headers) == (204, None)  # a retry
    event = inbox.claim(lease=60)
    assert event is not None
    assert (event.id, event.body, event.subject, event.sequence) == (
        "msg_1",
        b'{"n":1}',
        "user:u",
        1,
    )
    assert inbox.counts()["pending"] == 1


def test_a_bad_signature_is_answered_401_with_its_reason(send: Post, inbox: Inbox) -> None:
    headers = signed(b'{"n":1}', "msg_1")
    status, body = send(b'{"n":2}', headers)
    assert (status, body["code"]) == (401, "webhook.no_matching_signature")
    status, body = send(b'{"n":1}', signed(b'{"n":1}', "msg_1", timestamp=1_000))
    assert (status, body["code"]) == (401, "webhook.stale")
    status, body = send(b"{}", {})
    assert (status, body["code"]) == (401, "webhook.missing_headers")
    assert inbox.counts()["pending"] == 0


def test_a_known_id_with_another_body_is_answered_409(send: Post, inbox: Inbox) -> None:
    assert send(b"first", signed(b"first", "msg_1"))[0] == 204
    status, body = send(b"second", signed(b"second", "msg_1"))
    assert (status, body["code"]) == (409, "webhook.conflict")
    assert [c.body for c in inbox.conflicts()] == [b"second"]


def test_a_delivery_replayed_under_logtos_signature_alone_is_refused(
    send: Post, inbox: Inbox
) -> None:
    """Logto's signature covers the body alone, with no time: one seen delivery's body would
    pass it forever. hookline always signs with an id and a time, so the adapters refuse it
    unless told to accept it."""
    body = b'{"event":"User.Deleted"}'
    assert send(body, signed(body, "msg_1"))[0] == 204
    status, answered = send(body, logto_signed(body))
    assert (status, answered["code"]) == (401, "webhook.missing_headers")
    # Nor does an id the replayer adds make it new.
    status, _ = send(body, {**logto_signed(body), "webhook-id": "msg_2"})
    assert status == 401
    assert inbox.counts()["pending"] == 1


def logto_allowed(inbox: Inbox, body: bytes, headers: dict[str, str]) -> int:
    return answer(inbox, headers, body, {"secrets": [KEY], "allow_logto": True}).status


def test_accepted_under_logtos_signature_a_webhook_is_known_by_its_body_alone(
    inbox: Inbox,
) -> None:
    """With `allow_logto=True` (a receiver behind Logto itself) a `webhook-id` header is not
    signed: it neither makes an old body new nor takes the id of a delivery to come."""
    body = b'{"event":"User.Deleted"}'
    for msg_id in ("msg_1", "msg_2", "msg_3"):
        assert logto_allowed(inbox, body, {**logto_signed(body), "webhook-id": msg_id}) == 204
    assert logto_allowed(inbox, body, logto_signed(body)) == 204
    event = inbox.claim(lease=60)
    assert event is not None and event.id.startswith("sha256:")
    assert inbox.claim(lease=60) is None  # handled once, whatever the ids
    # An id claimed ahead under Logto's signature leaves the genuine delivery its own.
    upcoming = b'{"event":"User.Created"}'
    old = {**logto_signed(body), "webhook-id": "msg_next"}
    assert logto_allowed(inbox, body, old) == 204
    assert logto_allowed(inbox, upcoming, signed(upcoming, "msg_next")) == 204
    genuine = inbox.claim(lease=60)
    assert genuine is not None and (genuine.id, genuine.body) == ("msg_next", upcoming)
    assert inbox.conflicts() == []


def test_a_future_id_cannot_be_claimed_through_an_adapter(send: Post, inbox: Inbox) -> None:
    seen = b'{"event":"User.Deleted"}'
    assert send(seen, {**logto_signed(seen), "webhook-id": "msg_next"})[0] == 401
    upcoming = b'{"event":"User.Created"}'
    assert send(upcoming, signed(upcoming, "msg_next")) == (204, None)
    assert inbox.conflicts() == []


def test_a_body_shorter_than_announced_is_answered_400(wsgi_port: int) -> None:
    with socket.create_connection(("127.0.0.1", wsgi_port), timeout=10) as sock:
        sock.sendall(b"POST /hook HTTP/1.0\r\nContent-Length: 100\r\n\r\nshort")
        sock.shutdown(socket.SHUT_WR)
        answer = sock.makefile("rb").read()
    assert answer.startswith(b"HTTP/1.0 400 ")
    assert b'"webhook.unreadable"' in answer


def test_a_get_is_answered_405(wsgi_port: int, asgi_port: int) -> None:
    for port in (wsgi_port, asgi_port):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/hook")
        assert conn.getresponse().status == 405
        conn.close()


def test_the_asgi_app_serves_alone(inbox: Inbox) -> None:
    port, stop = serve_asgi(asgi_app(inbox, secrets=[KEY]), lifespan="on")
    try:
        assert post(port, b"x", signed(b"x", "m")) == (204, None)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/anything")
        assert conn.getresponse().status == 405
        conn.close()
    finally:
        stop()
    assert inbox.counts()["pending"] == 1


def test_bad_options_fail_at_set_up(inbox: Inbox) -> None:
    with pytest.raises(ValueError):
        wsgi_app(inbox)  # no key
    with pytest.raises(ValueError):
        asgi_app(inbox, public_keys=["whpk_not-a-key"])
    with pytest.raises(TypeError):
        webhook_view(inbox, secrets=[KEY], secret=KEY)


def test_an_inbox_that_cannot_be_written_answers_503(tmp_path: Path) -> None:
    inbox = Inbox(tmp_path / "inbox.db", busy_timeout=0.05)
    with sqlite3.connect(inbox.path, isolation_level=None) as other:
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        result = answer(inbox, signed(b"x", "m"), b"x", {"secrets": [KEY]})
        other.execute("ROLLBACK")
    assert result.status == 503
    assert json.loads(result.body)["code"] == "webhook.inbox_unavailable"
    # The sender tries again, and it is stored then.
    assert answer(inbox, signed(b"x", "m"), b"x", {"secrets": [KEY]}).status == 204


class DjangoRequest:
    """What the view reads of Django's HttpRequest."""

    def __init__(self, method: str, headers: dict[str, str], body: bytes) -> None:
        self.method, self.headers, self.body = method, headers, body


class DjangoResponse:
    def __init__(self, content: bytes, status: int) -> None:
        self.content, self.status_code, self.headers = content, status, {}

    def __setitem__(self, name: str, value: str) -> None:
        self.headers[name] = value


@pytest.fixture
def django_http(monkeypatch: pytest.MonkeyPatch) -> None:
    """`django.http.HttpResponse`, for a test without Django installed."""
    if "django" not in sys.modules:
        monkeypatch.setitem(sys.modules, "django", types.ModuleType("django"))
    http_module = types.ModuleType("django.http")
    http_module.HttpResponse = DjangoResponse  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "django.http", http_module)


def test_the_django_view_stores_and_answers(inbox: Inbox, django_http: None) -> None:
    view = webhook_view(inbox, secrets=[KEY])
    assert view.csrf_exempt is True  # type: ignore[attr-defined]
    ok = view(DjangoRequest("POST", signed(b"x", "m"), b"x"))
    assert (ok.status_code, ok.content) == (204, b"")
    conflict = view(DjangoRequest("POST", signed(b"y", "m"), b"y"))
    assert conflict.status_code == 409
    assert conflict.headers == {"content-type": "application/json"}
    refused = view(DjangoRequest("POST", signed(b"x", "n"), b"tampered"))
    assert json.loads(refused.content)["code"] == "webhook.no_matching_signature"
    assert view(DjangoRequest("GET", {}, b"")).status_code == 405
    assert inbox.counts() | {"done": 0} == {"pending": 1, "done": 0, "failed": 0, "conflicts": 1}
