"""The OpenAPI document says what the server does: the Management API takes a bearer token,
each route lists the error statuses it answers (Logto's {code, message} body), never
FastAPI's 422 validation error unless the route sends a 422 itself, and a hook's shape."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from hookline.api.deps import needs_token
from hookline.api.openapi import SENDS_422, Delivery, Hook, HookLog
from hookline.app import create_app
from hookline.config import Settings
from tests.support.api import create_hook, emit, first_log
from tests.support.receiver import Receiver
from tests.support.server import Server

DOCUMENT = create_app(Settings(database_url="sqlite:////nonexistent/never-opened.db")).openapi()
OPERATIONS = [
    (method, path, operation)
    for path, operations in DOCUMENT["paths"].items()
    for method, operation in operations.items()
]


@pytest.mark.backend_independent
def test_the_management_api_declares_its_bearer_token() -> None:
    assert DOCUMENT["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": DOCUMENT["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    for method, path, operation in OPERATIONS:
        if needs_token(path):
            assert operation["security"] == [{"bearerAuth": []}], (method, path)
            assert {"401", "403"} <= set(operation["responses"]), (method, path)
        else:
            assert "security" not in operation and "401" not in operation["responses"], path


@pytest.mark.backend_independent
def test_no_route_lists_422_unless_it_sends_it_and_errors_are_logtos_body() -> None:
    assert "HTTPValidationError" not in json.dumps(DOCUMENT)
    listing = {(m, p) for m, p, op in OPERATIONS if "422" in op["responses"]}
    assert listing == SENDS_422 & {(m, p) for m, p, _ in OPERATIONS}
    error = DOCUMENT["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"code", "message"}
    for method, path, operation in OPERATIONS:
        for status, answer in operation["responses"].items():
            if status >= "400":
                schema = answer["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, status)


def listed(method: str, template: str) -> set[int]:
    return {int(s) for s in DOCUMENT["paths"][template][method]["responses"]}


def test_what_the_server_answers_is_listed(
    server: Server, api: httpx.Client, receiver: Receiver
) -> None:
    hook = create_hook(api, receiver.url())
    role = {"name": f"r-{uuid.uuid4().hex[:8]}", "description": "d"}  # the second one is taken
    answers: list[tuple[str, str, httpx.Response]] = [
        ("get", "/api/hooks/{id}", api.get(f"/hooks/{hook['id']}")),
        ("get", "/api/hooks/{id}", api.get("/hooks/missing")),
        ("post", "/api/hooks", api.post("/hooks", json={"config": {"url": "ftp://x"}})),
        ("get", "/api/hooks", httpx.get(f"{server.base}/api/hooks")),
        ("post", "/api/roles", api.post("/roles", json=role)),
        ("post", "/api/roles", api.post("/roles", json=role)),
    ]
    statuses = [response.status_code for _, _, response in answers]
    assert statuses == [200, 404, 400, 401, 200, 422], statuses
    for method, template, response in answers:
        assert response.status_code in listed(method, template), (method, template, response)
        if response.status_code >= 400:
            assert {"code", "message"} <= set(response.json())


def shaped(model: type[BaseModel], shown: dict[str, Any]) -> None:
    """`shown` has the fields the document declares for `model`, no others, of their types."""
    declared = DOCUMENT["components"]["schemas"][model.__name__]
    assert set(declared["required"]) <= set(shown) <= set(declared["properties"]), shown
    model.model_validate(shown)


def test_hooks_logs_and_deliveries_have_the_declared_shapes(
    api: httpx.Client, receiver: Receiver
) -> None:
    hook = create_hook(api, receiver.url())
    shaped(Hook, hook)
    shaped(Hook, api.get(f"/hooks/{hook['id']}", params={"includeExecutionStats": "1"}).json())
    emit(api, "User.Created", {"data": {"id": "u1"}})
    entry = first_log(api, hook["id"])
    shaped(HookLog, entry)
    assert set(entry["payload"]) <= set(
        DOCUMENT["components"]["schemas"]["AttemptPayload"]["properties"]
    )
    (delivery,) = api.get(f"/hooks/{hook['id']}/deliveries").json()
    shaped(Delivery, delivery)
    for path, model in (("/api/hooks", Hook), ("/api/hooks/{id}/recent-logs", HookLog)):
        listing: Any = DOCUMENT["paths"][path]["get"]["responses"]["200"]
        assert listing["content"]["application/json"]["schema"]["items"] == {
            "$ref": f"#/components/schemas/{model.__name__}"
        }
