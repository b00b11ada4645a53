"""For the organization tests: a hook that cleans up, rows written straight into the
server's database, and comparisons with Logto's captured webhook bodies."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from hookline.events.catalog import EVENTS
from tests.support.logto_data import captures
from tests.support.receiver import Receiver
from tests.support.server import Server

# Every event about organizations, their members, roles and scopes, hookline's included.
ORGANIZATION_EVENTS = [event for event in EVENTS if event.startswith("Organization")]


def tag() -> str:
    return uuid.uuid4().hex[:8]


@pytest.fixture
def hook(make_hook: Callable[..., dict[str, Any]], receiver: Receiver) -> dict[str, Any]:
    """A hook on every organization event, deleted after the test."""
    return make_hook(receiver.url(), ORGANIZATION_EVENTS, name="orgs")


def insert_user(server: Server, email: str | None = None) -> str:
    """A user row with the users table's required columns (independent of `/users`)."""
    user_id = uuid.uuid4().hex[:12]
    now = int(time.time() * 1000)
    server.sql(
        "INSERT INTO users (tenant_id, id, primary_email, custom_data, identities, profile,"
        " created_at, updated_at) VALUES ('default', ?, ?, '{}', '{}', '{}', ?, ?)",
        (user_id, email, now, now),
    )
    return user_id


def insert_application(server: Server, app_type: str = "MachineToMachine") -> str:
    app_id = uuid.uuid4().hex[:21]
    server.sql(
        "INSERT INTO applications (tenant_id, id, name, type, created_at)"
        " VALUES ('default', ?, ?, ?, ?)",
        (app_id, f"app-{app_id[:6]}", app_type, int(time.time() * 1000)),
    )
    return app_id


def event_count(server: Server) -> int:
    [(count,)] = server.sql("SELECT count(*) FROM events")
    return count


def fires_nothing(server: Server) -> Callable[[httpx.Response, int, str], None]:
    """Returns a checker: the response has Logto's status and code, and no event was stored."""
    before = event_count(server)

    def check(response: httpx.Response, status: int, code: str) -> None:
        assert response.status_code == status, response.text
        assert response.json()["code"] == code, response.text
        assert event_count(server) == before

    return check


def received(receiver: Receiver, count: int) -> list[dict[str, Any]]:
    """The bodies of the first `count` deliveries, as JSON."""
    return [json.loads(r.body) for r in receiver.wait_for(count)[:count]]


def capture(event: str, route: str) -> dict[str, Any]:
    """Logto 1.37.1's body for `event` fired by `route` ("METHOD /matched/route")."""
    for c in captures():
        body = c.json()
        if c.event == event and f"{body.get('method')} {body.get('matchedRoute')}" == route:
            return body
    raise LookupError((event, route))


def shape(value: Any) -> Any:
    """Keys (in order) and value types, recursively; ids, times and IPs are compared this way."""
    if isinstance(value, dict):
        return [(key, shape(item)) for key, item in value.items()]
    if isinstance(value, list):
        return [shape(item) for item in value[:1]]
    return type(value).__name__


def assert_like(body: dict[str, Any], model: dict[str, Any], extra: tuple[str, ...] = ()) -> None:
    """`body` has the model's keys, order and types (`params` is checked by the tests); `extra`
    keys come right before hookId."""
    expected = [(k, v) for k, v in shape(model) if k not in ("hookId", "params")]
    got = [(k, v) for k, v in shape(body) if k != "params"]
    assert isinstance(body["params"], dict)
    assert list(body) == [k for k in model if k != "hookId"] + list(extra) + ["hookId"], got
    assert got[: len(expected)] == expected


def route_of(body: dict[str, Any]) -> str:
    return f"{body['method']} {body['matchedRoute']}"
