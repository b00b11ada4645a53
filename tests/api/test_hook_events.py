"""`POST /api/hook-events`: validation, idempotency, and which hooks an event reaches."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.support.api import emit, error_code, signature
from tests.support.quiet import settle
from tests.support.receiver import Receiver
from tests.support.server import Server


@pytest.mark.parametrize(
    "body",
    [
        {"event": "User.Nope", "payload": {}},
        {"event": "TriggerHook.User.Created", "payload": {}},
        {"payload": {}},
        {"event": 5, "payload": {}},
        {"event": "User.Created", "payload": []},
        {"event": "User.Created", "payload": "text"},
        {"event": "User.Created", "payload": None},
        {"event": "User.Created", "payload": {"event": "PostSignIn"}},
        {"event": "User.Created", "payload": {"createdAt": "2020-01-01T00:00:00.000Z"}},
        {"event": "User.Created", "payload": {"hookId": "x"}},
        {"event": "User.Created", "payload": {}, "idempotencyKey": ""},
        {"event": "User.Created", "payload": {}, "idempotencyKey": 7},
        {"event": "User.Created", "payload": {}, "idempotencyKey": "k" * 257},
        ["User.Created"],
    ],
    ids=[
        "unknown-event",
        "log-key-as-event",
        "no-event",
        "event-number",
        "payload-list",
        "payload-string",
        "payload-null",
        "reserved-event",
        "reserved-createdAt",
        "reserved-hookId",
        "key-empty",
        "key-number",
        "key-too-long",
        "body-list",
    ],
)
def test_invalid_events_are_400(
    api: httpx.Client, server: Server, make_hook, receiver: Receiver, body
) -> None:
    hook = make_hook(receiver.url("/any"), ["User.Created", "PostSignIn"])
    assert error_code(api.post("/hook-events", json=body), 400) == "guard.invalid_input"
    emit(api, "PostSignIn", {})  # a sentinel: what the hook is sent does arrive
    receiver.wait_for(1, "/any")
    settle(server, hook["id"])
    assert [json.loads(r.body)["event"] for r in receiver.requests] == ["PostSignIn"]


def test_malformed_json_is_400(api: httpx.Client) -> None:
    response = api.post(
        "/hook-events", content=b'{"event":', headers={"content-type": "application/json"}
    )
    assert error_code(response, 400) == "guard.invalid_input"


def test_delivered_body_is_compact_signed_and_ends_with_hook_id(
    api: httpx.Client, make_hook, receiver: Receiver
) -> None:
    hook = make_hook(receiver.url("/d"), ["User.Created"], config={"headers": {"x-tenant": "t1"}})
    payload = {"userAgent": "node", "data": {"id": "u1", "name": "Zoë"}}
    response = api.post("/hook-events", json={"event": "User.Created", "payload": payload})
    assert response.status_code == 202 and list(response.json()) == ["id"]
    (got,) = receiver.wait_for(1, "/d")
    body = json.loads(got.body)
    assert list(body) == ["event", "createdAt", "userAgent", "data", "hookId"]
    assert (body["event"], body["hookId"]) == ("User.Created", hook["id"])
    assert {key: body[key] for key in payload} == payload
    assert got.body == json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    assert got.header("logto-signature-sha-256") == signature(hook["signingKey"], got.body)
    assert got.header("user-agent") == "Logto (https://logto.io/)"
    assert got.header("x-tenant") == "t1"


def test_repeated_idempotency_key_is_delivered_once(
    api: httpx.Client, server: Server, make_hook, receiver: Receiver
) -> None:
    hook = make_hook(receiver.url("/once"), ["User.Created"])
    first = emit(api, "User.Created", {"data": {"n": 1}}, key="user-1-created")
    again = emit(api, "User.Created", {"data": {"n": 2}}, key="user-1-created")
    assert again == first
    emit(api, "User.Created", {"data": {"n": 3}})  # a different event: must arrive
    receiver.wait_for(2, "/once")
    settle(server, hook["id"])
    assert sorted(json.loads(r.body)["data"]["n"] for r in receiver.requests) == [1, 3]


def test_events_reach_only_enabled_hooks_subscribed_to_them(
    api: httpx.Client, server: Server, make_hook, receiver: Receiver
) -> None:
    subscribed = make_hook(receiver.url("/subscribed"), ["Role.Created", "Role.Deleted"])
    legacy = make_hook(receiver.url("/legacy"), event="Role.Created")
    disabled = make_hook(receiver.url("/disabled"), ["Role.Created"])
    other = make_hook(receiver.url("/other-event"), ["Role.Deleted"])
    off = make_hook(receiver.url("/disabled-at-create"), ["Role.Created"], enabled=False)
    assert api.patch(f"/hooks/{disabled['id']}", json={"enabled": False}).json()["enabled"] is False

    emit(api, "Role.Created", {"data": {"id": "r1"}})
    hook_ids = {
        json.loads(receiver.wait_for(1, path)[0].body)["hookId"]
        for path in ("/subscribed", "/legacy")
    }
    assert hook_ids == {subscribed["id"], legacy["id"]}
    settle(server, *(hook["id"] for hook in (subscribed, legacy, disabled, other, off)))
    assert sorted(r.path for r in receiver.requests) == ["/legacy", "/subscribed"]

    api.patch(f"/hooks/{disabled['id']}", json={"enabled": True})
    emit(api, "Role.Created", {"data": {"id": "r2"}})
    assert b'"r2"' in receiver.wait_for(1, "/disabled")[0].body
