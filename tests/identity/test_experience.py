"""`/api/experience`: sign-in flows over HTTP against a real server, webhooks at a real
receiver, codes read from the real message outbox file; bodies compared with what Logto
1.37.1 sent (key order and value types)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.logto_data import FIXTURES, captures
from tests.support.quiet import settle
from tests.support.receiver import Receiver, Reply
from tests.support.server import Server

pytestmark = pytest.mark.slow  # starts hookline processes

EVENTS = [
    "PostRegister",
    "PostSignIn",
    "PostResetPassword",
    "User.Created",
    "User.Data.Updated",
    "Identifier.Lockout",
    "Message.RateLimited",
]
UA = "exp-client/1.0"
PASSWORD = "C4rol!Passw0rd#Strong"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("experience")
    srv = Server(data, HOOKLINE_MESSAGE_OUTBOX=str(data / "messages.jsonl")).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def app_id(api: httpx.Client) -> str:
    response = api.post("/applications", json={"name": "exp-spa", "type": "SPA"})
    assert response.status_code == 200, response.text
    return response.json()["id"]


@pytest.fixture
def hook(make_hook: Callable[..., dict[str, Any]], receiver: Receiver) -> dict[str, Any]:
    return make_hook(receiver.url(), EVENTS, name="exp")


@pytest.fixture
def sie(api: httpx.Client) -> Iterator[Any]:
    """PATCH the sign-in experience for one test; the defaults come back afterwards."""

    def patch(**body: Any) -> dict[str, Any]:
        response = api.patch("/sign-in-exp", json=body)
        assert response.status_code == 200, response.text
        return response.json()

    yield patch
    patch(
        sentinelPolicy={},
        messageRateLimitPolicy={},
        signUp={"identifiers": ["username"], "password": True, "verify": False},
    )


def browser(server: Server) -> httpx.Client:
    return httpx.Client(base_url=f"{server.base}/api", headers={"user-agent": UA}, timeout=30)


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def capture(event: str, interaction_event: str) -> dict[str, Any]:
    """What Logto sent for `event` from a real sign-in flow (not a test payload)."""
    for c in captures():
        body = c.json()
        if (
            c.event == event
            and body.get("interactionEvent") == interaction_event
            and body.get("userAgent") != "fake-user-agent"
        ):
            return body
    raise LookupError(event)


def shape(value: Any) -> Any:
    """Keys in order and value types, values aside (null and string count alike: a null
    email in one body is a string in another)."""
    if isinstance(value, dict):
        return [(k, shape(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [shape(v) for v in value]
    return "str" if value is None else type(value).__name__


def deliveries(receiver: Receiver, count: int) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in receiver.wait_for(count)]


def by_event(receiver: Receiver, count: int) -> dict[str, dict[str, Any]]:
    """The first `count` deliveries keyed by event (concurrent sends may arrive in any order)."""
    got = {body["event"]: body for body in deliveries(receiver, count)}
    assert len(got) == count, got
    return got


def events_count(server: Server) -> int:
    [(count,)] = server.sql("SELECT count(*) FROM events")
    return count


def outbox(server: Server) -> list[dict[str, Any]]:
    path = server.data_dir / "messages.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def code_for(server: Server, recipient: str) -> str:
    return [m for m in outbox(server) if m["recipient"] == recipient][-1]["code"]


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content and status == 200 else None


def fails(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code, body
    return body


def start(client: httpx.Client, event: str, app_id: str | None = None) -> None:
    body: dict[str, Any] = {"interactionEvent": event}
    if app_id:
        body["applicationId"] = app_id
    ok(client.put("/experience", json=body), 204)


def register(client: httpx.Client, username: str, app_id: str | None) -> None:
    start(client, "Register", app_id)
    verification = ok(
        client.post(
            "/experience/verification/new-password-identity",
            json={"identifier": {"type": "username", "value": username}, "password": PASSWORD},
        )
    )["verificationId"]
    response = client.post("/experience/identification", json={"verificationId": verification})
    assert response.status_code == 201, response.text
    ok(client.post("/experience/submit"))


def send_code(client: httpx.Client, email: str, event: str) -> httpx.Response:
    return client.post(
        "/experience/verification/verification-code",
        json={"identifier": {"type": "email", "value": email}, "interactionEvent": event},
    )


def verify_code(client: httpx.Client, server: Server, email: str, event: str) -> str:
    verification = ok(send_code(client, email, event))["verificationId"]
    body = {
        "identifier": {"type": "email", "value": email},
        "verificationId": verification,
        "code": code_for(server, email),
    }
    return ok(client.post("/experience/verification/verification-code/verify", json=body))[
        "verificationId"
    ]


def test_register_then_sign_in_fire_the_captured_bodies(
    server: Server, app_id: str, hook: dict[str, Any], receiver: Receiver
) -> None:
    username = unique("carol")
    with browser(server) as client:
        start(client, "Register", app_id)
        cookie = next(c for c in client.cookies.jar if c.name == "_interaction")
        assert cookie.has_nonstandard_attr("HttpOnly")
        verification = ok(
            client.post(
                "/experience/verification/new-password-identity",
                json={
                    "identifier": {"type": "username", "value": username},
                    "password": PASSWORD,
                },
            )
        )["verificationId"]
        identified = client.post(
            "/experience/identification", json={"verificationId": verification}
        )
        assert identified.status_code == 201, identified.text
        assert ok(client.post("/experience/submit"))["redirectTo"]
        # The interaction is spent.
        fails(client.post("/experience/submit"), 404, "session.interaction_not_found")

    got = by_event(receiver, 2)
    created, registered = got["User.Created"], got["PostRegister"]
    assert shape(created) == shape(capture("User.Created", "Register"))
    assert shape(registered) == shape(capture("PostRegister", "Register"))
    assert created["data"]["username"] == username and created["data"]["lastSignInAt"] is None
    assert registered["user"]["lastSignInAt"] is not None
    assert registered["userId"] == created["data"]["id"]
    assert registered["sessionId"] == created["sessionId"]
    assert created["userAgent"] == registered["userAgent"] == UA
    assert created["ip"] == registered["userIp"] == "127.0.0.1"
    assert created["application"] == {
        "id": app_id,
        "type": "SPA",
        "name": "exp-spa",
        "description": None,
    }
    assert created["applicationId"] == app_id

    with browser(server) as client:
        start(client, "SignIn", app_id)
        verification = ok(
            client.post(
                "/experience/verification/password",
                json={"identifier": {"type": "username", "value": username}, "password": PASSWORD},
            )
        )["verificationId"]
        ok(client.post("/experience/identification", json={"verificationId": verification}), 204)
        ok(client.post("/experience/submit"))
    signed_in = deliveries(receiver, 3)[2]
    assert signed_in["event"] == "PostSignIn"
    assert shape(signed_in) == shape(capture("PostSignIn", "SignIn"))
    assert signed_in["user"]["lastSignInAt"] > registered["user"]["lastSignInAt"]
    assert signed_in["user"]["updatedAt"] == signed_in["user"]["lastSignInAt"]
    assert signed_in["sessionId"] != registered["sessionId"]


def test_email_register_and_forgot_password_with_codes_from_the_outbox(
    server: Server, hook: dict[str, Any], receiver: Receiver, sie: Any
) -> None:
    sie(signUp={"identifiers": ["email"], "password": True, "verify": True})
    email = f"{unique('dana')}@example.com"
    with browser(server) as client:
        start(client, "Register")
        verification = verify_code(client, server, email, "Register")
        message = outbox(server)[-1]
        assert list(message) == ["recipient", "template", "code", "text", "type", "createdAt"]
        assert message["template"] == "Register" and message["type"] == "email"
        assert len(message["code"]) == 6 and message["code"] in message["text"]
        body = fails(
            client.post("/experience/identification", json={"verificationId": verification}),
            422,
            "user.missing_profile",
        )
        assert body["data"] == {"missingProfile": ["password"]}
        fails(
            client.post("/experience/profile", json={"type": "password", "value": "short"}),
            422,
            "password.rejected",
        )
        for bad in ("bad name!", "a" * 129, f"{'a' * 120}@example.com"):  # wider than its column
            kind = "email" if "@" in bad else "username"
            fails(
                client.post(
                    "/experience/verification/new-password-identity",
                    json={"identifier": {"type": kind, "value": bad}, "password": PASSWORD},
                ),
                400,
                "guard.invalid_input",
            )
        ok(client.post("/experience/profile", json={"type": "password", "value": PASSWORD}), 204)
        response = client.post("/experience/identification", json={"verificationId": verification})
        assert response.status_code == 201, response.text
        ok(client.post("/experience/submit"))
    got = by_event(receiver, 2)
    created, registered = got["User.Created"], got["PostRegister"]
    assert created["data"]["primaryEmail"] == email
    assert "application" not in registered and "applicationId" not in created

    new_password = "N3w!Passw0rd#Strong"
    with browser(server) as client:
        start(client, "ForgotPassword")
        verification = verify_code(client, server, email.upper(), "ForgotPassword")
        assert outbox(server)[-1]["template"] == "ForgotPassword"
        ok(client.post("/experience/identification", json={"verificationId": verification}), 204)
        fails(
            client.post("/experience/profile", json={"type": "username", "value": "x"}),
            400,
            "session.not_supported_for_forgot_password",
        )
        fails(
            client.put("/experience/profile/password", json={"password": "abc"}),
            422,
            "password.rejected",
        )
        ok(client.put("/experience/profile/password", json={"password": new_password}), 204)
        ok(client.post("/experience/submit"))
    got = by_event(receiver, 4)
    updated, reset = got["User.Data.Updated"], got["PostResetPassword"]
    assert list(updated)[:7] == [
        "event",
        "createdAt",
        "interactionEvent",
        "userAgent",
        "sessionId",
        "ip",
        "data",
    ]
    assert updated["interactionEvent"] == reset["interactionEvent"] == "ForgotPassword"
    assert shape(reset) == [
        (k, v) for k, v in shape(capture("PostSignIn", "SignIn")) if k != "application"
    ]

    with browser(server) as client:
        start(client, "SignIn")
        login = {"identifier": {"type": "email", "value": email}, "password": new_password}
        ok(client.post("/experience/verification/password", json=login))


def test_lockout_after_max_attempts_fires_identifier_lockout_each_time(
    server: Server, app_id: str, hook: dict[str, Any], receiver: Receiver, sie: Any
) -> None:
    sie(sentinelPolicy={"maxAttempts": 3, "lockoutDuration": 1})
    name = unique("bob")
    wrong = {"identifier": {"type": "username", "value": name}, "password": "wrong-password"}
    with browser(server) as client:
        start(client, "SignIn", app_id)
        for _ in range(2):
            fails(
                client.post("/experience/verification/password", json=wrong),
                422,
                "session.invalid_credentials",
            )
        for _ in range(2):
            body = fails(
                client.post("/experience/verification/password", json=wrong),
                400,
                "session.verification_blocked_too_many_attempts",
            )
            assert body["message"] == (
                "Too many attempts in a short time. Please try again in 1 minute."
            )
    lockouts = deliveries(receiver, 2)
    settle(server, hook["id"])
    assert len(receiver.requests) == 2
    for lockout in lockouts:
        assert lockout["event"] == "Identifier.Lockout"
        assert shape(lockout) == shape(capture("Identifier.Lockout", "SignIn"))
        assert (lockout["type"], lockout["value"]) == ("username", name)
        assert lockout["userAgent"] == UA and lockout["applicationId"] == app_id


BLOCKED = "session.verification_blocked_too_many_attempts"
LOCKOUT = {"maxAttempts": 5, "lockoutDuration": 60}


def password_attempt(client: httpx.Client, email: str, password: str) -> httpx.Response:
    body = {"identifier": {"type": "email", "value": email}, "password": password}
    return client.post("/experience/verification/password", json=body)


def code_attempt(client: httpx.Client, email: str, verification: str, code: str) -> httpx.Response:
    body = {
        "identifier": {"type": "email", "value": email},
        "verificationId": verification,
        "code": code,
    }
    return client.post("/experience/verification/verification-code/verify", json=body)


def test_a_lockout_holds_for_every_spelling_of_the_address(
    server: Server,
    api: httpx.Client,
    app_id: str,
    hook: dict[str, Any],
    receiver: Receiver,
    sie: Any,
) -> None:
    sie(sentinelPolicy=LOCKOUT)
    alice = f"{unique('alice')}@example.com"
    ok(api.post("/users", json={"primaryEmail": alice, "password": PASSWORD}))
    ghost = f"{unique('ghost')}@example.com"  # no user: the address itself is locked
    with browser(server) as client:
        start(client, "SignIn", app_id)
        for email in (alice, ghost):
            for _ in range(LOCKOUT["maxAttempts"] - 1):
                fails(
                    password_attempt(client, email, "wrong-password"),
                    422,
                    "session.invalid_credentials",
                )
            fails(password_attempt(client, email, "wrong-password"), 400, BLOCKED)
            fails(password_attempt(client, email, "wrong-password"), 400, BLOCKED)
        # The right password under another spelling of a locked address is refused too.
        for spelling in (alice.capitalize(), alice.upper()):
            fails(password_attempt(client, spelling, PASSWORD), 400, BLOCKED)
        fails(password_attempt(client, ghost.upper(), "wrong-password"), 400, BLOCKED)
        fails(client.post("/experience/submit"), 404, "session.identifier_not_found")
    # Each refusal fires Identifier.Lockout, naming the identifier as it was typed.
    delivered = deliveries(receiver, 8)
    assert [body["event"] for body in delivered].count("User.Created") == 1
    lockouts = [body for body in delivered if body["event"] == "Identifier.Lockout"]
    assert sorted(body["value"] for body in lockouts) == sorted(
        [alice, alice, ghost, ghost, alice.capitalize(), alice.upper(), ghost.upper()]
    )
    assert shape(lockouts[0]) == shape(capture("Identifier.Lockout", "SignIn"))


def test_a_code_sent_to_another_spelling_does_not_lift_a_lockout(
    server: Server, api: httpx.Client, sie: Any
) -> None:
    sie(sentinelPolicy=LOCKOUT)
    carol = f"{unique('carol')}@example.com"
    ok(api.post("/users", json={"primaryEmail": carol}))
    nobody = f"{unique('dave')}@example.com"
    for email in (carol, nobody):
        with browser(server) as client:
            start(client, "SignIn")
            verification = ok(send_code(client, email, "SignIn"))["verificationId"]
            wrong = "000000" if code_for(server, email) != "000000" else "111111"
            for _ in range(LOCKOUT["maxAttempts"] - 1):
                fails(
                    code_attempt(client, email, verification, wrong),
                    400,
                    "verification_code.code_mismatch",
                )
            fails(code_attempt(client, email, verification, wrong), 400, BLOCKED)
            spelling = email.capitalize()
            verification = ok(send_code(client, spelling, "SignIn"))["verificationId"]
            right = code_for(server, spelling)
            fails(code_attempt(client, spelling, verification, right), 400, BLOCKED)
            fails(
                client.post("/experience/identification", json={"verificationId": verification}),
                400,
                "session.verification_failed",
            )


def test_code_sends_are_rate_limited_per_recipient(
    server: Server, app_id: str, hook: dict[str, Any], receiver: Receiver, sie: Any
) -> None:
    sie(messageRateLimitPolicy={"maxSendsPerRecipient": 2, "sendWindow": 600})
    email = f"{unique('eve')}@example.com"
    with browser(server) as client:
        start(client, "SignIn", app_id)
        ok(send_code(client, email, "SignIn"))
        ok(send_code(client, email, "SignIn"))
        fails(send_code(client, email, "SignIn"), 429, "request.message_rate_limited")
        # Another spelling of the same address shares the bucket.
        fails(send_code(client, email.upper(), "SignIn"), 429, "request.message_rate_limited")
    assert len([m for m in outbox(server) if m["recipient"].lower() == email]) == 2
    limited = deliveries(receiver, 2)
    assert [list(body) for body in limited][0] == [
        "event",
        "createdAt",
        "interactionEvent",
        "userAgent",
        "applicationId",
        "sessionId",
        "ip",
        "application",
        "action",
        "recipient",
        "hookId",
    ]
    assert limited[0]["action"] == "VerificationCodeSend"
    assert sorted(b["recipient"] for b in limited) == sorted([email, email.upper()])
    # The lockout capture has the same context fields in the same order.
    context = list(capture("Identifier.Lockout", "SignIn"))[:8]
    assert list(limited[0])[:8] == context


def test_bad_input_answers_logto_codes_and_fires_nothing(
    server: Server, api: httpx.Client, hook: dict[str, Any], receiver: Receiver
) -> None:
    before = events_count(server)
    taken = unique("taken")
    with browser(server) as client:
        fails(client.post("/experience/submit"), 404, "session.interaction_not_found")
        fails(
            client.put("/experience", json={"interactionEvent": "Nope"}), 400, "guard.invalid_input"
        )
        fails(
            client.put("/experience", json={"interactionEvent": "SignIn", "applicationId": "nope"}),
            404,
            "entity.not_exists_with_id",
        )
        start(client, "SignIn")
        fails(
            client.post("/experience/identification", json={"verificationId": None}),
            400,
            "guard.invalid_input",
        )
        fails(
            client.post("/experience/identification", json={"verificationId": "nope"}),
            404,
            "session.verification_session_not_found",
        )
        fails(client.post("/experience/submit"), 404, "session.identifier_not_found")
        fails(send_code(client, "not-an-email", "SignIn"), 400, "guard.invalid_input")
        fails(
            client.post(
                "/experience/verification/password",
                json={"identifier": {"type": "username", "value": "x"}, "password": 5},
            ),
            400,
            "guard.invalid_input",
        )
        email = f"{unique('fay')}@example.com"
        verification = ok(send_code(client, email, "SignIn"))["verificationId"]
        wrong = {
            "identifier": {"type": "email", "value": email},
            "verificationId": verification,
            "code": "000000" if code_for(server, email) != "000000" else "111111",
        }
        fails(
            client.post("/experience/verification/verification-code/verify", json=wrong),
            400,
            "verification_code.code_mismatch",
        )
        right = {**wrong, "code": code_for(server, email)}
        ok(client.post("/experience/verification/verification-code/verify", json=right))
        # A verified email with no account behind it cannot sign in.
        fails(
            client.post("/experience/identification", json={"verificationId": verification}),
            404,
            "user.user_not_exist",
        )
        fails(
            client.put("/experience/profile/password", json={"password": PASSWORD}),
            400,
            "session.invalid_interaction_type",
        )
        ok(client.put("/experience/interaction-event", json={"interactionEvent": "Register"}), 204)
        fails(
            client.put(
                "/experience/interaction-event", json={"interactionEvent": "ForgotPassword"}
            ),
            400,
            "session.not_supported_for_forgot_password",
        )
        fails(
            client.post(
                "/experience/verification/new-password-identity",
                json={"identifier": {"type": "username", "value": taken}, "password": "weak"},
            ),
            422,
            "password.rejected",
        )
        # JavaScript's `\w` is ASCII, `$` does not end before a newline, 128 characters at most.
        for bad in ("1bad", "jösé", "fine\n", "a" * 129):
            fails(
                client.post("/experience/profile", json={"type": "username", "value": bad}),
                400,
                "guard.invalid_input",
            )
        fails(send_code(client, "fay@example.com\n", "SignIn"), 400, "guard.invalid_input")
        fails(client.post("/experience/submit"), 404, "session.identifier_not_found")
    created = api.post("/users", json={"username": taken})
    assert created.status_code == 200, created.text
    after_user = events_count(server)
    with browser(server) as client:
        start(client, "Register")
        fails(
            client.post("/experience/profile", json={"type": "username", "value": taken}),
            422,
            "user.username_already_in_use",
        )
        fails(client.post("/experience/identification", json={}), 422, "user.missing_profile")
    assert before + 1 == after_user == events_count(server)  # only POST /users' User.Created
    receiver.wait_for(1)
    settle(server, hook["id"])
    assert [json.loads(r.body)["event"] for r in receiver.requests] == ["User.Created"]


def test_http_message_connector_posts_to_a_real_receiver(
    tmp_path: Path, receiver: Receiver
) -> None:
    srv = Server(tmp_path, HOOKLINE_MESSAGE_HTTP_URL=receiver.url("/sms")).start()
    try:
        with browser(srv) as client:
            start(client, "SignIn")
            response = client.post(
                "/experience/verification/verification-code",
                json={
                    "identifier": {"type": "phone", "value": "15550001111"},
                    "interactionEvent": "SignIn",
                },
            )
            ok(response)
            sent = receiver.wait_for(1, "/sms")[0]
            message = json.loads(sent.body)
            assert sent.header("content-type") == "application/json"
            assert message["recipient"] == "15550001111" and message["type"] == "sms"
            assert len(message["code"]) == 6
            assert not (tmp_path / "messages.jsonl").exists()
            receiver.on("/sms", Reply(status=500))
            fails(
                client.post(
                    "/experience/verification/verification-code",
                    json={
                        "identifier": {"type": "phone", "value": "15550001112"},
                        "interactionEvent": "SignIn",
                    },
                ),
                500,
                "connector.general",
            )
            # The provider's URL may hold its API key: never in an answer to the end user.
            failed = client.post(
                "/experience/verification/verification-code",
                json={
                    "identifier": {"type": "phone", "value": "15550001113"},
                    "interactionEvent": "SignIn",
                },
            )
            assert failed.status_code == 500
            assert "/sms" not in failed.text and str(receiver.port) not in failed.text
    finally:
        srv.stop()


def test_fixture_captures_are_the_shared_ones() -> None:
    assert (FIXTURES / "logto_captures.jsonl").exists()
    assert capture("Identifier.Lockout", "SignIn")["type"] == "username"
