"""`GET /api/hooks/:id/recent-logs` and `executionStats`, after real deliveries."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from tests.support.api import emit, error_code, links, wait_logs
from tests.support.receiver import Receiver, Reply
from tests.support.server import Server, free_port

DAY_MS = 24 * 3600 * 1000


def logs(api: httpx.Client, hook_id: str, **params) -> httpx.Response:
    response = api.get(f"/hooks/{hook_id}/recent-logs", params=params)
    assert response.status_code == 200, response.text
    return response


def deliver(api: httpx.Client, hook_id: str, count: int, event: str = "Role.Created") -> list[dict]:
    """Emit `count` events one after another (each logged before the next is sent)."""
    for n in range(count):
        emit(api, event, {"data": {"n": n}})
        entries = wait_logs(api, hook_id, n + 1)
    return entries


def test_successful_delivery_log_entry(api: httpx.Client, make_hook, receiver: Receiver) -> None:
    hook = make_hook(receiver.url("/ok"), ["Role.Created"])
    emit(api, "Role.Created", {"data": {"id": "r1"}})
    (sent,) = receiver.wait_for(1, "/ok")
    (entry,) = wait_logs(api, hook["id"], 1)
    assert list(entry) == ["id", "key", "payload", "createdAt"]
    assert entry["key"] == "TriggerHook.Role.Created"
    assert abs(entry["createdAt"] - time.time() * 1000) < 10_000
    payload = entry["payload"]
    assert payload["key"] == "TriggerHook.Role.Created"
    assert payload["result"] == "Success" and payload["hookId"] == hook["id"]
    assert payload["hookRequest"] == {"body": json.loads(sent.body)}
    assert payload["response"] == {"statusCode": 200, "body": {"ok": True}}
    assert "error" not in payload


def test_failed_delivery_keeps_status_raw_body_and_error(
    api: httpx.Client, make_hook, receiver: Receiver
) -> None:
    receiver.on("/fail", Reply(500, b"boom", {"content-type": "text/plain"}))
    hook = make_hook(receiver.url("/fail"), ["Role.Created"], config={"retries": 0})
    emit(api, "Role.Created", {"data": {}})
    (entry,) = wait_logs(api, hook["id"], 1)
    payload = entry["payload"]
    assert payload["result"] == "Error"
    assert payload["response"] == {"statusCode": 500, "body": "boom"}
    assert payload["error"].startswith("HTTPError: {")


def test_network_failure_has_an_error_and_no_response(api: httpx.Client, make_hook) -> None:
    hook = make_hook(
        f"http://127.0.0.1:{free_port()}/down", ["Role.Created"], config={"retries": 0}
    )
    emit(api, "Role.Created", {"data": {}})
    (entry,) = wait_logs(api, hook["id"], 1)
    assert entry["payload"]["result"] == "Error"
    assert "response" not in entry["payload"]
    assert entry["payload"]["error"]


def test_logged_body_is_sanitized_but_the_delivery_is_not(
    api: httpx.Client, make_hook, receiver: Receiver
) -> None:
    hook = make_hook(receiver.url("/s"), ["User.Created"])
    emit(api, "User.Created", {"data": {"name": "n", "customData": {"apiToken": "t0p"}}})
    assert b'"apiToken":"t0p"' in receiver.wait_for(1, "/s")[0].body
    (entry,) = wait_logs(api, hook["id"], 1)
    logged = entry["payload"]["hookRequest"]["body"]["data"]
    assert logged == {"name": "n", "customData": {"apiToken": "******"}}


def test_log_key_filter(api: httpx.Client, make_hook, receiver: Receiver) -> None:
    hook = make_hook(receiver.url("/k"), ["Role.Created", "Role.Deleted"])
    emit(api, "Role.Created", {})
    emit(api, "Role.Deleted", {})
    wait_logs(api, hook["id"], 2)
    response = logs(api, hook["id"], logKey="TriggerHook.Role.Deleted")
    assert [e["key"] for e in response.json()] == ["TriggerHook.Role.Deleted"]
    assert response.headers["Total-Number"] == "1"
    assert links(response)["first"]["logKey"] == "TriggerHook.Role.Deleted"
    assert logs(api, hook["id"], logKey="TriggerHook.User.Created").json() == []


def test_pagination_newest_first(api: httpx.Client, make_hook, receiver: Receiver) -> None:
    hook = make_hook(receiver.url("/p"), ["Role.Created"])
    everything = deliver(api, hook["id"], 3)
    created = [e["createdAt"] for e in everything]
    assert created == sorted(created, reverse=True)
    assert [e["payload"]["hookRequest"]["body"]["data"]["n"] for e in everything] == [2, 1, 0]

    first = logs(api, hook["id"], page=1, page_size=2)
    assert first.headers["Total-Number"] == "3"
    assert [e["id"] for e in first.json()] == [e["id"] for e in everything[:2]]
    rels = links(first)
    assert (rels["first"]["page"], rels["last"]["page"], rels["next"]["page"]) == ("1", "2", "2")
    assert rels["next"]["page_size"] == "2"

    second = logs(api, hook["id"], page=2, page_size=2)
    assert [e["id"] for e in second.json()] == [everything[2]["id"]]
    assert "next" not in links(second) and links(second)["prev"]["page"] == "1"

    default = logs(api, hook["id"])  # pagination is mandatory here: defaults 1 / 20
    assert default.headers["Total-Number"] == "3" and "first" in links(default)


def test_time_window_bounds_are_inclusive(api: httpx.Client, make_hook, receiver: Receiver) -> None:
    hook = make_hook(receiver.url("/w"), ["Role.Created"])
    entries = deliver(api, hook["id"], 3)
    oldest, middle, newest = sorted(e["createdAt"] for e in entries)

    def window(**params) -> list[str]:
        return [e["id"] for e in logs(api, hook["id"], **params).json()]

    def expected(low: int, high: int) -> list[str]:
        return [e["id"] for e in entries if low <= e["createdAt"] <= high]

    assert window(start_time=middle, end_time=middle) == expected(middle, middle) != []
    assert window(start_time=newest) == expected(newest, newest)
    assert window(end_time=oldest) == expected(oldest, oldest)
    assert window(end_time=oldest - 1) == []


def test_default_window_is_24_hours_and_explicit_bounds_replace_it(
    api: httpx.Client, server: Server, make_hook, receiver: Receiver
) -> None:
    hook = make_hook(receiver.url("/old"), ["Role.Created"])
    (recent,) = deliver(api, hook["id"], 1)
    old_at = int(time.time() * 1000) - DAY_MS - 60_000
    server.sql(  # a day-old attempt
        "INSERT INTO logs (id, key, hook_id, delivery_id, event_id, attempt, result,"
        " status_code, response_body, error, duration_ms, created_at)"
        " VALUES ('log_old', 'TriggerHook.Role.Created', ?, 'msg_old', 'evt_old', 1,"
        " 'Success', 200, '{}', NULL, 1.0, ?)",
        (hook["id"], old_at),
    )
    assert [e["id"] for e in logs(api, hook["id"]).json()] == [recent["id"]]
    assert [e["id"] for e in logs(api, hook["id"], start_time=0).json()] == [
        recent["id"],
        "log_old",
    ]
    assert [e["id"] for e in logs(api, hook["id"], end_time=old_at).json()] == ["log_old"]
    stats = api.get(f"/hooks/{hook['id']}", params={"includeExecutionStats": "1"}).json()
    assert stats["executionStats"] == {"successCount": 1, "requestCount": 1}


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"start_time": "yesterday"}, "guard.invalid_input"),
        ({"end_time": "1.5"}, "guard.invalid_input"),
        ({"page_size": 0}, "guard.invalid_input"),
        ({"page": "x"}, "guard.invalid_input"),
        ({"start_time": 2000, "end_time": 1000}, "log.invalid_time_window"),
    ],
)
def test_bad_queries_are_400(api: httpx.Client, make_hook, params: dict, code: str) -> None:
    hook = make_hook("http://127.0.0.1:9/closed", ["Role.Created"])
    assert error_code(api.get(f"/hooks/{hook['id']}/recent-logs", params=params), 400) == code


def test_unknown_hook_has_no_logs(api: httpx.Client) -> None:
    response = logs(api, "does-not-exist")
    assert response.json() == [] and response.headers["Total-Number"] == "0"


def test_execution_stats_count_attempts_and_successes(
    api: httpx.Client, make_hook, receiver: Receiver
) -> None:
    receiver.on("/stats", Reply(200), Reply(500))  # the second and later answers are 500
    hook = make_hook(receiver.url("/stats"), ["Role.Created"], config={"retries": 0})
    other = make_hook(receiver.url("/other"), ["Role.Deleted"])
    deliver(api, hook["id"], 2)
    expected = {"successCount": 1, "requestCount": 2}

    one = api.get(f"/hooks/{hook['id']}", params={"includeExecutionStats": "true"}).json()
    assert one["executionStats"] == expected
    listed = {h["id"]: h for h in api.get("/hooks", params={"includeExecutionStats": "yes"}).json()}
    assert listed[hook["id"]]["executionStats"] == expected
    assert listed[other["id"]]["executionStats"] == {"successCount": 0, "requestCount": 0}
