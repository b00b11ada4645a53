"""hookline.sender.request.build: header precedence, signatures, body bytes."""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook

from hookline.sender.request import Target, build
from hookline.sender.signing import standard_secret

URL = "https://hooks.example.com/in?x=1"
KEY = "9tmr4svLY0FKJlNxicBPi58Jk6R86g0F"
BODY = (
    '{"event":"User.Created","createdAt":"2026-01-01T00:00:00.000Z","n":"é","hookId":"h1"}'
).encode()
UA = "hookline/0.1 (+https://example.com)"
TS = 1_790_000_000
SIGNATURE_NAMES = (
    "logto-signature-sha-256",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
)


def _names(headers: dict[str, str], name: str) -> list[str]:
    return [k for k in headers if k.lower() == name]


def _assert_no_case_duplicates(headers: dict[str, str]) -> None:
    lowered = [k.lower() for k in headers]
    assert len(lowered) == len(set(lowered)), headers


def test_defaults_and_signatures() -> None:
    req = build(Target(URL, KEY), BODY, "msg_1", UA, timestamp=TS)
    assert req.url == URL
    assert req.headers["user-agent"] == UA
    assert req.headers["content-type"] == "application/json"
    assert req.headers["webhook-id"] == "msg_1"
    assert req.headers["webhook-timestamp"] == str(TS)
    expected = hmac.new(KEY.encode(), BODY, hashlib.sha256).hexdigest()
    assert req.headers["logto-signature-sha-256"] == expected
    assert req.headers["webhook-signature"].startswith("v1,")
    assert set(req.headers) == {"user-agent", "content-type", *SIGNATURE_NAMES}


def test_body_is_sent_exactly_as_given() -> None:
    body = bytearray(BODY)  # a distinct object, to prove the bytes are not re-serialised
    req = build(Target(URL, KEY), bytes(body), "msg_1", UA, timestamp=TS)
    assert req.body == BODY
    assert isinstance(req.body, bytes)
    odd = b'{ "spaces" : true,\n"k":"\\u00e9"}'  # not compact, escaped: still sent verbatim
    assert build(Target(URL, KEY), odd, "msg_1", UA).body == odd


def test_built_request_verifies_with_standardwebhooks() -> None:
    req = build(Target(URL, KEY), BODY, "msg_42", UA)  # timestamp defaults to now
    assert abs(int(req.headers["webhook-timestamp"]) - time.time()) <= 2
    Webhook(standard_secret(KEY)).verify(req.body, req.headers)


@pytest.mark.parametrize("spelling", ["user-agent", "User-Agent", "USER-AGENT"])
def test_custom_headers_override_user_agent(spelling: str) -> None:
    req = build(Target(URL, KEY, {spelling: "custom-ua"}), BODY, "msg_1", UA, timestamp=TS)
    _assert_no_case_duplicates(req.headers)
    [name] = _names(req.headers, "user-agent")
    assert req.headers[name] == "custom-ua"


@pytest.mark.parametrize("spelling", ["content-type", "Content-Type", "CONTENT-TYPE"])
def test_custom_headers_override_content_type(spelling: str) -> None:
    target = Target(URL, KEY, {spelling: "application/cloudevents+json"})
    req = build(target, BODY, "msg_1", UA, timestamp=TS)
    _assert_no_case_duplicates(req.headers)
    [name] = _names(req.headers, "content-type")
    assert req.headers[name] == "application/cloudevents+json"


def test_other_custom_headers_are_added() -> None:
    target = Target(URL, KEY, {"X-Custom-Header": "custom-value", "authorization": "Bearer t"})
    req = build(target, BODY, "msg_1", UA, timestamp=TS)
    _assert_no_case_duplicates(req.headers)
    assert req.headers[_names(req.headers, "x-custom-header")[0]] == "custom-value"
    assert req.headers[_names(req.headers, "authorization")[0]] == "Bearer t"
    assert req.headers["user-agent"] == UA


@pytest.mark.parametrize("name", SIGNATURE_NAMES)
@pytest.mark.parametrize("case", [str.lower, str.upper, str.title], ids=["lower", "upper", "title"])
@pytest.mark.parametrize("key", [KEY, ""], ids=["signed", "unsigned"])
def test_custom_headers_never_replace_signature_headers(name: str, case, key: str) -> None:
    forged = {case(name): "forged"}
    baseline = build(Target(URL, key), BODY, "msg_1", UA, timestamp=TS)
    req = build(Target(URL, key, forged), BODY, "msg_1", UA, timestamp=TS)
    _assert_no_case_duplicates(req.headers)
    assert "forged" not in req.headers.values()
    assert req.headers == baseline.headers


def test_all_signature_headers_forged_at_once() -> None:
    forged = {
        "Logto-Signature-Sha-256": "f",
        "WEBHOOK-ID": "f",
        "Webhook-Timestamp": "1",
        "webhook-signature": "v1,Zm9yZ2Vk",
        "x-ok": "yes",
    }
    req = build(Target(URL, KEY, forged), BODY, "msg_1", UA, timestamp=TS)
    _assert_no_case_duplicates(req.headers)
    assert req.headers["webhook-id"] == "msg_1"
    assert req.headers["webhook-timestamp"] == str(TS)
    assert req.headers["x-ok"] == "yes"
    expected = hmac.new(KEY.encode(), BODY, hashlib.sha256).hexdigest()
    assert req.headers["logto-signature-sha-256"] == expected
    when = datetime.fromtimestamp(TS, UTC)
    reference = Webhook(standard_secret(KEY)).sign("msg_1", when, BODY.decode())
    assert req.headers["webhook-signature"] == reference


def test_empty_signing_key_sends_no_signature() -> None:
    req = build(Target(URL, ""), BODY, "msg_1", UA, timestamp=TS)
    assert not _names(req.headers, "logto-signature-sha-256")
    assert not _names(req.headers, "webhook-signature")
    assert req.body == BODY


def test_target_headers_are_not_mutated() -> None:
    custom = {"User-Agent": "mine", "webhook-id": "forged"}
    build(Target(URL, KEY, custom), BODY, "msg_1", UA, timestamp=TS)
    assert custom == {"User-Agent": "mine", "webhook-id": "forged"}


@pytest.mark.parametrize(
    "name",
    [
        "Content-Length",
        "transfer-encoding",
        "HOST",
        "Connection",
        "Keep-Alive",
        "proxy-connection",
        "TE",
        "Trailer",
        "Upgrade",
    ],
)
def test_framing_and_connection_headers_are_never_sent(name: str) -> None:
    baseline = build(Target(URL, KEY), BODY, "msg_1", UA, timestamp=TS)
    req = build(Target(URL, KEY, {name: "2", "x-kept": "yes"}), BODY, "msg_1", UA, timestamp=TS)
    assert req.headers == {**baseline.headers, "x-kept": "yes"}
    assert req.body == BODY


def test_the_subject_and_its_sequence_travel_in_headers_not_in_the_body() -> None:
    req = build(Target(URL, KEY), BODY, "msg_1", UA, TS, subject="user:u1", sequence=7)
    assert (req.headers["hookline-subject"], req.headers["hookline-sequence"]) == ("user:u1", "7")
    assert req.body == BODY
    unsubjected = build(Target(URL, KEY), BODY, "msg_1", UA, TS)
    assert not {"hookline-subject", "hookline-sequence"} & set(unsubjected.headers)


@pytest.mark.parametrize("subject", ["user:u1", None])
def test_custom_headers_never_set_the_subject_headers(subject: str | None) -> None:
    forged = {"Hookline-Subject": "user:other", "HOOKLINE-SEQUENCE": "1"}
    req = build(Target(URL, KEY, forged), BODY, "msg_1", UA, TS, subject=subject, sequence=7)
    _assert_no_case_duplicates(req.headers)
    assert "user:other" not in req.headers.values() and "1" not in req.headers.values()
