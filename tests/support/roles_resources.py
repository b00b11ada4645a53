"""For the roles, resources and applications tests: a hook per test, the webhooks it
receives, and comparison with the bodies real Logto sent (tests/fixtures)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from hookline.events.catalog import MANAGEMENT_API_EVENTS
from tests.support.api import create_hook, emit
from tests.support.logto_data import captures
from tests.support.quiet import settle
from tests.support.receiver import Receiver
from tests.support.server import Server

SENTINEL = "PostSignIn"


class Hooked:
    """One hook subscribed to `events` (+ a sentinel) and what it has received."""

    def __init__(
        self, api: httpx.Client, server: Server, receiver: Receiver, events: list[str]
    ) -> None:
        self.api, self.server, self.receiver = api, server, receiver
        self.path = f"/h-{uuid.uuid4().hex[:8]}"
        self.id = create_hook(api, receiver.url(self.path), [*events, SENTINEL])["id"]
        self.seen = 0

    def next(self, count: int = 1) -> list[dict[str, Any]]:
        """The next `count` webhooks, parsed, in arrival order."""
        got = self.receiver.wait_for(self.seen + count, self.path)
        bodies = [json.loads(r.body) for r in got[self.seen : self.seen + count]]
        self.seen += count
        for body in bodies:
            assert body["hookId"] == self.id
            assert list(body)[-1] == "hookId"
        return bodies

    def one(self) -> dict[str, Any]:
        return self.next(1)[0]

    def assert_nothing(self) -> None:
        """No webhook since the last one seen: a sentinel sent now comes alone. It shows that
        the hook receives what it is sent; `settle` that nothing sent before is still to come
        (see tests/support/quiet.py)."""
        emit(self.api, SENTINEL)
        self.receiver.wait_for(self.seen + 1, self.path)
        settle(self.server, self.id)
        got = [r for r in self.receiver.requests if r.path == self.path][self.seen :]
        bodies = [json.loads(r.body) for r in got]
        assert [body["event"] for body in bodies] == [SENTINEL], bodies
        self.seen += 1


def hook_factory(
    api: httpx.Client, server: Server, receiver: Receiver
) -> Iterator[Callable[[list[str]], Hooked]]:
    """Body of the `subscribe` fixture: hooks for one test, deleted after it."""
    made: list[Hooked] = []

    def make(events: list[str]) -> Hooked:
        made.append(Hooked(api, server, receiver, events))
        return made[-1]

    yield make
    for hooked in made:
        api.delete(f"/hooks/{hooked.id}")


def shape(value: Any) -> Any:
    """Keys in order and value types, with ids, times and addresses left out (all strings)."""
    if isinstance(value, dict):
        return [(key, shape(item)) for key, item in value.items()]
    if isinstance(value, list):
        return [shape(item) for item in value]
    if value is None:
        return "null"
    return type(value).__name__


def logto_capture(event: str, route: str | None = None) -> dict[str, Any]:
    """The first body real Logto 1.37.1 sent for `event` (from `route`, if given).

    Logto adds a `"0"` param (the path tail) on `/roles` routes; hookline does not (a chosen
    divergence), so it is left out here."""
    for capture in captures():
        body = capture.json()
        if capture.source != "main-run" or body["event"] != event:
            continue
        if route is not None and body.get("matchedRoute") != route:
            continue
        body["params"] = {k: v for k, v in body.get("params", {}).items() if k != "0"}
        return body
    raise LookupError(event)


def assert_like_logto(body: dict[str, Any], event: str, route_key: str) -> None:
    """`body` is `event` from `route_key` ("METHOD /route"), shaped as Logto's capture."""
    method, route = route_key.split(" ", 1)
    assert body["event"] == event
    assert f"{body['method']} {body['matchedRoute']}" == route_key
    assert MANAGEMENT_API_EVENTS.get(route_key) == event
    assert shape(body) == shape(logto_capture(event, route)), body


def error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["code"] == code, response.text


def new_resource(api: httpx.Client, **extra: Any) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:8]
    body = {"name": f"API {tag}", "indicator": f"https://{tag}.example.com/api", **extra}
    response = api.post("/resources", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def new_scope(api: httpx.Client, resource_id: str, name: str = "read:x") -> dict[str, Any]:
    response = api.post(
        f"/resources/{resource_id}/scopes", json={"name": name, "description": "Read x"}
    )
    assert response.status_code == 201, response.text
    return response.json()
