"""Deliveries to real receivers: body, headers, both signatures, timing, isolation."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
from standardwebhooks import Webhook

from hookline.sender.signing import standard_secret
from tests.support.api import create_hook, emit, median_lag, wait_logs
from tests.support.quiet import settle
from tests.support.receiver import Receiver, Reply
from tests.support.server import Server


def test_body_is_compact_in_order_and_signed_both_ways(api, receiver: Receiver) -> None:
    hook = create_hook(api, receiver.url(), config={"headers": {"x-tenant": "acme"}})
    emit(api, payload={"userAgent": "ua", "data": {"name": "Zoë", "n": 1}})
    (got,) = receiver.wait_for(1)

    body = json.loads(got.body)
    assert list(body) == ["event", "createdAt", "userAgent", "data", "hookId"]
    assert body["hookId"] == hook["id"]
    assert got.body == json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    assert "Zoë".encode() in got.body

    key = hook["signingKey"]
    expected = hmac.new(key.encode(), got.body, hashlib.sha256).hexdigest()
    assert got.header("logto-signature-sha-256") == expected
    headers = {k.lower(): v for k, v in got.headers}
    Webhook(standard_secret(key)).verify(got.body, headers)
    assert headers["user-agent"] == "Logto (https://logto.io/)"
    assert headers["content-type"] == "application/json"
    assert headers["x-tenant"] == "acme"
    assert headers["webhook-id"].startswith("msg_")


def test_custom_headers_cannot_replace_signatures(api, receiver: Receiver) -> None:
    hook = create_hook(
        api,
        receiver.url(),
        config={"headers": {"logto-signature-sha-256": "forged", "User-Agent": "mine"}},
    )
    emit(api)
    (got,) = receiver.wait_for(1)
    expected = hmac.new(hook["signingKey"].encode(), got.body, hashlib.sha256).hexdigest()
    assert got.header("logto-signature-sha-256") == expected
    assert got.header("user-agent") == "mine"


def test_stored_framing_headers_are_never_sent(api, server: Server, receiver: Receiver) -> None:
    """A hook stored before the API refused these headers still sends its whole body."""
    hook_id, key = "stored-wire-headers", "k" * 32
    wire = {
        "Content-Length": "2",
        "Transfer-Encoding": "chunked",
        "Host": "elsewhere.example",
        "Connection": "close",
        "Keep-Alive": "timeout=1",
        "Proxy-Connection": "close",
        "TE": "trailers",
        "Trailer": "x-late",
        "Upgrade": "websocket",
    }
    config = {"url": receiver.url("/stored"), "headers": {**wire, "x-kept": "yes"}}
    server.sql(
        "INSERT INTO hooks (tenant_id, id, name, events, config, signing_key, created_at)"
        " VALUES ('default', ?, 'stored', ?, ?, ?, ?)",
        (hook_id, json.dumps(["Role.Created"]), json.dumps(config), key, int(time.time() * 1000)),
    )
    server.sql("UPDATE revisions SET value = value + 1 WHERE name = 'hooks'")
    try:
        emit(api, "Role.Created", payload={"data": {"name": "a role of some length"}})
        (got,) = receiver.wait_for(1, "/stored")
        body = json.loads(got.body)
        assert body["hookId"] == hook_id and body["data"]["name"] == "a role of some length"
        assert got.header("content-length") == str(len(got.body))
        assert (
            got.header("logto-signature-sha-256")
            == hmac.new(key.encode(), got.body, hashlib.sha256).hexdigest()
        )
        assert got.header("host") == f"127.0.0.1:{receiver.port}"
        assert got.header("x-kept") == "yes"
        sent = {name.lower() for name, _ in got.headers}
        assert sent.isdisjoint(
            name.lower() for name in wire if name != "Host" and name != "Content-Length"
        )
    finally:
        api.delete(f"/hooks/{hook_id}")


def test_webhook_arrives_within_100ms_of_the_api_response(api, receiver: Receiver) -> None:
    create_hook(api, receiver.url())
    assert median_lag(api, receiver) < 0.1


def test_fan_out_to_every_subscribed_enabled_hook_only(
    api, server: Server, receiver: Receiver
) -> None:
    a = create_hook(api, receiver.url("/a"))
    b = create_hook(api, receiver.url("/b"), events=("User.Created", "User.Deleted"))
    other = create_hook(api, receiver.url("/other"), events=("Role.Created",))
    off = create_hook(api, receiver.url("/off"), enabled=False)
    legacy = api.post(
        "/hooks", json={"event": "User.Created", "config": {"url": receiver.url("/legacy")}}
    )
    assert legacy.status_code == 201
    emit(api)
    receiver.wait_for(1, "/a")
    receiver.wait_for(1, "/b")
    receiver.wait_for(1, "/legacy")
    settle(server, *(hook["id"] for hook in (a, b, other, off, legacy.json())))
    paths = sorted(r.path for r in receiver.requests)
    assert paths == ["/a", "/b", "/legacy"]
    ids = {json.loads(r.body)["hookId"] for r in receiver.requests}
    assert {a["id"], b["id"], legacy.json()["id"]} == ids


def test_redirects_are_not_followed(api, receiver: Receiver) -> None:
    receiver.on("/moved", Reply(302, b"", {"location": receiver.url("/target")}))
    hook = create_hook(api, receiver.url("/moved"), config={"retries": 0})
    emit(api)
    receiver.wait_for(1, "/moved")
    entry = wait_logs(api, hook["id"], 1)[0]
    assert entry["payload"]["result"] == "Error"
    assert entry["payload"]["response"]["statusCode"] == 302
    assert not [r for r in receiver.requests if r.path == "/target"]


def test_a_receivers_cookies_are_not_sent_back(api, receiver: Receiver) -> None:
    """Deliveries carry nothing of one another: a cookie an answer sets goes with no later
    delivery. (By name, not by address: cookies set by an IP address are not kept anyway.)"""
    receiver.on("/cookie", Reply(headers={"set-cookie": "session=abc; Path=/"}))
    url = receiver.url("/cookie").replace("127.0.0.1", "localhost")
    create_hook(api, url)
    emit(api)
    receiver.wait_for(1, "/cookie")
    emit(api)
    first, second = receiver.wait_for(2, "/cookie")
    assert first.header("cookie") is None
    assert second.header("cookie") is None


def test_a_slow_receiver_does_not_delay_the_others(api, receiver: Receiver) -> None:
    receiver.on("/slow", Reply(delay=3))
    create_hook(api, receiver.url("/slow"))
    create_hook(api, receiver.url("/fast"))
    started = time.time()
    for _ in range(20):
        emit(api)
    fast = receiver.wait_for(20, "/fast", timeout=3)
    assert max(r.at for r in fast) - started < 1.5


@pytest.fixture(autouse=True)
def _only_this_tests_hooks(api):
    """Hooks live for one test: delete every hook afterwards so fan-out stays predictable."""
    yield
    for hook in api.get("/hooks").json():
        api.delete(f"/hooks/{hook['id']}")


def test_subscription_changes_apply_to_the_next_event(
    api, server: Server, receiver: Receiver
) -> None:
    hook = create_hook(api, receiver.url(), events=("Role.Created",))
    emit(api, "User.Created")  # routed (to nobody) with the subscriptions as they are now
    api.patch(f"/hooks/{hook['id']}", json={"events": ["User.Created"]})
    emit(api, "User.Created", {"n": 2})
    (got,) = receiver.wait_for(1)
    assert json.loads(got.body)["n"] == 2
    api.patch(f"/hooks/{hook['id']}", json={"enabled": False})
    emit(api, "User.Created", {"n": 3})
    api.patch(f"/hooks/{hook['id']}", json={"enabled": True})
    emit(api, "User.Created", {"n": 4})
    receiver.wait_for(2)
    settle(server, hook["id"])
    assert [json.loads(r.body)["n"] for r in receiver.requests] == [2, 4]


def test_a_backlog_for_a_slow_receiver_does_not_hold_the_others(api, receiver: Receiver) -> None:
    receiver.on("/slow", Reply(delay=3))
    create_hook(api, receiver.url("/slow"), events=("Role.Created",))
    create_hook(api, receiver.url("/fast"))
    for _ in range(300):  # far more than the dispatcher has slots
        emit(api, "Role.Created")
    started = time.time()
    for _ in range(20):
        emit(api)
    fast = receiver.wait_for(20, "/fast", timeout=5)
    assert max(r.at for r in fast) - started < 1.5


def test_an_answer_with_nul_characters_is_recorded_and_holds_up_nothing(
    api, receiver: Receiver
) -> None:
    """PostgreSQL's text refuses NUL: the logged answer has them replaced, and the recording
    of later attempts goes on."""
    receiver.on("/nul", Reply(body=b"ok\x00then\x00"))
    hook = create_hook(api, receiver.url("/nul"))
    emit(api, payload={"seq": 1})
    emit(api, payload={"seq": 2})
    logs = wait_logs(api, hook["id"], 2)
    assert [log["payload"]["result"] for log in logs] == ["Success", "Success"]
    assert logs[0]["payload"]["response"]["body"] == "ok\ufffdthen\ufffd"
