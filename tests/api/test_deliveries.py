"""`GET /api/deliveries`, `GET /api/hooks/:id/deliveries`, and sending deliveries again:
`POST /api/hooks/:id/deliveries/:deliveryId/replay` and `POST /api/hooks/:id/recover`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.api import emit, error_code, links, wait_logs
from tests.support.receiver import Receiver, Reply
from tests.support.server import Server
from tests.support.waiting import wait_until

FIELDS = [
    "id",
    "hookId",
    "event",
    "eventId",
    "status",
    "attempts",
    "createdAt",
    "firstAttemptAt",
    "lastAttemptAt",
    "nextAttemptAt",
    "lastStatusCode",
    "error",
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # A dispatcher process of its own, polling too seldom to pass for a wake-up: what is sent
    # again arrives only if the API wakes it (a datagram on SQLite, NOTIFY on PostgreSQL).
    srv = Server(
        tmp_path_factory.mktemp("deliveries"),
        HOOKLINE_DISPATCHERS="1",
        HOOKLINE_POLL_INTERVAL="60",
    ).start()
    yield srv
    srv.stop()


def deliveries(api: httpx.Client, hook_id: str | None = None, **params: Any) -> httpx.Response:
    path = f"/hooks/{hook_id}/deliveries" if hook_id else "/deliveries"
    response = api.get(path, params=params)
    assert response.status_code == 200, response.text
    return response


def listed(api: httpx.Client, hook_id: str | None = None, **params: Any) -> list[dict[str, Any]]:
    return deliveries(api, hook_id, **params).json()


def settled(api: httpx.Client, hook_id: str, count: int) -> list[dict[str, Any]]:
    """The hook's deliveries once `count` of them are finished (none pending)."""

    def done() -> list[dict[str, Any]] | None:
        items = listed(api, hook_id)
        finished = [item for item in items if item["status"] != "pending"]
        return items if len(finished) >= count else None

    return wait_until(done, f"{count} finished deliveries of hook {hook_id}")


def deliver(api: httpx.Client, hook_id: str, count: int, event: str = "Role.Created") -> list:
    """Emit `count` events one after another, each finished before the next is sent, so that
    their creation times are in order; returns the hook's deliveries, newest first."""
    before = len(listed(api, hook_id))
    for n in range(count):
        emit(api, event, {"data": {"n": n}})
        items = settled(api, hook_id, before + n + 1)
    return items


def replay(api: httpx.Client, hook_id: str, delivery_id: str) -> httpx.Response:
    return api.post(f"/hooks/{hook_id}/deliveries/{delivery_id}/replay")


def webhook_ids(received: list) -> list[str | None]:
    return [r.header("webhook-id") for r in received]


def test_a_failed_delivery_as_listed(api: httpx.Client, make_hook, receiver: Receiver) -> None:
    receiver.on("/fail", Reply(500, b"boom", {"content-type": "text/plain"}))
    hook = make_hook(receiver.url("/fail"), ["Role.Created"], config={"retries": 0})
    event_id = emit(api, "Role.Created", {"data": {}})
    (sent,) = receiver.wait_for(1, "/fail")
    (item,) = settled(api, hook["id"], 1)
    assert list(item) == FIELDS
    assert item["id"] == sent.header("webhook-id")
    assert (item["hookId"], item["event"], item["eventId"]) == (
        hook["id"],
        "Role.Created",
        event_id,
    )
    assert (item["status"], item["attempts"], item["lastStatusCode"]) == ("failed", 1, 500)
    assert item["error"].startswith("HTTPError")
    assert item["nextAttemptAt"] is None
    assert item["createdAt"] <= item["firstAttemptAt"] == item["lastAttemptAt"]
    (log,) = wait_logs(api, hook["id"], 1)
    assert log["payload"]["deliveryId"] == item["id"]
    # The list of every hook has it too.
    assert item in listed(api, event="Role.Created", start_time=item["createdAt"])


def test_filters_by_status_and_event(api: httpx.Client, make_hook, receiver: Receiver) -> None:
    receiver.on("/mixed", Reply(200), Reply(500))  # the first succeeds, the rest fail
    hook = make_hook(
        receiver.url("/mixed"), ["Role.Created", "Role.Deleted"], config={"retries": 0}
    )
    deliver(api, hook["id"], 1, "Role.Created")
    deliver(api, hook["id"], 2, "Role.Deleted")
    items = listed(api, hook["id"])
    assert [i["event"] for i in items] == ["Role.Deleted", "Role.Deleted", "Role.Created"]
    assert [i["status"] for i in items] == ["failed", "failed", "succeeded"]
    succeeded = items[2]
    assert (succeeded["lastStatusCode"], succeeded["error"]) == (200, None)

    def ids(**params: Any) -> list[str]:
        return [i["id"] for i in listed(api, hook["id"], **params)]

    assert ids(status="succeeded") == [succeeded["id"]]
    assert ids(status="failed") == [i["id"] for i in items[:2]]
    assert ids(status="pending") == []
    assert ids(status="cancelled") == []
    assert ids(event="Role.Created") == [succeeded["id"]]
    assert ids(event="Role.Deleted", status="succeeded") == []
    assert ids(event="User.Created") == []
    since = items[-1]["createdAt"]
    everywhere = [i["id"] for i in listed(api, status="failed", start_time=since)]
    assert everywhere[:2] == [i["id"] for i in items[:2]]


def test_pagination_newest_first(api: httpx.Client, make_hook, receiver: Receiver) -> None:
    hook = make_hook(receiver.url("/pages"), ["Role.Created"])
    items = deliver(api, hook["id"], 3)
    created = [i["createdAt"] for i in items]
    assert created == sorted(created, reverse=True)

    first = deliveries(api, hook["id"], page=1, page_size=2)
    assert first.headers["Total-Number"] == "3"
    assert first.json() == items[:2]
    rels = links(first)
    assert (rels["first"]["page"], rels["last"]["page"], rels["next"]["page"]) == ("1", "2", "2")
    assert rels["next"]["page_size"] == "2"
    second = deliveries(api, hook["id"], page=2, page_size=2)
    assert second.json() == items[2:]
    assert "next" not in links(second) and links(second)["prev"]["page"] == "1"
    assert deliveries(api, hook["id"]).headers["Total-Number"] == "3"  # 20 a page unless told

    everywhere = deliveries(api, page_size=1, start_time=created[-1])
    assert int(everywhere.headers["Total-Number"]) >= 3
    assert "next" in links(everywhere)


def test_time_window_bounds_are_inclusive(api: httpx.Client, make_hook, receiver: Receiver) -> None:
    hook = make_hook(receiver.url("/window"), ["Role.Created"])
    items = deliver(api, hook["id"], 3)
    oldest, middle, newest = sorted(i["createdAt"] for i in items)

    def window(**params: Any) -> list[str]:
        return [i["id"] for i in listed(api, hook["id"], **params)]

    def expected(low: int, high: int) -> list[str]:
        return [i["id"] for i in items if low <= i["createdAt"] <= high]

    assert window(start_time=middle, end_time=middle) == expected(middle, middle) != []
    assert window(start_time=newest) == expected(newest, newest)
    assert window(end_time=oldest) == expected(oldest, oldest)
    assert window(end_time=oldest - 1) == []


def test_replay_sends_the_same_delivery_again_and_logs_the_attempt(
    api: httpx.Client, make_hook, receiver: Receiver
) -> None:
    receiver.on("/replay", Reply(500))
    hook = make_hook(receiver.url("/replay"), ["Role.Created"], config={"retries": 0})
    emit(api, "Role.Created", {"data": {"n": 1}})
    (failed,) = settled(api, hook["id"], 1)
    assert failed["status"] == "failed"

    receiver.on("/replay", Reply(200))
    answer = replay(api, hook["id"], failed["id"])
    assert (answer.status_code, answer.json()) == (202, {"id": failed["id"]})
    first, again = receiver.wait_for(2, "/replay")
    assert webhook_ids([first, again]) == [failed["id"], failed["id"]]
    assert again.body == first.body

    newest, oldest = wait_logs(api, hook["id"], 2)
    assert (oldest["payload"]["result"], newest["payload"]["result"]) == ("Error", "Success")
    assert newest["payload"]["deliveryId"] == failed["id"]
    assert newest["payload"]["attempt"] == 2
    (item,) = listed(api, hook["id"])  # finished: its row is written with the log's
    assert (item["status"], item["attempts"], item["lastStatusCode"]) == ("succeeded", 2, 200)
    assert item["error"] is None and item["firstAttemptAt"] == failed["firstAttemptAt"]
    assert item["lastAttemptAt"] >= failed["lastAttemptAt"]

    # A delivery that succeeded may be sent again too.
    assert replay(api, hook["id"], failed["id"]).status_code == 202
    assert webhook_ids(receiver.wait_for(3, "/replay"))[2] == failed["id"]
    wait_logs(api, hook["id"], 3)


def test_replay_of_a_pending_delivery_is_409(
    api: httpx.Client, make_hook, receiver: Receiver
) -> None:
    receiver.on("/slow", Reply(delay=2.0))
    hook = make_hook(receiver.url("/slow"), ["Role.Created"])
    emit(api, "Role.Created", {})
    receiver.wait_for(1, "/slow")  # the attempt is under way: the delivery is leased
    (item,) = listed(api, hook["id"])
    assert item["status"] == "pending" and item["nextAttemptAt"] is not None
    assert listed(api, hook["id"], status="pending") == [item]
    assert error_code(replay(api, hook["id"], item["id"]), 409) == "delivery.pending"
    (done,) = settled(api, hook["id"], 1)
    assert done["status"] == "succeeded"
    assert replay(api, hook["id"], item["id"]).status_code == 202


def test_recover_sends_again_the_failed_deliveries_of_the_window(
    api: httpx.Client, make_hook, receiver: Receiver
) -> None:
    # Fail, fail, succeed, fail; until recovered.
    receiver.on("/recover", Reply(500), Reply(500), Reply(200), Reply(500))
    hook = make_hook(receiver.url("/recover"), ["Role.Created"], config={"retries": 0})
    newest, succeeded, second, first = deliver(api, hook["id"], 4)
    assert [d["status"] for d in (first, second, succeeded, newest)] == [
        "failed",
        "failed",
        "succeeded",
        "failed",
    ]
    receiver.on("/recover", Reply(200))

    def recover(**body: int) -> int:
        response = api.post(f"/hooks/{hook['id']}/recover", json=body)
        assert response.status_code == 202, response.text
        return response.json()["count"]

    assert recover(since=second["createdAt"], until=second["createdAt"]) == 1
    assert webhook_ids(receiver.wait_for(5, "/recover")[4:]) == [second["id"]]
    wait_logs(api, hook["id"], 5)
    assert recover(since=first["createdAt"]) == 2  # no `until`: up to now
    resent = webhook_ids(receiver.wait_for(7, "/recover")[5:])
    assert sorted(resent) == sorted([first["id"], newest["id"]])
    wait_logs(api, hook["id"], 7)
    assert recover(since=0) == 0  # nothing failed is left
    outcomes = {i["id"]: (i["status"], i["attempts"]) for i in listed(api, hook["id"])}
    assert outcomes == {
        first["id"]: ("succeeded", 2),
        second["id"]: ("succeeded", 2),
        succeeded["id"]: ("succeeded", 1),
        newest["id"]: ("succeeded", 2),
    }


def test_unknown_hooks_and_deliveries_are_404(
    api: httpx.Client, make_hook, receiver: Receiver
) -> None:
    hook = make_hook(receiver.url("/known"), ["Role.Created"])
    other = make_hook(receiver.url("/other"), ["Role.Deleted"])
    emit(api, "Role.Created", {})
    (item,) = settled(api, hook["id"], 1)

    assert error_code(api.get("/hooks/no-such-hook/deliveries"), 404) == "entity.not_exists_with_id"
    for answer in (
        replay(api, "no-such-hook", item["id"]),
        replay(api, hook["id"], "msg_no_such_delivery"),
        replay(api, other["id"], item["id"]),  # a delivery of another hook
        api.post("/hooks/no-such-hook/recover", json={"since": 0}),
    ):
        assert error_code(answer, 404) == "entity.not_exists_with_id"
    assert listed(api, other["id"]) == []


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"status": "delivered"}, "guard.invalid_input"),
        ({"start_time": "yesterday"}, "guard.invalid_input"),
        ({"end_time": "1.5"}, "guard.invalid_input"),
        ({"start_time": str(2**60)}, "guard.invalid_input"),
        ({"page_size": 0}, "guard.invalid_input"),
        ({"page": "x"}, "guard.invalid_input"),
        ({"start_time": 2000, "end_time": 1000}, "delivery.invalid_time_window"),
    ],
)
def test_bad_queries_are_400(api: httpx.Client, make_hook, params: dict, code: str) -> None:
    hook = make_hook("http://127.0.0.1:9/closed", ["Role.Created"])
    assert error_code(api.get(f"/hooks/{hook['id']}/deliveries", params=params), 400) == code
    assert error_code(api.get("/deliveries", params=params), 400) == code


@pytest.mark.parametrize(
    "body",
    [
        b"{}",
        b'{"since": "0"}',
        b'{"since": 1.5}',
        b'{"since": true}',
        b'{"since": null}',
        b'{"since": 0, "until": null}',
        b'{"since": 2, "until": 1}',
        b'{"since": 100000000000000000000}',
        b"[]",
        b'{"since": 0',
    ],
)
def test_bad_recover_bodies_are_400(api: httpx.Client, make_hook, body: bytes) -> None:
    hook = make_hook("http://127.0.0.1:9/closed", ["Role.Created"])
    response = api.post(
        f"/hooks/{hook['id']}/recover", content=body, headers={"content-type": "application/json"}
    )
    assert error_code(response, 400) == "guard.invalid_input"
    assert isinstance(response.json()["message"], str)


def test_every_route_needs_a_token(server: Server) -> None:
    for method, path in [
        ("GET", "/api/deliveries"),
        ("GET", "/api/hooks/x/deliveries"),
        ("POST", "/api/hooks/x/deliveries/y/replay"),
        ("POST", "/api/hooks/x/recover"),
    ]:
        response = httpx.request(method, f"{server.base}{path}", json={"since": 0})
        assert error_code(response, 401) == "auth.authorization_header_missing"
