"""Synchronous hooks in the console, over plain HTTP against a running server: made with the
form, marked in the list, tried with a dry run against a real receiver on 127.0.0.1 that
denies, refused with a non-Pre event, and their calls' decisions in the recent requests."""

from __future__ import annotations

import html
import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.console.conftest import csrf_of
from tests.support.api import wait_logs
from tests.support.receiver import Receiver, Reply
from tests.support.server import Server

DENIAL = {"action": "deny", "message": "Sign-ups are closed today.", "code": "signup.closed"}


@pytest.fixture
def denying() -> Iterator[Receiver]:
    receiver = Receiver()
    receiver.on("/gate", Reply(200, json.dumps(DENIAL).encode()))
    yield receiver
    receiver.close()


def sync_form(csrf: str, url: str, **fields: Any) -> dict[str, Any]:
    return {
        "csrf": csrf,
        "name": "Gate",
        "url": url,
        "events": ["PreRegister"],
        "mode": "sync",
        "timeout_ms": "2000",
        "on_error": "allow",
        **fields,
    }


def create(admin: httpx.Client, data: dict[str, Any]) -> httpx.Response:
    return admin.post("/console/webhooks/create", data=data)


def page_text(answer: httpx.Response) -> str:
    return html.unescape(answer.text)


def register(server: Server) -> httpx.Response:
    """A registration with a new username up to its submit; the submit's answer."""
    with httpx.Client(base_url=f"{server.base}/api", timeout=30) as client:
        assert client.put("/experience", json={"interactionEvent": "Register"}).status_code == 204
        identifier = {"type": "username", "value": f"u{uuid.uuid4().hex[:10]}"}
        answer = client.post(
            "/experience/verification/new-password-identity",
            json={"identifier": identifier, "password": "C4rol!Passw0rd#Strong"},
        )
        assert answer.status_code == 200, answer.text
        verification = answer.json()["verificationId"]
        identified = client.post(
            "/experience/identification", json={"verificationId": verification}
        )
        assert identified.status_code == 201, identified.text
        return client.post("/experience/submit")


def test_a_sync_hook_made_listed_tried_and_its_denial_logged(
    server: Server, admin: httpx.Client, api: httpx.Client, denying: Receiver
) -> None:
    form = admin.get("/console/webhooks/create")
    assert "Sign-in flow gates" in form.text and "Interaction.Denied" in form.text
    made = create(admin, sync_form(csrf_of(form), denying.url("/gate"), require_signed=""))
    assert made.status_code == 303, made.text
    hook_id = made.headers["location"].split("/webhooks/")[1].split("?")[0]
    try:
        hook = api.get(f"/hooks/{hook_id}").json()
        assert hook["events"] == ["PreRegister"]
        assert hook["config"] == {
            "url": denying.url("/gate"),
            "mode": "sync",
            "timeoutMs": 2000,
            "onError": "allow",
        }
        listed = admin.get("/console/webhooks")
        row = listed.text.split(f'href="/console/webhooks/{hook_id}"')[1].split("</tr>")[0]
        assert '<span class="tag sync">Sync</span>' in row

        # The test payload is a dry run: the receiver's decision, shown on the page.
        settings = admin.get(f"/console/webhooks/{hook_id}")
        assert '<option value="sync" selected>' in settings.text
        tried = admin.post(
            f"/console/webhooks/{hook_id}/test",
            data=sync_form(csrf_of(settings), denying.url("/gate")),
        )
        assert tried.status_code == 200
        result = page_text(tried).split('id="test-result"')[1].split("</div>")[0]
        assert ">deny<" in result and DENIAL["message"] in result and DENIAL["code"] in result
        assert len(denying.wait_for(1, "/gate")) == 1

        # A real registration, denied: the call's decision in the recent requests.
        assert register(server).status_code == 403
        entry = wait_logs(api, hook_id, 1)[0]
        logs = admin.get(f"/console/webhooks/{hook_id}/logs")
        assert '<span class="tag bad decision">deny</span>' in logs.text
        one = admin.get(f"/console/webhooks/{hook_id}/logs/{entry['id']}")
        assert "<dt>Decision</dt>" in one.text and 'id="replay"' not in one.text
    finally:
        api.delete(f"/hooks/{hook_id}")


def test_a_sync_hook_with_a_non_pre_event_is_refused(
    admin: httpx.Client, api: httpx.Client, denying: Receiver
) -> None:
    form = admin.get("/console/webhooks/create")
    data = sync_form(csrf_of(form), denying.url("/gate"), events=["PreSignIn", "User.Created"])
    refused = create(admin, data)
    assert refused.status_code == 400
    assert (
        "Mode: A synchronous hook may only subscribe to PreRegister, PreSignIn and"
        " PreResetPassword." in page_text(refused)
    )
    assert not any(h["name"] == "Gate" for h in api.get("/hooks").json())
