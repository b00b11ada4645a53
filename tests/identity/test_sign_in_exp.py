"""`/api/sign-in-exp`: Logto's settings object, validated, and firing nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.support.api import emit
from tests.support.logto_data import FIXTURES
from tests.support.quiet import settle
from tests.support.receiver import Receiver
from tests.support.server import Server


def logto_patches() -> list[dict[str, Any]]:
    calls = json.loads((FIXTURES / "logto_api_responses.json").read_text())
    return [
        c
        for c in calls["all_management_api_calls"]
        if c["method"] == "PATCH" and c["path"] == "/sign-in-exp"
    ]


@pytest.fixture
def hook(make_hook: Callable[..., dict[str, Any]], receiver: Receiver) -> dict[str, Any]:
    return make_hook(receiver.url(), ["User.Created", "User.Data.Updated"], name="all")


def test_answers_match_logto(api: httpx.Client) -> None:
    for call in logto_patches():
        response = api.patch("/sign-in-exp", json=call["request_json"])
        assert response.status_code == 200, response.text
        body = response.json()
        extension = body.pop("messageRateLimitPolicy")
        assert extension == {}
        assert body == call["response"]
    got = api.get("/sign-in-exp")
    assert got.status_code == 200
    assert list(got.json())[:-1] == list(logto_patches()[-1]["response"])


def test_patch_keeps_the_other_keys_and_fills_nested_defaults(api: httpx.Client) -> None:
    body = api.patch(
        "/sign-in-exp",
        json={
            "passwordPolicy": {"length": {"min": 10}, "characterTypes": {"min": 3}},
            "sentinelPolicy": {"maxAttempts": 7},
            "messageRateLimitPolicy": {"sendWindow": 60},
            "signInMode": "SignIn",
            "unknownKey": 1,
        },
    ).json()
    assert body["passwordPolicy"] == {
        "length": {"min": 10, "max": 256},
        "characterTypes": {"min": 3},
    }
    assert body["sentinelPolicy"] == {"maxAttempts": 7}
    assert body["messageRateLimitPolicy"] == {"sendWindow": 60}
    assert "unknownKey" not in body
    assert api.get("/sign-in-exp").json() == body
    # Register is refused while the mode is sign-in only.
    with httpx.Client(base_url=api.base_url) as anonymous:
        response = anonymous.put("/experience", json={"interactionEvent": "Register"})
        assert response.status_code == 403 and response.json()["code"] == "auth.forbidden"
    api.patch(
        "/sign-in-exp",
        json={
            "passwordPolicy": {},
            "sentinelPolicy": {},
            "messageRateLimitPolicy": {},
            "signInMode": "SignInAndRegister",
        },
    )


@pytest.mark.parametrize(
    "body",
    [
        {"sentinelPolicy": {"maxAttempts": 0}},
        {"sentinelPolicy": {"lockoutDuration": "60"}},
        {"sentinelPolicy": []},
        {"passwordPolicy": {"length": {"min": 20, "max": 10}}},
        {"passwordPolicy": {"characterTypes": {"min": 5}}},
        {"passwordPolicy": {"rejects": {"words": [""]}}},
        {"signInMode": "Anything"},
        {"signUp": {"identifiers": ["fax"], "password": True, "verify": False}},
        {"signIn": {"methods": [{"identifier": "username"}]}},
        {"messageRateLimitPolicy": {"maxSendsPerRecipient": -1}},
        {"hideLogtoBranding": "yes"},
    ],
)
def test_invalid_values_answer_guard_invalid_input(api: httpx.Client, body: dict[str, Any]) -> None:
    before = api.get("/sign-in-exp").json()
    response = api.patch("/sign-in-exp", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "guard.invalid_input"
    assert api.get("/sign-in-exp").json() == before


def test_needs_a_token_and_fires_nothing(
    server: Server, api: httpx.Client, hook: dict[str, Any], receiver: Receiver
) -> None:
    response = httpx.get(f"{server.base}/api/sign-in-exp")
    assert response.status_code == 401
    response = httpx.patch(f"{server.base}/api/sign-in-exp", json={"sentinelPolicy": {}})
    assert response.status_code == 401
    assert api.patch("/sign-in-exp", json={"sentinelPolicy": {"maxAttempts": 5}}).status_code == 200
    assert api.patch("/sign-in-exp", json={"sentinelPolicy": {}}).status_code == 200
    emit(api, "User.Created")  # a sentinel: what the hook is sent does arrive
    receiver.wait_for(1)
    settle(server, hook["id"])
    assert [json.loads(r.body)["event"] for r in receiver.requests] == ["User.Created"]
