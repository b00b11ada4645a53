"""hookline.sender.sync: one synchronous call against a real receiver on 127.0.0.1, and the
answer contract as a table."""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import Iterator

import orjson
import pytest

from hookline.sender.outcome import Failure, Outcome
from hookline.sender.request import Target
from hookline.sender.signing import standard_signature
from hookline.sender.sync import ALLOW, DENY, Call, Policy, call, decide
from hookline.sender.transport import Transport
from tests.support.receiver import Receiver, Reply

KEY = "sync-signing-key"
MSG = "msg_sync_1"
LOOPBACK = [ipaddress.ip_network("127.0.0.0/8")]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rcv = Receiver()
    yield rcv
    rcv.close()


def run(receiver: Receiver, policy: Policy, path: str = "/hook") -> tuple[Call, float]:
    async def go() -> tuple[Call, float]:
        transport = Transport(LOOPBACK)
        started = time.monotonic()
        try:
            result = await call(
                transport,
                Target(receiver.url(path), KEY),
                b'{"event":"PreSignIn"}',
                MSG,
                "t",
                policy,
            )
        finally:
            await transport.close()
        return result, time.monotonic() - started

    return asyncio.run(go())


def answer(status: int, body: object = None, headers: dict[str, str] | None = None) -> Outcome:
    text = "" if body is None else body if isinstance(body, str) else orjson.dumps(body).decode()
    return Outcome(status, text, 1.0, headers=headers)


def signed(body: str, msg_id: str = MSG, key: str = KEY, at: int | None = None) -> dict[str, str]:
    ts = int(time.time()) if at is None else at
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": standard_signature(key, msg_id, ts, body.encode()),
    }


TARGET = Target("http://127.0.0.1/", KEY)
DENY_ON_ERROR, ALLOW_ON_ERROR = Policy(), Policy(on_error=ALLOW)


@pytest.mark.parametrize(
    ("outcome", "action"),
    [
        (answer(204), ALLOW),
        (answer(200, {"action": "allow"}), ALLOW),
        (answer(200, {"action": "deny"}), DENY),
        (answer(200, {"action": "maybe"}), DENY),
        (answer(200, "not json"), DENY),
        (answer(200, [1]), DENY),
        (answer(200, {"action": "allow", "patch": {"customData": 3}}), DENY),
        (Outcome(500, "", 1.0, Failure.HTTP_STATUS), DENY),
        (Outcome(None, None, 1.0, Failure.TIMEOUT), DENY),
    ],
)
def test_the_answer_contract(outcome: Outcome, action: str) -> None:
    assert decide(outcome, DENY_ON_ERROR, TARGET, MSG).action == action


def test_on_error_allow_lets_failures_through_but_not_denials() -> None:
    assert decide(answer(200, "??"), ALLOW_ON_ERROR, TARGET, MSG).allowed
    timeout = decide(Outcome(None, None, 1.0, Failure.TIMEOUT), ALLOW_ON_ERROR, TARGET, MSG)
    assert timeout.allowed and timeout.reason == "TimeoutError"
    assert not decide(answer(200, {"action": "deny"}), ALLOW_ON_ERROR, TARGET, MSG).allowed


def test_a_denial_carries_message_code_and_field() -> None:
    body = {"action": "deny", "message": "No.", "code": "domain.blocked", "field": "/email"}
    decision = decide(answer(200, body), DENY_ON_ERROR, TARGET, MSG)
    assert (decision.message, decision.code, decision.field) == ("No.", "domain.blocked", "/email")
    odd = decide(answer(200, {"action": "deny", "code": "bad code!"}), DENY_ON_ERROR, TARGET, MSG)
    assert odd.code == "hook.denied" and odd.message == "The request was denied."


def test_a_patch_keeps_only_the_allowed_fields() -> None:
    patch = {"customData": {"tier": "gold"}, "name": "Ann", "primaryEmail": "x@y.z", "roles": []}
    decision = decide(answer(200, {"action": "allow", "patch": patch}), DENY_ON_ERROR, TARGET, MSG)
    assert decision.patch == {"customData": {"tier": "gold"}, "name": "Ann"}


@pytest.mark.parametrize(
    "patch", [{"name": "x" * 129}, {"name": 3}, {"profile": []}, {"customData": {"a": "\x00"}}]
)
def test_a_patch_the_users_cannot_store_is_unreadable(patch: dict) -> None:
    outcome = answer(200, {"action": "allow", "patch": patch})
    decision = decide(outcome, DENY_ON_ERROR, TARGET, MSG)
    assert decision.action == DENY and decision.reason == "unreadable patch"


def test_a_required_signature_must_be_the_calls_and_the_hooks() -> None:
    policy = Policy(require_signed_answer=True)
    body = '{"action":"allow"}'
    assert decide(answer(200, body, signed(body)), policy, TARGET, MSG).allowed
    for headers in (
        None,
        signed(body, key="another-key"),
        signed(body, msg_id="msg_other"),
        signed(body, at=int(time.time()) - 3600),
        signed('{"action":"deny"}'),
        # Octets a receiver may send that are not ASCII: a denial, not an exception.
        {**signed(body), "webhook-signature": "v1,\udce9t\u00e9"},
    ):
        decision = decide(answer(200, body, headers), policy, TARGET, MSG)
        assert decision.action == DENY and decision.reason == "unsigned answer"


def test_503_and_429_are_tried_again_with_the_same_webhook_id(receiver: Receiver) -> None:
    receiver.on("/hook", Reply(503), Reply(429), Reply(200, b'{"action":"allow"}'))
    result, _ = run(receiver, DENY_ON_ERROR)
    assert result.decision.allowed
    assert [a.status for a in result.attempts] == [503, 429, 200]
    ids = {r.header("webhook-id") for r in receiver.wait_for(3)}
    assert ids == {MSG}
    assert receiver.requests[0].header("hookline-answer-contract") == "1"


def test_other_statuses_are_not_tried_again(receiver: Receiver) -> None:
    receiver.on("/hook", Reply(500), Reply(200, b'{"action":"allow"}'))
    result, _ = run(receiver, DENY_ON_ERROR)
    assert not result.decision.allowed and len(result.attempts) == 1


def test_the_deadline_holds_against_a_receiver_that_never_answers(receiver: Receiver) -> None:
    receiver.on("/hook", Reply(delay=5))
    for policy in (Policy(timeout_ms=300), Policy(timeout_ms=300, on_error=ALLOW)):
        result, took = run(receiver, policy)
        assert result.decision.action == policy.on_error
        assert result.decision.reason == "TimeoutError"
        assert 0.25 < took < 1.5


def test_an_unreachable_receiver_is_tried_until_the_deadline() -> None:
    rcv = Receiver()
    rcv.close()  # nothing listens on its port any more
    result, took = run(rcv, Policy(timeout_ms=400))
    assert result.decision.reason == "ConnectionError" and not result.decision.allowed
    assert len(result.attempts) > 1 and took < 1.5
