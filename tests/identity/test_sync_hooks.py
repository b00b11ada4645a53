"""Synchronous hooks over HTTP: a real server, sign-in flows through the Experience API, and
real receivers on 127.0.0.1 that allow, deny, patch, sign or never answer."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hookline.sender.signing import standard_signature
from tests.support.api import recent_logs, wait_logs
from tests.support.receiver import Received, Receiver, Reply
from tests.support.server import Server

PASSWORD = "C4rol!Passw0rd#Strong"
ALLOW = Reply(200, b'{"action":"allow"}')
Decide = Callable[[Received], Reply]


class Gate(Receiver):
    """A receiver whose answer `decide` gives from the request (body and headers)."""

    def __init__(self, decide: Decide) -> None:
        super().__init__()
        self.decide = decide

    def reply_to(self, request: Received) -> Reply:
        return self.decide(request)


@pytest.fixture
def gates() -> Iterator[Callable[[Decide], Gate]]:
    opened: list[Gate] = []

    def open_gate(decide: Decide) -> Gate:
        opened.append(Gate(decide))
        return opened[-1]

    yield open_gate
    for gate in opened:
        gate.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("sync-hooks")
    srv = Server(data, HOOKLINE_MESSAGE_OUTBOX=str(data / "messages.jsonl")).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module", autouse=True)
def email_sign_up(api: httpx.Client) -> Iterator[None]:
    """Register with an email and a password, unverified (codes are another test's)."""
    body = {"signUp": {"identifiers": ["email"], "password": True, "verify": False}}
    assert api.patch("/sign-in-exp", json=body).status_code == 200
    yield
    body = {"signUp": {"identifiers": ["username"], "password": True, "verify": False}}
    api.patch("/sign-in-exp", json=body)


def sync_hook(
    make_hook: Callable[..., dict[str, Any]], url: str, events: list[str], **config: Any
) -> dict[str, Any]:
    return make_hook(url, events, config={"mode": "sync", **config})


def email(domain: str = "fine.test") -> str:
    return f"u{uuid.uuid4().hex[:10]}@{domain}"


def body_of(request: Received) -> dict[str, Any]:
    return json.loads(request.body)


def register(server: Server, address: str) -> httpx.Response:
    """A registration up to its submit; the submit's answer."""
    with httpx.Client(base_url=f"{server.base}/api", timeout=30) as client:
        assert client.put("/experience", json={"interactionEvent": "Register"}).status_code == 204
        identifier = {"type": "email", "value": address}
        answer = client.post(
            "/experience/verification/new-password-identity",
            json={"identifier": identifier, "password": PASSWORD},
        )
        assert answer.status_code == 200, answer.text
        verification = answer.json()["verificationId"]
        identified = client.post(
            "/experience/identification", json={"verificationId": verification}
        )
        assert identified.status_code == 201, identified.text
        return client.post("/experience/submit")


def sign_in(server: Server, address: str, password: str = PASSWORD) -> httpx.Response:
    """A sign-in up to its submit; the submit's answer, or the password check's if it fails."""
    with httpx.Client(base_url=f"{server.base}/api", timeout=30) as client:
        assert client.put("/experience", json={"interactionEvent": "SignIn"}).status_code == 204
        answer = client.post(
            "/experience/verification/password",
            json={"identifier": {"type": "email", "value": address}, "password": password},
        )
        if answer.status_code != 200:
            return answer
        verification = answer.json()["verificationId"]
        identified = client.post(
            "/experience/identification", json={"verificationId": verification}
        )
        assert identified.status_code == 204, identified.text
        return client.post("/experience/submit")


def users_with(server: Server, address: str) -> list[tuple[Any, ...]]:
    return server.sql("SELECT id, name FROM users WHERE primary_email = ?", (address,))


def deny_domain(request: Received) -> Reply:
    if body_of(request)["user"]["primaryEmail"].endswith("@blocked.test"):
        denial = {
            "action": "deny",
            "message": "Sign-ups from this domain are closed.",
            "code": "domain.blocked",
            "field": "/email",
        }
        return Reply(200, json.dumps(denial).encode())
    return Reply(204, b"")


def test_a_receiver_denies_registrations_from_one_email_domain(
    server: Server,
    api: httpx.Client,
    make_hook: Callable[..., dict[str, Any]],
    gates: Callable[[Decide], Gate],
    receiver: Receiver,
) -> None:
    gate = gates(deny_domain)
    hook = sync_hook(make_hook, gate.url(), ["PreRegister"])
    watcher = make_hook(receiver.url(), ["Interaction.Denied", "PreRegister", "User.Created"])

    blocked = email("blocked.test")
    denied = register(server, blocked)
    assert denied.status_code == 403, denied.text
    assert denied.json() == {
        "code": "domain.blocked",
        "message": "Sign-ups from this domain are closed.",
        "field": "/email",
    }
    assert users_with(server, blocked) == []

    asked = body_of(gate.wait_for(1)[0])
    assert asked["event"] == "PreRegister" and asked["interactionEvent"] == "Register"
    assert asked["user"]["primaryEmail"] == blocked and asked["user"]["id"] is None
    assert asked["hookId"] == hook["id"]
    assert "password" not in gate.requests[0].body.decode().lower()

    # The asynchronous hook is told of the moment and of the refusal, never of a password.
    told = {body_of(r)["event"]: r for r in receiver.wait_for(2)}
    assert set(told) == {"PreRegister", "Interaction.Denied"}
    refusal = body_of(told["Interaction.Denied"])
    assert refusal["hook"] == {"id": hook["id"]} and refusal["moment"] == "PreRegister"
    assert refusal["interactionEvent"] == "Register"
    assert refusal["reason"]["code"] == "domain.blocked" and refusal["reason"]["field"] == "/email"
    assert "password" not in told["Interaction.Denied"].body.decode().lower()
    assert body_of(told["PreRegister"])["sessionId"] == asked["sessionId"]

    allowed = email()
    assert register(server, allowed).status_code == 200
    assert len(users_with(server, allowed)) == 1
    # Sent in parallel: in either order.
    later = {body_of(r)["event"]: body_of(r) for r in receiver.wait_for(4)[2:]}
    assert set(later) == {"PreRegister", "User.Created"}
    assert later["User.Created"]["data"]["primaryEmail"] == allowed

    entries = wait_logs(api, hook["id"], 2)
    decisions = [e["payload"]["decision"] for e in entries]
    assert decisions == [
        {"action": "allow", "reason": "answer"},
        {"action": "deny", "reason": "answer"},
    ]
    assert entries[1]["payload"]["hookRequest"]["body"]["user"]["primaryEmail"] == blocked
    assert all(e["key"] == "TriggerHook.PreRegister" for e in entries)
    stats = api.get(f"/hooks/{hook['id']}", params={"includeExecutionStats": True})
    assert stats.json()["executionStats"] == {"successCount": 2, "requestCount": 2}
    assert watcher["id"] not in {e["payload"]["hookId"] for e in entries}


def test_a_receiver_adds_custom_data_at_registration(
    server: Server,
    api: httpx.Client,
    make_hook: Callable[..., dict[str, Any]],
    gates: Callable[[Decide], Gate],
    receiver: Receiver,
) -> None:
    patch = {"customData": {"plan": "gold"}, "name": "Ann", "primaryEmail": "no@no.test"}
    gate = gates(lambda _: Reply(200, json.dumps({"action": "allow", "patch": patch}).encode()))
    sync_hook(make_hook, gate.url(), ["PreRegister"])
    make_hook(receiver.url(), ["User.Created"])
    address = email()
    assert register(server, address).status_code == 200
    [(user_id, name)] = users_with(server, address)
    assert name == "Ann"
    stored = api.get(f"/users/{user_id}").json()
    assert stored["customData"] == {"plan": "gold"} and stored["primaryEmail"] == address
    created = body_of(receiver.wait_for(1)[0])
    assert created["data"]["customData"] == {"plan": "gold"} and created["data"]["name"] == "Ann"


@pytest.mark.parametrize("on_error", ["deny", "allow"])
def test_a_receiver_that_never_answers_meets_the_deadline(
    server: Server,
    api: httpx.Client,
    make_hook: Callable[..., dict[str, Any]],
    gates: Callable[[Decide], Gate],
    on_error: str,
) -> None:
    gate = gates(lambda _: Reply(204, b"", delay=5))
    hook = sync_hook(make_hook, gate.url(), ["PreRegister"], timeoutMs=600, onError=on_error)
    address = email()
    started = time.monotonic()
    answer = register(server, address)
    took = time.monotonic() - started
    # Generous: the registration's own steps (a password hash among them) are in it too.
    assert took < 0.6 + 2.5, took
    if on_error == "deny":
        assert answer.status_code == 403 and answer.json()["code"] == "hook.denied"
        assert users_with(server, address) == []
    else:
        assert answer.status_code == 200, answer.text
        assert len(users_with(server, address)) == 1
    [entry] = recent_logs(api, hook["id"])
    assert entry["payload"]["decision"] == {"action": on_error, "reason": "TimeoutError"}
    assert entry["payload"]["error"].startswith("TimeoutError")
    metrics = httpx.get(f"{server.base}/metrics").text
    labels = f'action="{on_error}",hook="{hook["id"]}",reason="TimeoutError"'
    assert f"hookline_sync_hook_calls{{{labels}}} 1.0" in metrics


def test_two_hooks_of_which_one_denies(
    server: Server,
    make_hook: Callable[..., dict[str, Any]],
    gates: Callable[[Decide], Gate],
) -> None:
    patching = gates(lambda _: Reply(200, b'{"action":"allow","patch":{"customData":{"a":1}}}'))
    denying = gates(lambda _: Reply(200, b'{"action":"deny","message":"No."}'))
    sync_hook(make_hook, patching.url(), ["PreRegister"])
    sync_hook(make_hook, denying.url(), ["PreRegister"])
    address = email()
    answer = register(server, address)
    assert answer.status_code == 403
    assert answer.json() == {"code": "hook.denied", "message": "No."}
    assert users_with(server, address) == []
    assert len(patching.wait_for(1)) == len(denying.wait_for(1)) == 1


def test_patches_merge_in_hook_creation_order(
    server: Server,
    api: httpx.Client,
    make_hook: Callable[..., dict[str, Any]],
    gates: Callable[[Decide], Gate],
) -> None:
    first = gates(lambda _: Reply(200, b'{"action":"allow","patch":{"customData":{"a":1,"b":1}}}'))
    second = gates(lambda _: Reply(200, b'{"action":"allow","patch":{"customData":{"b":2}}}'))
    sync_hook(make_hook, first.url(), ["PreRegister"])
    sync_hook(make_hook, second.url(), ["PreRegister"])
    address = email()
    assert register(server, address).status_code == 200
    [(user_id, _)] = users_with(server, address)
    assert api.get(f"/users/{user_id}").json()["customData"] == {"a": 1, "b": 2}


def signed_by(key_of: Callable[[], str], wrong: bool = False) -> Decide:
    """Answer allow, signed with the hook's key (or another), echoing the call's id."""

    def decide(request: Received) -> Reply:
        body = b'{"action":"allow"}'
        msg_id, ts = request.header("webhook-id") or "", int(time.time())
        key = "not-the-hooks-key" if wrong else key_of()
        headers = {
            "content-type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(ts),
            "webhook-signature": standard_signature(key, msg_id, ts, body),
        }
        return Reply(200, body, headers)

    return decide


@pytest.mark.parametrize("answer", ["unsigned", "wrong key", "signed"])
def test_a_required_signed_answer(
    server: Server,
    api: httpx.Client,
    make_hook: Callable[..., dict[str, Any]],
    gates: Callable[[Decide], Gate],
    answer: str,
) -> None:
    key: dict[str, str] = {}
    unsigned: Decide = lambda _: ALLOW  # noqa: E731
    signed = signed_by(lambda: key["value"], wrong=answer == "wrong key")
    gate = gates(unsigned if answer == "unsigned" else signed)
    hook = sync_hook(make_hook, gate.url(), ["PreRegister"], requireSignedAnswer=True)
    key["value"] = hook["signingKey"]
    address = email()
    result = register(server, address)
    if answer == "signed":
        assert result.status_code == 200, result.text
        return
    assert result.status_code == 403 and result.json()["code"] == "hook.denied"
    assert users_with(server, address) == []
    [entry] = recent_logs(api, hook["id"])
    assert entry["payload"]["decision"] == {"action": "deny", "reason": "unsigned answer"}


def test_a_sign_in_denied_before_its_session(
    server: Server,
    api: httpx.Client,
    make_hook: Callable[..., dict[str, Any]],
    gates: Callable[[Decide], Gate],
    receiver: Receiver,
) -> None:
    address = email()
    assert register(server, address).status_code == 200
    gate = gates(lambda _: Reply(200, b'{"action":"deny","code":"signin.paused"}'))
    hook = sync_hook(make_hook, gate.url(), ["PreSignIn"])
    make_hook(receiver.url(), ["PostSignIn", "Interaction.Denied"])
    answer = sign_in(server, address)
    assert answer.status_code == 403 and answer.json()["code"] == "signin.paused"
    asked = body_of(gate.wait_for(1)[0])
    [(user_id, _)] = users_with(server, address)
    assert asked["userId"] == user_id and asked["user"]["primaryEmail"] == address
    refusal = body_of(receiver.wait_for(1)[0])
    assert refusal["event"] == "Interaction.Denied" and refusal["userId"] == user_id
    # Allowed once the hook is disabled: the switch is read at once.
    api.patch(f"/hooks/{hook['id']}", json={"enabled": False})
    assert sign_in(server, address).status_code == 200
    assert body_of(receiver.wait_for(2)[1])["event"] == "PostSignIn"


def test_sync_mode_is_only_for_pre_events(
    api: httpx.Client, make_hook: Callable[..., dict[str, Any]], receiver: Receiver
) -> None:
    body = {
        "events": ["PreSignIn", "PostSignIn"],
        "config": {"url": receiver.url(), "mode": "sync"},
    }
    refused = api.post("/hooks", json=body)
    assert refused.status_code == 400 and refused.json()["code"] == "hook.sync_events_only"
    for config in ({"timeoutMs": 0}, {"timeoutMs": 10_001}, {"onError": "maybe"}):
        body = {"events": ["PreSignIn"], "config": {"url": receiver.url(), **config}}
        assert api.post("/hooks", json=body).status_code == 400
    hook = sync_hook(make_hook, receiver.url(), ["PreSignIn"])
    patched = api.patch(f"/hooks/{hook['id']}", json={"events": ["PostSignIn"]})
    assert patched.status_code == 400 and patched.json()["code"] == "hook.sync_events_only"


def test_the_test_endpoint_is_a_dry_run(
    api: httpx.Client, make_hook: Callable[..., dict[str, Any]], gates: Callable[[Decide], Gate]
) -> None:
    def decide(request: Received) -> Reply:
        if body_of(request)["event"] == "PreSignIn":
            return Reply(200, b'{"action":"deny","code":"x.y","message":"No."}')
        return Reply(200, b'{"action":"allow","patch":{"name":"N"}}')

    gate = gates(decide)
    events = ["PreSignIn", "PreRegister"]
    hook = sync_hook(make_hook, gate.url(), events, timeoutMs=2000)
    answer = api.post(
        f"/hooks/{hook['id']}/test", json={"events": events, "config": hook["config"]}
    )
    assert answer.status_code == 200, answer.text
    results = {r["event"]: r for r in answer.json()}
    assert results["PreSignIn"]["decision"] == {
        "action": "deny",
        "reason": "answer",
        "code": "x.y",
        "message": "No.",
        "field": None,
    }
    assert results["PreRegister"]["decision"]["patch"] == {"name": "N"}
    assert results["PreRegister"]["responseStatus"] == 200
    assert {r.header("webhook-id") for r in gate.wait_for(2)} != {None}
    assert recent_logs(api, hook["id"]) == []  # a dry run, never logged


def test_the_operator_switch_turns_sync_hooks_off(
    tmp_path: Path, gates: Callable[[Decide], Gate], receiver: Receiver
) -> None:
    server = Server(tmp_path, HOOKLINE_SYNC_HOOKS="off").start()
    try:
        with server.client() as api:
            body = {"signUp": {"identifiers": ["email"], "password": True, "verify": False}}
            assert api.patch("/sign-in-exp", json=body).status_code == 200
            gate = gates(lambda _: Reply(200, b'{"action":"deny"}'))
            config = {"url": gate.url(), "mode": "sync"}
            made = api.post("/hooks", json={"events": ["PreRegister"], "config": config})
            assert made.status_code == 201, made.text
            told = {"events": ["PreRegister"], "config": {"url": receiver.url()}}
            assert api.post("/hooks", json=told).status_code == 201
            address = email()
            assert register(server, address).status_code == 200
            assert len(users_with(server, address)) == 1
            # Asynchronous hooks are still told of the moment; the sync hook was not asked.
            assert body_of(receiver.wait_for(1)[0])["event"] == "PreRegister"
            assert gate.requests == []
    finally:
        server.stop()


def code_sent_to(server: Server, address: str) -> str:
    lines = (server.data_dir / "messages.jsonl").read_text().splitlines()
    return [m for m in map(json.loads, lines) if m["recipient"] == address][-1]["code"]


def reset_password(server: Server, address: str, new_password: str) -> httpx.Response:
    """A password reset by a code sent to `address`, up to its submit; the submit's answer."""
    identifier = {"type": "email", "value": address}
    with httpx.Client(base_url=f"{server.base}/api", timeout=30) as client:
        started = client.put("/experience", json={"interactionEvent": "ForgotPassword"})
        assert started.status_code == 204
        sent = client.post(
            "/experience/verification/verification-code",
            json={"identifier": identifier, "interactionEvent": "ForgotPassword"},
        )
        assert sent.status_code == 200, sent.text
        check = {
            "identifier": identifier,
            "verificationId": sent.json()["verificationId"],
            "code": code_sent_to(server, address),
        }
        verified = client.post("/experience/verification/verification-code/verify", json=check)
        assert verified.status_code == 200, verified.text
        identified = client.post(
            "/experience/identification", json={"verificationId": check["verificationId"]}
        )
        assert identified.status_code == 204, identified.text
        chosen = {"password": new_password}
        assert client.put("/experience/profile/password", json=chosen).status_code == 204
        return client.post("/experience/submit")


def test_a_denied_password_reset_keeps_the_old_password(
    server: Server,
    make_hook: Callable[..., dict[str, Any]],
    gates: Callable[[Decide], Gate],
) -> None:
    address = email()
    assert register(server, address).status_code == 200
    gate = gates(lambda _: Reply(200, b'{"action":"deny","code":"reset.locked"}'))
    sync_hook(make_hook, gate.url(), ["PreResetPassword"])
    denied = reset_password(server, address, "N3w!Passw0rd#Strong")
    assert denied.status_code == 403 and denied.json()["code"] == "reset.locked"
    asked = body_of(gate.wait_for(1)[0])
    assert asked["event"] == "PreResetPassword" and asked["user"]["primaryEmail"] == address
    sent_body = gate.requests[0].body
    assert b"Passw0rd" not in sent_body and b"passwordHash" not in sent_body
    assert b"$argon2" not in sent_body
    assert sign_in(server, address).status_code == 200  # with the old password


def test_a_receiver_cannot_take_over_the_interaction_by_its_session_id(
    server: Server,
    make_hook: Callable[..., dict[str, Any]],
    gates: Callable[[Decide], Gate],
) -> None:
    """The payload's `sessionId` is public: sent back as the `_interaction` cookie while the
    reset waits for the hook, it is answered as no cookie at all, and changes nothing."""
    address = email()
    assert register(server, address).status_code == 200
    stolen = {"password": "Att4cker!Passw0rd#Strong"}
    answers: list[httpx.Response] = []

    def take_over(request: Received) -> Reply:
        cookie = {"cookie": f"_interaction={body_of(request)['sessionId']}"}
        with httpx.Client(base_url=f"{server.base}/api", timeout=30) as attacker:
            answers.append(
                attacker.put("/experience/profile/password", json=stolen, headers=cookie)
            )
            answers.append(attacker.put("/experience/profile/password", json=stolen))
        return ALLOW

    sync_hook(make_hook, gates(take_over).url(), ["PreResetPassword"])
    assert reset_password(server, address, "N3w!Passw0rd#Strong").status_code == 200
    with_session_id, without_cookie = answers
    assert with_session_id.status_code == 404, with_session_id.text
    assert with_session_id.json() == without_cookie.json()
    assert with_session_id.json()["code"] == "session.interaction_not_found"
    assert sign_in(server, address, "N3w!Passw0rd#Strong").status_code == 200
    assert sign_in(server, address, stolen["password"]).status_code == 422


def test_a_sync_call_is_signed_as_deliveries_are(
    server: Server,
    make_hook: Callable[..., dict[str, Any]],
    gates: Callable[[Decide], Gate],
) -> None:
    gate = gates(lambda _: Reply(204, b""))
    hook = sync_hook(
        make_hook, gate.url(), ["PreRegister"], asymmetricSignature=True, headers={"X-Env": "t"}
    )
    assert register(server, email()).status_code == 200
    [request] = gate.wait_for(1)
    schemes = [s.split(",")[0] for s in (request.header("webhook-signature") or "").split()]
    assert schemes == ["v1", "v1a"]
    ts, msg_id = request.header("webhook-timestamp"), request.header("webhook-id")
    expected = standard_signature(hook["signingKey"], msg_id or "", int(ts or 0), request.body)
    assert (request.header("webhook-signature") or "").startswith(expected)
    assert request.header("x-env") == "t"


def test_a_sign_in_patch_is_merged_into_the_users_data(
    server: Server,
    api: httpx.Client,
    make_hook: Callable[..., dict[str, Any]],
    gates: Callable[[Decide], Gate],
    receiver: Receiver,
) -> None:
    address = email()
    assert register(server, address).status_code == 200
    [(user_id, _)] = users_with(server, address)
    kept = api.patch(f"/users/{user_id}/custom-data", json={"customData": {"a": 1}})
    assert kept.status_code == 200, kept.text
    patch = b'{"action":"allow","patch":{"customData":{"risk":"low"},"name":"Signed"}}'
    gate = gates(lambda _: Reply(200, patch))
    sync_hook(make_hook, gate.url(), ["PreSignIn"])
    make_hook(receiver.url(), ["User.Data.Updated"])
    assert sign_in(server, address).status_code == 200
    stored = api.get(f"/users/{user_id}").json()
    assert stored["customData"] == {"a": 1, "risk": "low"} and stored["name"] == "Signed"
    updated = body_of(receiver.wait_for(1)[0])
    assert updated["data"]["customData"] == {"a": 1, "risk": "low"}
