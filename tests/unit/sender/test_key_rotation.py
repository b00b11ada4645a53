"""`build` during a signing key's grace period: the previous key signs after the new one while
the request's timestamp is before its expiry, and Logto's header keeps to the new key."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from hookline.sender.request import Target, build
from hookline.sender.signing import logto_signature, standard_secret, standard_signature

URL = "https://hooks.example.com/in"
NEW_KEY = "9tmr4svLY0FKJlNxicBPi58Jk6R86g0F"
OLD_KEY = "whEPBfqREzD2TCwACTR7zapovEIYk1fZ"
BODY = '{"event":"User.Created","n":"Jürgen 😀","hookId":"h1"}'.encode()
UA = "Logto (https://logto.io/)"
TS = 1_790_000_000
EXPIRES_AT = TS * 1000 + 1  # Unix ms: the old key still signs at TS, not a second later


def signatures(key: str, previous: tuple[str, int] | None, ts: int) -> list[str]:
    req = build(Target(URL, key, previous_key=previous), BODY, "msg_1", UA, timestamp=ts)
    return req.headers["webhook-signature"].split(" ")


def test_before_the_expiry_both_keys_sign_newest_first() -> None:
    req = build(Target(URL, NEW_KEY, None, "h1", (OLD_KEY, EXPIRES_AT)), BODY, "m", UA, TS)
    assert req.headers["webhook-signature"] == " ".join(
        [standard_signature(NEW_KEY, "m", TS, BODY), standard_signature(OLD_KEY, "m", TS, BODY)]
    )
    assert req.headers["logto-signature-sha-256"] == logto_signature(NEW_KEY, BODY)


@pytest.mark.parametrize("ts", [TS + 1, TS + 86400], ids=["a second after", "a day after"])
def test_from_the_expiry_on_only_the_new_key_signs(ts: int) -> None:
    assert signatures(NEW_KEY, (OLD_KEY, EXPIRES_AT), ts) == [
        standard_signature(NEW_KEY, "msg_1", ts, BODY)
    ]


def test_the_expiry_itself_is_too_late() -> None:
    assert len(signatures(NEW_KEY, (OLD_KEY, TS * 1000), TS)) == 1


def test_without_a_previous_key_the_headers_are_as_before() -> None:
    with_expired = build(Target(URL, NEW_KEY, previous_key=(OLD_KEY, 0)), BODY, "m", UA, TS)
    assert with_expired.headers == build(Target(URL, NEW_KEY), BODY, "m", UA, TS).headers


def test_the_current_time_decides_when_no_timestamp_is_given() -> None:
    target = Target(URL, NEW_KEY, previous_key=(OLD_KEY, int(time.time() * 1000) + 3_600_000))
    assert len(build(target, BODY, "m", UA).headers["webhook-signature"].split(" ")) == 2


def verify(key: str, body: bytes, headers: dict[str, str]) -> None:
    Webhook(standard_secret(key)).verify(body, headers, json_parse=False)


keys = st.text(min_size=1, max_size=64)


@settings(max_examples=200, deadline=None)
@given(
    new_key=keys,
    old_key=keys,
    msg_id=st.text(min_size=1, max_size=40),
    body=st.text(max_size=200).map(str.encode),
    # The reference verifier accepts timestamps within 5 minutes of its clock.
    offset=st.integers(-240, 240),
    expires_in_ms=st.integers(-(10**9), 10**9),
)
def test_each_entry_verifies_with_its_key(
    new_key: str, old_key: str, msg_id: str, body: bytes, offset: int, expires_in_ms: int
) -> None:
    ts = int(time.time()) + offset
    expires_at = ts * 1000 + expires_in_ms
    target = Target(URL, new_key, previous_key=(old_key, expires_at))
    headers = build(target, body, msg_id, UA, timestamp=ts).headers
    entries = headers["webhook-signature"].split(" ")
    valid_keys = [new_key, old_key] if expires_in_ms > 0 else [new_key]
    assert len(entries) == len(valid_keys)
    for key, entry in zip(valid_keys, entries, strict=True):
        assert entry.startswith("v1,")
        verify(key, body, {**headers, "webhook-signature": entry})
        verify(key, body, headers)  # as a receiver holding that key alone sees the request
    if new_key != old_key:
        with pytest.raises(WebhookVerificationError):
            verify(old_key, body, {**headers, "webhook-signature": entries[0]})
        if len(entries) == 1:  # expired: a receiver still on the old key is refused
            with pytest.raises(WebhookVerificationError):
                verify(old_key, body, headers)
    assert headers["logto-signature-sha-256"] == logto_signature(new_key, body)
