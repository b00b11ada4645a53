"""Identity changes made from Python, in a transaction of the caller's, fire the same webhooks
as the same changes made over the Management API."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from hookline.db.engine import make_engine
from hookline.db.unit import unit_of_work
from hookline.events.context import Context
from hookline.identity import users
from hookline.outbox.wakeup import Waker, wake_directory
from tests.support.receiver import Receiver
from tests.support.server import Server

EVENTS = ["User.Created"]


@pytest.fixture
def engine(server: Server) -> Iterator[Engine]:
    engine = make_engine(server.env["HOOKLINE_DATABASE_URL"])
    yield engine
    engine.dispose()


@pytest.fixture
def waker(server: Server) -> Iterator[Waker]:
    waker = Waker(wake_directory(server.env["HOOKLINE_DATABASE_URL"]))
    yield waker
    waker.close()


@pytest.fixture
def hook(api: httpx.Client, receiver: Receiver) -> Iterator[None]:
    response = api.post(
        "/hooks", json={"name": "python", "events": EVENTS, "config": {"url": receiver.url()}}
    )
    assert response.status_code == 201, response.text
    yield
    api.delete(f"/hooks/{response.json()['id']}")


def same_request(http_body: dict[str, Any], route: str, status: int, **params: str) -> Context:
    """The context of `route` as the HTTP client that made `http_body`'s change sent it."""
    context = Context.for_route(route, status, **params)
    return dataclasses.replace(context, ip=http_body["ip"], user_agent=http_body["userAgent"])


def neutral(body: dict[str, Any], varying: dict[str, str]) -> str:
    """The body as JSON, keys in order, with what two equal changes cannot share (ids,
    names, times) replaced by placeholders."""

    def walk(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: walk(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        if key in ("createdAt", "updatedAt"):
            return "<time>"
        return varying.get(value, value) if isinstance(value, str) else value

    return json.dumps(walk(body))


@pytest.mark.usefixtures("hook")
def test_a_user_created_from_python_fires_the_body_http_does(
    api: httpx.Client, receiver: Receiver, engine: Engine, waker: Waker
) -> None:
    over_http = api.post("/users", json={"username": "over_http", "name": "Ada"})
    assert over_http.status_code == 200, over_http.text
    http_body = json.loads(receiver.wait_for(1)[0].body)

    context = same_request(http_body, "POST /users", 200)
    with unit_of_work(engine, waker.notify) as conn:
        from_python = users.create_user(conn, context, {"username": "from_py", "name": "Ada"}, None)
    python_body = json.loads(receiver.wait_for(2)[1].body)

    assert python_body["data"] == from_python
    assert neutral(python_body, {from_python["id"]: "<id>", "from_py": "<username>"}) == neutral(
        http_body, {over_http.json()["id"]: "<id>", "over_http": "<username>"}
    )
