"""The Management API as the tests drive it: hooks, events through the ingest API, and the
logs the dispatcher records after each attempt."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterable
from typing import Any

import httpx

from tests.support.receiver import Receiver
from tests.support.waiting import wait_until


def create_hook(
    api: httpx.Client, url: str, events: Iterable[str] | None = ("User.Created",), **fields: Any
) -> dict[str, Any]:
    """A hook on `url` (asserting 201); `events=None` leaves the field out, for a hook that
    names its one event in the legacy `event` field."""
    body: dict[str, Any] = {"config": {"url": url, **fields.pop("config", {})}, **fields}
    if events is not None:
        body["events"] = list(events)
    response = api.post("/hooks", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def delete_every_hook(api: httpx.Client) -> None:
    """For a server that tests share: a test's hooks go when it ends, and get none of the next
    test's events."""
    for hook in api.get("/hooks").json():
        api.delete(f"/hooks/{hook['id']}")


def emit(
    api: httpx.Client,
    event: str = "User.Created",
    payload: dict[str, Any] | None = None,
    key: str | None = None,
) -> str:
    """An event through `POST /api/hook-events` (asserting 202); returns its id."""
    body: dict[str, Any] = {"event": event, "payload": payload or {}}
    if key is not None:
        body["idempotencyKey"] = key
    response = api.post("/hook-events", json=body)
    assert response.status_code == 202, response.text
    return response.json()["id"]


def recent_logs(api: httpx.Client, hook_id: str, **params: Any) -> list[dict[str, Any]]:
    response = api.get(f"/hooks/{hook_id}/recent-logs", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def wait_logs(
    api: httpx.Client, hook_id: str, count: int, timeout: float = 10.0, **params: Any
) -> list[dict[str, Any]]:
    """Logs are written after the delivery: wait until `count` entries show, and no more."""

    def enough() -> list[dict[str, Any]] | None:
        entries = recent_logs(api, hook_id, **params)
        return entries if len(entries) >= count else None

    entries = wait_until(enough, f"{count} log entries of hook {hook_id}", timeout)
    assert len(entries) == count, entries
    return entries


def first_log(api: httpx.Client, hook_id: str, timeout: float = 10.0) -> dict[str, Any]:
    """The newest log entry, once there is one."""
    return wait_until(lambda: recent_logs(api, hook_id), f"a log of hook {hook_id}", timeout)[0]


def median_lag(api: httpx.Client, receiver: Receiver, timeout: float = 10) -> float:
    """Median seconds from the ingest API's answer to the webhook's arrival, over 10 events
    to the one hook on `receiver`'s default path."""
    emit(api)  # warm the connection pool (and wait for dispatchers that are still starting)
    receiver.wait_for(1, timeout=timeout)
    lags = []
    for n in range(2, 12):
        emit(api)
        answered = time.time()
        lags.append(receiver.wait_for(n)[-1].at - answered)
    return sorted(lags)[len(lags) // 2]


def signature(key: str, body: bytes) -> str:
    """What a receiver computes: lowercase hex HMAC-SHA256 of the raw body."""
    return hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


def links(response: httpx.Response) -> dict[str, dict[str, str]]:
    """`Link` header as {rel: query params of its URL}."""
    return {rel: dict(httpx.URL(link["url"]).params) for rel, link in response.links.items()}


def error_code(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    return response.json()["code"]
