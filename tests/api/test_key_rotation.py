"""`PATCH /api/hooks/:id/signing-key` with a grace period: the new key signs at once, and the
replaced one goes on signing `webhook-signature` beside it until `previousSigningKeyExpiresAt`,
so that receivers verifying with either key (here the reference `standardwebhooks` verifier
and the receiver kit) accept every delivery while they change keys."""

from __future__ import annotations

import base64
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from hookline_receiver import VerificationError, verify
from tests.support.api import emit, error_code, signature
from tests.support.receiver import Received, Receiver
from tests.support.server import Server
from tests.support.waiting import wait_until

DAY_MS = 86_400_000
FIELD = "previousSigningKeyExpiresAt"


def verifies(key: str, got: Received) -> bool:
    """Whether a Standard Webhooks receiver holding `key` accepts the request: the reference
    verifier and the receiver kit, which must agree."""
    secret = "whsec_" + base64.b64encode(key.encode()).decode()
    try:
        Webhook(secret).verify(got.body, dict(got.headers))
        reference = True
    except WebhookVerificationError:
        reference = False
    try:
        kit = verify(dict(got.headers), got.body, secrets=[key], allow_logto=False).scheme == "v1"
    except VerificationError:
        kit = False
    assert kit == reference, f"the kit says {kit}, standardwebhooks {reference}"
    return reference


def rotate(api: httpx.Client, hook_id: str, **body: Any) -> dict[str, Any]:
    """Rotate, with `body` as the JSON body, or with no body at all as Logto's client does."""
    path = f"/hooks/{hook_id}/signing-key"
    response = api.patch(path, json=body) if body else api.patch(path)
    assert response.status_code == 200, response.text
    return response.json()


def deliver(api: httpx.Client, receiver: Receiver, n: int) -> Received:
    """The `n`th delivery to the receiver, of an event emitted now."""
    emit(api, "Role.Created", {"data": {"id": f"r{n}"}})
    return receiver.wait_for(n)[n - 1]


@pytest.fixture
def hook(make_hook, receiver: Receiver) -> dict[str, Any]:
    return make_hook(receiver.url(), ["Role.Created"])


def test_both_keys_verify_during_the_default_grace_period(
    api: httpx.Client, hook: dict, receiver: Receiver
) -> None:
    old_key = hook["signingKey"]
    assert verifies(old_key, deliver(api, receiver, 1))
    before = int(time.time() * 1000)
    rotated = rotate(api, hook["id"])  # no body, as Logto's client sends it
    new_key = rotated["signingKey"]
    assert new_key != old_key
    # HOOKLINE_KEY_GRACE's default, 24 h, up to the next whole second.
    assert before + DAY_MS <= rotated[FIELD] <= int(time.time() * 1000) + DAY_MS + 1000
    assert rotated[FIELD] % 1000 == 0
    assert api.get(f"/hooks/{hook['id']}").json() == rotated
    assert [h for h in api.get("/hooks").json() if h["id"] == hook["id"]] == [rotated]

    got = deliver(api, receiver, 2)
    assert verifies(old_key, got) and verifies(new_key, got)
    entries = got.header("webhook-signature").split(" ")
    assert len(entries) == 2 and all(e.startswith("v1,") for e in entries)
    assert got.header("logto-signature-sha-256") == signature(new_key, got.body)


def test_a_grace_of_zero_swaps_the_key_at_once(
    api: httpx.Client, hook: dict, receiver: Receiver
) -> None:
    rotated = rotate(api, hook["id"], graceSeconds=0)
    assert rotated[FIELD] is None
    got = deliver(api, receiver, 1)
    assert verifies(rotated["signingKey"], got)
    assert not verifies(hook["signingKey"], got)
    assert " " not in got.header("webhook-signature")


def test_a_rotation_in_a_grace_period_keeps_only_the_key_it_replaces(
    api: httpx.Client, hook: dict, receiver: Receiver
) -> None:
    first = hook["signingKey"]
    second = rotate(api, hook["id"], graceSeconds=3600)["signingKey"]
    before = int(time.time() * 1000)
    third = rotate(api, hook["id"], graceSeconds=600)
    assert before + 600_000 <= third[FIELD] <= int(time.time() * 1000) + 601_000
    got = deliver(api, receiver, 1)
    assert verifies(third["signingKey"], got) and verifies(second, got)
    assert not verifies(first, got)
    assert len(got.header("webhook-signature").split(" ")) == 2


def test_the_old_key_stops_signing_when_the_grace_period_ends(
    api: httpx.Client, hook: dict, receiver: Receiver
) -> None:
    rotated = rotate(api, hook["id"], graceSeconds=1)
    assert rotated[FIELD] is not None
    # The hook says when its previous key has stopped signing: the server's clock decides.
    wait_until(
        lambda: api.get(f"/hooks/{hook['id']}").json()[FIELD] is None, "the grace period's end"
    )
    got = deliver(api, receiver, 1)
    assert verifies(rotated["signingKey"], got)
    assert not verifies(hook["signingKey"], got)


def test_test_sends_are_signed_with_both_keys(
    api: httpx.Client, hook: dict, receiver: Receiver
) -> None:
    new_key = rotate(api, hook["id"], graceSeconds=3600)["signingKey"]
    body = {"events": ["PostSignIn"], "config": {"url": receiver.url("/test")}}
    assert api.post(f"/hooks/{hook['id']}/test", json=body).status_code == 204
    (got,) = receiver.wait_for(1, "/test")
    assert verifies(new_key, got) and verifies(hook["signingKey"], got)
    assert got.header("logto-signature-sha-256") == signature(new_key, got.body)


@pytest.mark.parametrize(
    "raw",
    [b"", b"{}", b"null", b'{"graceSeconds":null}'],
    ids=["empty", "no-graceSeconds", "json-null", "null-graceSeconds"],
)
def test_a_body_without_graceSeconds_takes_the_default(
    api: httpx.Client, hook: dict, raw: bytes
) -> None:
    response = api.patch(
        f"/hooks/{hook['id']}/signing-key",
        content=raw,
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 200, response.text
    assert response.json()[FIELD] >= int(time.time() * 1000) + DAY_MS - 60_000


@pytest.mark.parametrize(
    "body",
    [
        {"graceSeconds": -1},
        {"graceSeconds": 1.5},
        {"graceSeconds": 60.0},
        {"graceSeconds": 30 * 86400 + 1},
        {"graceSeconds": 2**70},
        {"graceSeconds": "60"},
        {"graceSeconds": True},
        {"graceSeconds": [60]},
        [60],
        60,
    ],
    ids=[
        "negative",
        "fraction",
        "float",
        "over-30-days",
        "huge",
        "string",
        "boolean",
        "list",
        "array-body",
        "number-body",
    ],
)
def test_bad_grace_is_a_400_and_keeps_the_key(api: httpx.Client, hook: dict, body: object) -> None:
    response = api.patch(f"/hooks/{hook['id']}/signing-key", json=body)
    assert error_code(response, 400) == "guard.invalid_input"
    assert response.json()["message"] == "The request body is invalid."
    assert api.get(f"/hooks/{hook['id']}").json() == hook


@pytest.mark.parametrize("body", [None, {"graceSeconds": 60}], ids=["no-body", "grace"])
def test_rotating_an_unknown_hook_is_404(api: httpx.Client, body: object) -> None:
    response = api.patch("/hooks/does-not-exist/signing-key", json=body)
    assert error_code(response, 404) == "entity.not_exists"


@pytest.mark.slow  # starts a hookline process of its own
def test_hookline_key_grace_sets_the_default(tmp_path: Path) -> None:
    server = Server(tmp_path, HOOKLINE_KEY_GRACE="90s").start()
    try:
        with server.client() as api:
            hook = api.post(
                "/hooks", json={"events": ["Role.Created"], "config": {"url": "http://x"}}
            ).json()
            before = int(time.time() * 1000)
            rotated = rotate(api, hook["id"])
            assert before + 90_000 <= rotated[FIELD] <= int(time.time() * 1000) + 91_000
            assert rotate(api, hook["id"], graceSeconds=5)[FIELD] <= before + 60_000
    finally:
        server.stop()
