"""`POST /api/hooks/:id/test`: Logto's fixed fake payloads, signed with the stored key,
sent to the URL and headers of the request body, never logged."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime

import httpx
import pytest

from tests.support.api import emit, error_code, recent_logs, signature
from tests.support.logto_data import logto_captures, logto_exchange
from tests.support.receiver import Receiver, Reply
from tests.support.server import free_port
from tests.support.waiting import wait_until

CAPTURES = {c["event"]: c for c in logto_captures("/hook-test")}


def normalized(raw: bytes) -> str:
    """The body with its per-run values (hook id, send time, user times) blanked out."""
    text = raw.decode()
    text = re.sub(r'"hookId":"[0-9a-z]{21}"', '"hookId":"<id>"', text)
    text = re.sub(r'"createdAt":"[^"]*"', '"createdAt":"<iso>"', text)
    return re.sub(r'"(lastSignInAt|createdAt|updatedAt)":\d+', r'"\1":<ms>', text)


def run_test(api: httpx.Client, hook_id: str, url: str, events: list[str], **headers: str):
    config = {"url": url, "headers": headers} if headers else {"url": url}
    return api.post(f"/hooks/{hook_id}/test", json={"events": events, "config": config})


@pytest.fixture
def hook(make_hook, receiver: Receiver) -> dict:
    """A hook whose stored URL and headers the test endpoint must NOT use."""
    return make_hook(
        receiver.url("/stored"), ["User.Created"], config={"headers": {"x-stored": "1"}}
    )


def test_sends_logtos_test_payloads_byte_for_byte(
    api: httpx.Client, hook: dict, receiver: Receiver
) -> None:
    request = logto_exchange("hooks.test")["request_json"]
    assert set(request["events"]) == set(CAPTURES)
    before = int(time.time() * 1000)
    response = run_test(
        api, hook["id"], receiver.url("/hook-test"), request["events"], **{"x-test": "1"}
    )
    assert response.status_code == 204 and response.content == b""

    received = {json.loads(r.body)["event"]: r for r in receiver.wait_for(2, "/hook-test")}
    assert set(received) == set(CAPTURES)
    for event, got in received.items():
        assert normalized(got.body) == normalized(CAPTURES[event]["body_raw"].encode()), event
        body = json.loads(got.body)
        assert body["hookId"] == hook["id"]
        sent_at = datetime.strptime(body["createdAt"], "%Y-%m-%dT%H:%M:%S.%f%z")
        assert sent_at.tzinfo == UTC and body["createdAt"].endswith("Z")
        assert abs(sent_at.timestamp() * 1000 - before) < 5000
        for field in ("lastSignInAt", "createdAt", "updatedAt") if "user" in body else ():
            assert isinstance(body["user"][field], int) and body["user"][field] >= before


def test_signed_with_the_stored_key_sent_with_the_request_headers(
    api: httpx.Client, hook: dict, receiver: Receiver
) -> None:
    response = run_test(
        api, hook["id"], receiver.url("/elsewhere"), ["PostSignIn"], **{"x-test": "yes"}
    )
    assert response.status_code == 204
    (got,) = receiver.wait_for(1, "/elsewhere")
    assert got.header("logto-signature-sha-256") == signature(hook["signingKey"], got.body)
    assert got.header("user-agent") == "Logto (https://logto.io/)"
    assert got.header("content-type") == "application/json"
    assert got.header("x-test") == "yes"
    assert got.header("x-stored") is None
    assert [r.path for r in receiver.requests] == ["/elsewhere"]


def test_uses_the_key_as_rotated(api: httpx.Client, hook: dict, receiver: Receiver) -> None:
    new_key = api.patch(f"/hooks/{hook['id']}/signing-key").json()["signingKey"]
    assert run_test(api, hook["id"], receiver.url("/t"), ["User.Deleted"]).status_code == 204
    (got,) = receiver.wait_for(1, "/t")
    assert got.header("logto-signature-sha-256") == signature(new_key, got.body)


def test_works_for_disabled_hooks(api: httpx.Client, hook: dict, receiver: Receiver) -> None:
    api.patch(f"/hooks/{hook['id']}", json={"enabled": False})
    assert run_test(api, hook["id"], receiver.url("/t"), ["PostRegister"]).status_code == 204
    assert len(receiver.wait_for(1, "/t")) == 1


def test_endpoint_error_is_422_with_its_status_and_body(
    api: httpx.Client, hook: dict, receiver: Receiver
) -> None:
    receiver.on("/fail", Reply(500, b"boom", {"content-type": "text/plain"}))
    response = run_test(api, hook["id"], receiver.url("/fail"), ["PostSignIn"])
    assert error_code(response, 422) == "hook.endpoint_responded_with_error"
    assert response.json()["message"] == "Endpoint responded with error."
    assert response.json()["data"] == {"responseStatus": 500, "responseBody": "boom"}


def test_one_failing_event_fails_the_call(
    api: httpx.Client, hook: dict, receiver: Receiver
) -> None:
    receiver.on("/half", Reply(), Reply(404, b""))
    response = run_test(api, hook["id"], receiver.url("/half"), ["PostSignIn", "User.Created"])
    assert error_code(response, 422) == "hook.endpoint_responded_with_error"
    assert response.json()["data"] == {"responseStatus": 404, "responseBody": ""}


def test_refused_connection_is_422_send_test_payload_failed(api: httpx.Client, hook: dict) -> None:
    response = run_test(api, hook["id"], f"http://127.0.0.1:{free_port()}/down", ["PostRegister"])
    assert error_code(response, 422) == "hook.send_test_payload_failed"
    assert response.json()["message"].startswith("Failed to send test payload: ")


def test_unknown_hook_is_404(api: httpx.Client, receiver: Receiver) -> None:
    response = run_test(api, "does-not-exist", receiver.url("/t"), ["PostSignIn"])
    assert error_code(response, 404) == "entity.not_exists_with_id"
    assert receiver.requests == []


@pytest.mark.parametrize(
    "body",
    [
        {"events": [], "config": {"url": "http://127.0.0.1:9/x"}},
        {"events": ["Nope"], "config": {"url": "http://127.0.0.1:9/x"}},
        {"events": ["PostSignIn"]},
        {"events": ["PostSignIn"], "config": {"url": "ftp://x"}},
    ],
    ids=["no-events", "unknown-event", "no-config", "ftp-url"],
)
def test_invalid_bodies_are_400(api: httpx.Client, hook: dict, body: dict) -> None:
    assert (
        error_code(api.post(f"/hooks/{hook['id']}/test", json=body), 400) == "guard.invalid_input"
    )


@pytest.mark.parametrize("name", ["content-length", "Transfer-Encoding", "HOST", "Upgrade"])
def test_framing_headers_are_400(
    api: httpx.Client, hook: dict, receiver: Receiver, name: str
) -> None:
    response = run_test(api, hook["id"], receiver.url("/t"), ["User.Created"], **{name: "2"})
    assert error_code(response, 400) == "guard.invalid_input"
    assert receiver.requests == []


def sentinel_of(entry: dict) -> bool:
    return entry["payload"]["hookRequest"]["body"].get("sentinel") is True


def test_test_sends_are_not_logged(api: httpx.Client, hook: dict, receiver: Receiver) -> None:
    receiver.on("/fail", Reply(500))
    assert run_test(api, hook["id"], receiver.url("/ok"), ["User.Created"]).status_code == 204
    assert run_test(api, hook["id"], receiver.url("/fail"), ["User.Created"]).status_code == 422
    # A sentinel: a real delivery after the test sends, logged after its attempt. A test
    # send's entry, written by the request that sent it, would be there beside it by then.
    emit(api, "User.Created", {"sentinel": True})
    sentinel = wait_until(
        lambda: [e for e in recent_logs(api, hook["id"]) if sentinel_of(e)], "the sentinel's log"
    )
    assert recent_logs(api, hook["id"]) == sentinel
    logs = api.get(f"/hooks/{hook['id']}/recent-logs")
    assert logs.headers["Total-Number"] == "1"
    stats = api.get(f"/hooks/{hook['id']}", params={"includeExecutionStats": "1"}).json()
    assert stats["executionStats"] == {"successCount": 1, "requestCount": 1}
