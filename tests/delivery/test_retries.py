"""Failed attempts are retried with backoff, every attempt is logged, and then it stops."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.support.api import create_hook, emit, wait_logs
from tests.support.quiet import settle
from tests.support.receiver import Receiver, Reply
from tests.support.server import Server, free_port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # A short timeout and schedule keep this module quick.
    srv = Server(
        tmp_path_factory.mktemp("retries"),
        HOOKLINE_REQUEST_TIMEOUT="0.5",
        HOOKLINE_RETRY_SCHEDULE="200ms,800ms,3200ms",
    ).start()
    yield srv
    srv.stop()


def results(entries: list[dict]) -> list[tuple[int, str, int | None]]:
    ordered = sorted(entries, key=lambda e: e["payload"]["attempt"])
    return [
        (
            e["payload"]["attempt"],
            e["payload"]["result"],
            e["payload"].get("response", {}).get("statusCode"),
        )
        for e in ordered
    ]


def test_500_is_retried_until_success_with_one_webhook_id(api, receiver: Receiver) -> None:
    receiver.on("/h", Reply(500, b"oops", {}), Reply(500, b"oops", {}), Reply(200))
    hook = create_hook(api, receiver.url("/h"))
    emit(api)
    got = receiver.wait_for(3, "/h")
    assert len({r.header("webhook-id") for r in got}) == 1
    assert len({r.body for r in got}) == 1
    gaps = [b.at - a.at for a, b in zip(got, got[1:], strict=False)]
    # 0.2 s, then 0.8 s, ±20 %; a loaded machine can only make them later, so the upper
    # bounds leave it room.
    assert 0.15 <= gaps[0] < 0.6 and 0.6 <= gaps[1] < 2.0, gaps
    entries = wait_logs(api, hook["id"], 3)
    assert results(entries) == [(1, "Error", 500), (2, "Error", 500), (3, "Success", 200)]
    failed = next(e for e in entries if e["payload"]["attempt"] == 1)["payload"]
    assert failed["response"]["body"] == "oops"
    assert failed["error"].startswith("HTTPError: ")
    assert "500" in failed["error"]
    stats = api.get(f"/hooks/{hook['id']}", params={"includeExecutionStats": "1"}).json()
    assert stats["executionStats"] == {"successCount": 1, "requestCount": 3}


def test_503_with_retry_after_waits_as_asked(api, receiver: Receiver) -> None:
    receiver.on("/h", Reply(503, b"", {"retry-after": "1"}), Reply(204, b"", {}))
    create_hook(api, receiver.url("/h"))
    emit(api)
    first, second = receiver.wait_for(2, "/h")
    assert 0.95 <= second.at - first.at < 1.6


def test_timeouts_are_retried(api, receiver: Receiver) -> None:
    receiver.on("/h", Reply(delay=1.0), Reply(200))
    hook = create_hook(api, receiver.url("/h"))
    emit(api)
    receiver.wait_for(2, "/h")
    entries = wait_logs(api, hook["id"], 2)
    assert results(entries) == [(1, "Error", None), (2, "Success", 200)]
    timed_out = next(e for e in entries if e["payload"]["attempt"] == 1)["payload"]
    assert timed_out["error"].startswith("TimeoutError: ")
    assert "response" not in timed_out


def test_refused_connections_are_retried_then_given_up(api, server: Server) -> None:
    closed = f"http://127.0.0.1:{free_port()}/nobody"
    hook = create_hook(api, closed, config={"retries": 2})
    emit(api)
    entries = wait_logs(api, hook["id"], 3, timeout=5)
    assert [r[:2] for r in results(entries)] == [(1, "Error"), (2, "Error"), (3, "Error")]
    assert all(e["payload"]["error"].startswith("ConnectionError: ") for e in entries)
    # Given up after `retries`: no fourth attempt (one would keep the delivery pending).
    settle(server, hook["id"])
    assert len(api.get(f"/hooks/{hook['id']}/recent-logs").json()) == 3


def test_client_errors_are_not_retried(api, server: Server, receiver: Receiver) -> None:
    receiver.on("/h", Reply(404, b'{"error":"nope"}'))
    hook = create_hook(api, receiver.url("/h"))
    emit(api)
    receiver.wait_for(1, "/h")
    settle(server, hook["id"])
    entries = wait_logs(api, hook["id"], 1)
    assert results(entries) == [(1, "Error", 404)]
    assert entries[0]["payload"]["response"]["body"] == {"error": "nope"}
    assert len(receiver.requests) == 1


def test_hook_disabled_before_its_retry_gets_nothing_more(
    api, server: Server, receiver: Receiver
) -> None:
    receiver.on("/h", Reply(500, b"", {}))
    hook = create_hook(api, receiver.url("/h"))
    emit(api)
    receiver.wait_for(1, "/h")
    api.patch(f"/hooks/{hook['id']}", json={"enabled": False})
    settle(server, hook["id"])  # the retry falls due, and is cancelled rather than sent
    assert len(receiver.requests) == 1
    assert json.loads(receiver.requests[0].body)["hookId"] == hook["id"]


@pytest.fixture(autouse=True)
def _only_this_tests_hooks(api):
    yield
    for hook in api.get("/hooks").json():
        api.delete(f"/hooks/{hook['id']}")
