"""Helpers shared by the Management API tests: hooks that clean up after themselves,
event emission, polling for logs, signatures, Link headers, the Logto reference data."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

FIXTURES = Path(__file__).parent.parent / "fixtures"


def logto_exchange(name: str) -> dict[str, Any]:
    """One real Logto exchange from api-responses.json (key `hooks_endpoints`)."""
    with (FIXTURES / "logto_api_responses.json").open() as f:
        return json.load(f)["hooks_endpoints"][name]


def logto_captures(path: str) -> list[dict[str, Any]]:
    """Real webhook requests Logto sent to `path`."""
    with (FIXTURES / "logto_captures.jsonl").open() as f:
        return [c for c in map(json.loads, f) if c["path"] == path]


def signature(key: str, body: bytes) -> str:
    """What a receiver computes: lowercase hex HMAC-SHA256 of the raw body."""
    return hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


def links(response: httpx.Response) -> dict[str, dict[str, str]]:
    """`Link` header as {rel: query params of its URL}."""
    return {rel: dict(httpx.URL(link["url"]).params) for rel, link in response.links.items()}


def error_code(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    return response.json()["code"]


@pytest.fixture
def make_hook(api: httpx.Client) -> Iterator[Callable[..., dict[str, Any]]]:
    """Create a hook (asserting 201); every hook made this way is deleted after the test,
    so no test's hooks receive another test's events."""
    created: list[str] = []

    def make(url: str, events: list[str] | None = None, **fields: Any) -> dict[str, Any]:
        body: dict[str, Any] = {"config": {"url": url, **fields.pop("config", {})}, **fields}
        if events is not None:
            body["events"] = events
        response = api.post("/hooks", json=body)
        assert response.status_code == 201, response.text
        created.append(response.json()["id"])
        return response.json()

    yield make
    for hook_id in created:
        api.delete(f"/hooks/{hook_id}")


def emit(api: httpx.Client, event: str, payload: dict[str, Any], key: str | None = None) -> str:
    body: dict[str, Any] = {"event": event, "payload": payload}
    if key is not None:
        body["idempotencyKey"] = key
    response = api.post("/hook-events", json=body)
    assert response.status_code == 202, response.text
    return response.json()["id"]


def wait_logs(
    api: httpx.Client, hook_id: str, count: int, timeout: float = 5.0, **params: Any
) -> list[dict[str, Any]]:
    """Logs are written after the delivery: poll recent-logs until `count` entries show."""
    deadline = time.time() + timeout
    while True:
        response = api.get(f"/hooks/{hook_id}/recent-logs", params=params)
        assert response.status_code == 200, response.text
        if len(response.json()) >= count or time.time() > deadline:
            assert len(response.json()) == count, response.json()
            return response.json()
        time.sleep(0.05)
