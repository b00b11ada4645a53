"""hookline.events.payloads: wire bytes, key order, timestamps, Logto's test payloads."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import orjson
import pytest

from hookline.events import payloads
from hookline.events.catalog import EVENTS, INTERACTION_EVENTS, PRE_EVENTS
from hookline.events.payloads import event_body, iso_now, with_hook_id
from hookline.events.payloads import test_payload as make_test_payload
from tests.support.logto_data import captures

ISO_MS_Z = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")
TEST_CAPTURES = [c for c in captures() if c.path == "/hook-test"]
# Real deliveries: not test payloads (one /st-500 capture is a test send too: hookId second).
DELIVERED = [c for c in captures() if c.path != "/hook-test" and list(c.json())[1] != "hookId"]


def _keys_deep(value):
    """Key order at every level, for order-sensitive comparisons."""
    if isinstance(value, dict):
        return [(k, _keys_deep(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [_keys_deep(v) for v in value]
    return None


# --- event_body + with_hook_id ------------------------------------------------------------


def test_event_body_is_compact_json_in_insertion_order() -> None:
    body = event_body(
        "Role.Created",
        "2026-01-02T03:04:05.678Z",
        {"zeta": 1, "alpha": {"b": [1, None, True], "a": "x"}, "mid": None},
    )
    assert body == (
        b'{"event":"Role.Created","createdAt":"2026-01-02T03:04:05.678Z",'
        b'"zeta":1,"alpha":{"b":[1,null,true],"a":"x"},"mid":null}'
    )


def test_with_hook_id_appends_hook_id_last() -> None:
    body = with_hook_id(event_body("User.Deleted", "T", {"data": {"id": "u1"}}), "hk1")
    assert body == b'{"event":"User.Deleted","createdAt":"T","data":{"id":"u1"},"hookId":"hk1"}'
    assert list(json.loads(body)) == ["event", "createdAt", "data", "hookId"]


def test_with_hook_id_on_empty_payload() -> None:
    body = with_hook_id(event_body("Identifier.Lockout", "T", {}), "hk1")
    assert body == b'{"event":"Identifier.Lockout","createdAt":"T","hookId":"hk1"}'


def test_non_ascii_is_utf8_and_unescaped() -> None:
    name = "Jürgen Ørsted 日本語 😀 \u2028"
    body = with_hook_id(event_body("User.Created", "T", {"data": {"name": name}}), "hk1")
    assert name.encode("utf-8") in body
    assert b"\\u" not in body
    assert json.loads(body.decode("utf-8"))["data"]["name"] == name


def test_each_hook_gets_its_own_body_from_one_serialisation() -> None:
    base = event_body("User.Created", "T", {"data": {}})
    a, b = with_hook_id(base, "hookA"), with_hook_id(base, "hookB")
    assert a != b
    assert json.loads(a)["hookId"] == "hookA"
    assert json.loads(b)["hookId"] == "hookB"
    assert base == event_body("User.Created", "T", {"data": {}})  # base untouched


def _delivered_param(c):
    return pytest.param(c, id=c.id)


def test_delivered_captures_are_all_covered() -> None:
    assert len(DELIVERED) == 44 + 2  # 44 data/exception bodies + PostRegister + PostSignIn


@pytest.mark.parametrize("capture", [_delivered_param(c) for c in DELIVERED])
def test_event_body_reproduces_captured_bytes(capture) -> None:
    """Feeding a captured body's own fields back in yields the captured bytes exactly."""
    fields = capture.json()
    event, created_at, hook_id = fields["event"], fields["createdAt"], fields.pop("hookId")
    if capture.event in INTERACTION_EVENTS:
        # Interaction bodies are not ordered event, createdAt, …: the emitter places both keys.
        fields["event"], fields["createdAt"] = None, None
    else:
        del fields["event"], fields["createdAt"]
    assert with_hook_id(event_body(event, created_at, fields), hook_id) == capture.body


# --- iso_now --------------------------------------------------------------------------------


def test_iso_now_format_and_value() -> None:
    before = datetime.now(UTC)
    value = iso_now()
    after = datetime.now(UTC)
    assert ISO_MS_Z.fullmatch(value), value
    parsed = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert before.replace(microsecond=before.microsecond // 1000 * 1000) <= parsed <= after


@pytest.mark.parametrize(
    ("frozen", "expected"),
    [
        (datetime(2026, 1, 2, 3, 4, 5, 0, tzinfo=UTC), "2026-01-02T03:04:05.000Z"),
        (datetime(2026, 11, 28, 5, 14, 9, 652_000, tzinfo=UTC), "2026-11-28T05:14:09.652Z"),
        (datetime(1999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC), "1999-12-31T23:59:59.999Z"),
    ],
)
def test_iso_now_fixed_clock(monkeypatch: pytest.MonkeyPatch, frozen, expected) -> None:
    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):
            return frozen.astimezone(tz) if tz else frozen.replace(tzinfo=None)

    monkeypatch.setattr(payloads, "datetime", Frozen)
    assert iso_now() == expected


# --- test_payload ---------------------------------------------------------------------------


def test_hook_test_captures_cover_both_shapes() -> None:
    assert sorted(c.event for c in TEST_CAPTURES) == ["PostSignIn", "User.Created"]


@pytest.mark.parametrize("capture", TEST_CAPTURES, ids=lambda c: c.id)
def test_test_payload_equals_capture_bytes(capture) -> None:
    captured = capture.json()
    now_ms = captured["user"]["createdAt"] if "user" in captured else 1
    built = make_test_payload(capture.event, captured["hookId"], now_ms, captured["createdAt"])
    assert built == captured
    assert _keys_deep(built) == _keys_deep(captured)
    assert orjson.dumps(built) == capture.body


def _template(event: str) -> dict:
    shape = "PostSignIn" if event in INTERACTION_EVENTS + PRE_EVENTS else "User.Created"
    [capture] = [c for c in TEST_CAPTURES if c.event == shape]
    template = capture.json()
    template.update(event=event, hookId="HOOK", createdAt="CREATED")
    if "user" in template:
        for field in ("lastSignInAt", "createdAt", "updatedAt"):
            template["user"][field] = 1234567890123
    return template


@pytest.mark.parametrize("event", EVENTS)
def test_test_payload_for_every_event(event: str) -> None:
    built = make_test_payload(event, "HOOK", 1234567890123, "CREATED")
    expected = _template(event)
    assert built == expected
    assert _keys_deep(built) == _keys_deep(expected)
    assert list(built)[:3] == ["event", "hookId", "createdAt"]


def test_test_payload_uses_its_arguments() -> None:
    a = make_test_payload("PostRegister", "h1", 1, "c1")
    b = make_test_payload("PostRegister", "h2", 2, "c2")
    assert (a["hookId"], a["createdAt"], a["user"]["updatedAt"]) == ("h1", "c1", 1)
    assert (b["hookId"], b["createdAt"], b["user"]["lastSignInAt"]) == ("h2", "c2", 2)
