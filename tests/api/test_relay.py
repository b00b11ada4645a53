"""`POST /api/hook-events/logto` with the exact bytes and headers of requests a real Logto
sent: verified by their signature, stored once, delivered to hookline's hooks with their own
`hookId` and signatures; a wrong or missing signature stores and delivers nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from tests.support.api import create_hook
from tests.support.receiver import Received, Receiver
from tests.support.server import Server

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).parent.parent / "fixtures"
KEYS = json.loads((FIXTURES / "logto_signing_keys.json").read_text())
CAPTURES = [json.loads(line) for line in (FIXTURES / "logto_captures.jsonl").open()]
# Set by the HTTP client for the request it sends.
HOP_HEADERS = {"host", "content-length", "connection"}
EVENTS = ["User.Created", "User.Deleted"]


def capture(event: str, key: str) -> dict[str, Any]:
    """The first request Logto sent of `event`, signed with the key named `key`."""
    return next(
        c
        for c in CAPTURES
        if c["source"] == "main-run"
        and c["event"] == event
        and c["signature_verified_with_key"] == key
        and c["path"] == "/hook-all"
    )


def send(server: Server, request: dict[str, Any], **replaced: str | None) -> httpx.Response:
    """`request` as Logto sent it, byte for byte; `replaced` headers changed (None: left out)."""
    headers = {name: value for name, value in request["headers"] if name not in HOP_HEADERS}
    for name, value in replaced.items():
        headers.pop(name.replace("_", "-"), None)
        if value is not None:
            headers[name.replace("_", "-")] = value
    return httpx.post(
        f"{server.base}/api/hook-events/logto",
        content=base64.b64decode(request["body_b64"]),
        headers=headers,
    )


def relayed_body(request: dict[str, Any], hook_id: str) -> bytes:
    """Logto's body with the hook's own `hookId` in place of Logto's."""
    raw = base64.b64decode(request["body_b64"])
    logto_hook_id = json.loads(raw)["hookId"]
    return raw.replace(f'"hookId":"{logto_hook_id}"'.encode(), f'"hookId":"{hook_id}"'.encode())


def assert_signed_by(received: Received, hook: dict[str, Any]) -> None:
    key = hook["signingKey"].encode()
    expected = hmac.new(key, received.body, hashlib.sha256).hexdigest()
    assert received.header("logto-signature-sha-256") == expected
    secret = "whsec_" + base64.b64encode(key).decode()
    Webhook(secret).verify(received.body, dict(received.headers))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    keys = f"{KEYS['original']}, {KEYS['after_regenerate']}"  # before and after a rotation
    # Logto's captured requests age: kept forever here, their bodies are never too old.
    srv = Server(
        tmp_path_factory.mktemp("relay"),
        HOOKLINE_LOGTO_SIGNING_KEYS=keys,
        HOOKLINE_RETENTION_DAYS="0",
    ).start()
    yield srv
    srv.stop()


def test_a_logto_webhook_is_stored_once_and_delivered_to_each_hook(
    server: Server, api: httpx.Client, receiver: Receiver
) -> None:
    hooks = [create_hook(api, receiver.url(path), EVENTS) for path in ("/a", "/b")]
    created = capture("User.Created", "original")

    first, again = send(server, created), send(server, created)  # Logto's retry, say
    # The same event from a second Logto webhook: another hookId, signed with its key.
    other = relayed_body(created, "another-logto-webhook")
    signature = hmac.new(KEYS["after_regenerate"].encode(), other, hashlib.sha256).hexdigest()
    twin = {**created, "body_b64": base64.b64encode(other).decode()}
    from_twin = send(server, twin, logto_signature_sha_256=signature)

    assert first.status_code == 202, first.text
    assert again.status_code == 202 and again.json() == first.json()
    assert from_twin.status_code == 202 and from_twin.json() == first.json()
    for hook, path in zip(hooks, ("/a", "/b"), strict=True):
        [received] = receiver.wait_for(1, path)
        assert received.body == relayed_body(created, hook["id"])
        assert_signed_by(received, hook)
        # A hook of hookline's: its own webhook-id, subject and number.
        assert received.header("webhook-id") and received.header("hookline-subject")

    # Refused: a signature of another body, none at all, an unknown key.
    deleted = capture("User.Deleted", "original")
    refusals = [
        send(server, deleted, logto_signature_sha_256=created["signature_header"]),
        send(server, deleted, logto_signature_sha_256=None),
        send(server, deleted, logto_signature_sha_256="zz" * 32),
    ]
    for refused in refusals:
        assert refused.status_code == 401
        assert refused.json()["code"] == "auth.unauthorized"
        assert "logto-signature-sha-256" in refused.json()["message"]

    # The sentinel, signed with the key after Logto's rotation, arrives after anything that
    # the refused requests or the repeated one could have caused.
    sentinel = capture("User.Created", "regenerated")
    assert send(server, sentinel).status_code == 202
    for hook, path in zip(hooks, ("/a", "/b"), strict=True):
        received = receiver.wait_for(2, path)
        assert [r.body for r in received] == [
            relayed_body(created, hook["id"]),
            relayed_body(sentinel, hook["id"]),
        ]
        assert_signed_by(received[1], hook)
    assert len(receiver.requests) == 4
    log = server.log.read_text()
    assert log.count("relayed webhook refused") == 3
    metrics = httpx.get(f"{server.base}/metrics").text
    assert 'hookline_ingest_requests_total{route="/api/hook-events/logto",status="202"} 4.0' in (
        metrics
    )
    assert 'hookline_ingest_requests_total{route="/api/hook-events/logto",status="401"} 3.0' in (
        metrics
    )
    assert created["signature_header"] not in log and KEYS["original"] not in log
    [(stored,)] = server.sql("SELECT count(*) FROM events")
    assert stored == 2  # the relayed one, once, and the sentinel


def test_bad_bodies_are_answered_400_in_logtos_shape(server: Server) -> None:
    key = KEYS["original"].encode()
    for body in (b"not json", b"[]", b'{"event":"No.Such","createdAt":"x"}', b'{"event":1}'):
        signature = hmac.new(key, body, hashlib.sha256).hexdigest()
        response = httpx.post(
            f"{server.base}/api/hook-events/logto",
            content=body,
            headers={"logto-signature-sha-256": signature, "content-type": "application/json"},
        )
        assert response.status_code == 400, body
        assert response.json()["code"] == "guard.invalid_input"


def test_without_keys_the_relay_is_off(tmp_path: Path) -> None:
    server = Server(tmp_path).start()
    try:
        response = send(server, capture("User.Created", "original"))
    finally:
        server.stop()
    assert response.status_code == 404
    assert "HOOKLINE_LOGTO_SIGNING_KEYS" in response.json()["message"]


def test_a_body_older_than_the_retention_period_is_refused(tmp_path: Path) -> None:
    """Its event could have been stored and forgotten since: it would be delivered again."""
    key = KEYS["original"]
    server = Server(tmp_path, HOOKLINE_LOGTO_SIGNING_KEYS=key, HOOKLINE_RETENTION_DAYS="1").start()
    try:
        answers = []
        for created_at in ("2026-01-01T00:00:00.000Z", isoformat_now()):
            body = json.dumps({"event": "User.Created", "createdAt": created_at}).encode()
            signature = hmac.new(key.encode(), body, hashlib.sha256).hexdigest()
            answers.append(
                httpx.post(
                    f"{server.base}/api/hook-events/logto",
                    content=body,
                    headers={"logto-signature-sha-256": signature},
                )
            )
    finally:
        server.stop()
    old, fresh = answers
    assert old.status_code == 400 and "HOOKLINE_RETENTION_DAYS" in old.json()["details"]
    assert fresh.status_code == 202, fresh.text


def isoformat_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
