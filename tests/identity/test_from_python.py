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
from hookline.identity import organizations, roles, users
from hookline.outbox.wakeup import Waker, wake_directory
from tests.support.receiver import Received, Receiver
from tests.support.server import Server

EVENTS = ["User.Created", "Role.Created", "Organization.Created"]


@pytest.fixture
def server_engine(server: Server) -> Iterator[Engine]:
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


def in_event_order(received: list[Received]) -> list[dict[str, Any]]:
    """One hook's deliveries may be sent side by side, so arrive in any order."""
    bodies = [json.loads(got.body) for got in received]
    return sorted(bodies, key=lambda body: EVENTS.index(body["event"]))


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
def test_a_user_role_and_organization_created_from_python_fire_the_bodies_http_does(
    api: httpx.Client, receiver: Receiver, server_engine: Engine, waker: Waker
) -> None:
    over_http = [
        api.post("/users", json={"username": "over_http", "name": "Ada"}),
        api.post("/roles", json={"name": "http-role", "description": "Reads"}),
        api.post("/organizations", json={"name": "HTTP Org", "description": "One"}),
    ]
    assert all(answer.status_code in (200, 201) for answer in over_http), over_http
    http_bodies = in_event_order(receiver.wait_for(3))
    assert [body["event"] for body in http_bodies] == EVENTS

    def like(index: int, route: str, status: int) -> Context:
        """The context of `route` as the HTTP client that made the change sent it."""
        body = http_bodies[index]
        context = Context.for_route(route, status)
        return dataclasses.replace(context, ip=body["ip"], user_agent=body["userAgent"])

    # One transaction of the caller's holds the three changes and their events.
    with unit_of_work(server_engine, waker.notify) as conn:
        from_python = [
            users.create_user(
                conn, like(0, "POST /users", 200), {"username": "from_py", "name": "Ada"}, None
            ),
            roles.create_role(
                conn, like(1, "POST /roles", 200), "py-role", "Reads", "User", False, None
            ),
            organizations.create_organization(
                conn,
                like(2, "POST /organizations", 201),
                {"name": "Python Org", "description": "One"},
            ),
        ]
    python_bodies = in_event_order(receiver.wait_for(6)[3:])

    http_names = {"over_http": "<name>", "http-role": "<name>", "HTTP Org": "<name>"}
    python_names = {"from_py": "<name>", "py-role": "<name>", "Python Org": "<name>"}
    for http_answer, http_body, made, python_body in zip(
        over_http, http_bodies, from_python, python_bodies, strict=True
    ):
        assert python_body["data"] == made
        assert neutral(python_body, {made["id"]: "<id>", **python_names}) == neutral(
            http_body, {http_answer.json()["id"]: "<id>", **http_names}
        )
