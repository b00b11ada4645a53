"""`verify`, reason by reason, on requests signed here with the vectors' keys."""

from __future__ import annotations

import base64
import hashlib
import hmac
import sys
import time
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from multidict import CIMultiDict
from starlette.datastructures import Headers as StarletteHeaders
from werkzeug.datastructures import EnvironHeaders

from hookline_receiver import Reason, VerificationError, verify
from signed_requests import VECTORS, vector, verify_vector

KEY = VECTORS["keys"]["signingKey"]
SECRET = VECTORS["keys"]["secret"]
SEED = base64.b64decode(VECTORS["keys"]["ed25519"]["privateKey"].removeprefix("whsk_"))
PUBLIC_KEY = VECTORS["keys"]["ed25519"]["publicKey"]
BODY = b'{"event":"User.Created","hookId":"hk1"}'


def sign(
    body: bytes = BODY, *, msg_id: str = "msg_1", timestamp: int | None = None, v1a: bool = False
) -> dict[str, str]:
    ts = int(time.time()) if timestamp is None else timestamp
    content = b"%s.%d.%s" % (msg_id.encode(), ts, body)
    entries = ["v1," + base64.b64encode(hmac.digest(KEY.encode(), content, "sha256")).decode()]
    if v1a:
        signature = Ed25519PrivateKey.from_private_bytes(SEED).sign(content)
        entries = ["v1a," + base64.b64encode(signature).decode()]
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": " ".join(entries),
        "logto-signature-sha-256": hmac.digest(KEY.encode(), body, hashlib.sha256).hex(),
    }


def refused(headers: Any, body: bytes = BODY, **options: Any) -> Reason:
    options.setdefault("secrets", [SECRET])
    with pytest.raises(VerificationError) as error:
        verify(headers, body, **options)
    return error.value.reason


def without(headers: dict[str, str], *names: str) -> dict[str, str]:
    return {name: value for name, value in headers.items() if name not in names}


# What a request carries.


def test_a_signed_request_gives_its_id_timestamp_and_parsed_body() -> None:
    webhook = verify(sign(timestamp=1_700_000_000), BODY, secrets=[SECRET], now=1_700_000_001)
    assert (webhook.id, webhook.timestamp, webhook.scheme) == ("msg_1", 1_700_000_000, "v1")
    assert webhook.json() == {"event": "User.Created", "hookId": "hk1"}


def test_a_sequence_that_is_not_a_number_is_left_out() -> None:
    headers = sign() | {"hookline-subject": "user:u1", "hookline-sequence": "seven"}
    webhook = verify(headers, BODY, secrets=[SECRET])
    assert (webhook.subject, webhook.sequence) == ("user:u1", None)


@pytest.mark.parametrize(
    "wrap",
    [
        lambda h: {name.upper(): value for name, value in h.items()},
        lambda h: StarletteHeaders(h),
        lambda h: CIMultiDict({name.title(): value for name, value in h.items()}),
        lambda h: EnvironHeaders(
            {"HTTP_" + name.upper().replace("-", "_"): value for name, value in h.items()}
        ),
    ],
    ids=["dict-upper-case", "starlette", "multidict", "werkzeug"],
)
def test_headers_are_found_in_any_framework_and_case(wrap: Any) -> None:
    assert verify(wrap(sign()), BODY, secrets=[SECRET]).id == "msg_1"


# Each reason.


def test_no_signature_header_is_missing_headers() -> None:
    assert refused(without(sign(), "webhook-signature", "logto-signature-sha-256")) == (
        Reason.MISSING_HEADERS
    )


@pytest.mark.parametrize("name", ["webhook-id", "webhook-timestamp"])
def test_a_signature_without_its_id_or_timestamp_is_missing_headers(name: str) -> None:
    assert refused(without(sign(), name)) == Reason.MISSING_HEADERS


def test_logtos_signature_alone_is_refused_when_not_allowed() -> None:
    headers = without(sign(), "webhook-signature", "webhook-id", "webhook-timestamp")
    assert verify(headers, BODY, secrets=[KEY]).scheme == "logto"
    assert refused(headers, allow_logto=False) == Reason.MISSING_HEADERS


@pytest.mark.parametrize("stamp", ["", "soon", "1700000000.5", "-1700000000", "١٧٠٠٠٠٠٠٠٠"])
def test_a_timestamp_not_in_whole_seconds_is_bad(stamp: str) -> None:
    assert refused(sign() | {"webhook-timestamp": stamp}) == Reason.BAD_TIMESTAMP


def test_the_tolerance_holds_either_way_up_to_its_bound() -> None:
    headers = sign(timestamp=1_000_000)
    for now in (1_000_000 - 60, 1_000_000 + 60):
        assert verify(headers, BODY, secrets=[SECRET], tolerance=60, now=now)
    assert refused(headers, tolerance=60, now=1_000_061) == Reason.STALE
    assert refused(headers, tolerance=60, now=999_939) == Reason.FUTURE


def test_the_clock_is_the_default_now() -> None:
    assert verify(sign(), BODY, secrets=[SECRET]).scheme == "v1"
    assert refused(sign(timestamp=int(time.time()) - 301)) == Reason.STALE
    assert refused(sign(timestamp=int(time.time()) + 301)) == Reason.FUTURE


def test_signatures_of_a_scheme_without_keys_are_no_key() -> None:
    assert refused(sign(v1a=True), secrets=[SECRET]) == Reason.NO_KEY
    assert refused(sign(), secrets=[], public_keys=[PUBLIC_KEY]) == Reason.NO_KEY
    logto_only = without(sign(), "webhook-signature", "webhook-id", "webhook-timestamp")
    assert refused(logto_only, secrets=[], public_keys=[PUBLIC_KEY]) == Reason.NO_KEY


@pytest.mark.parametrize("header", ["v1,not-base64!", "v1", "garbage", "v2,AAAA", "v1,"])
def test_malformed_signature_entries_match_nothing(header: str) -> None:
    headers = sign() | {"webhook-signature": header}
    assert refused(headers) in (Reason.NO_MATCHING_SIGNATURE, Reason.NO_KEY)


def test_a_valid_entry_counts_beside_malformed_ones() -> None:
    headers = sign()
    headers["webhook-signature"] = "v1,!!! garbage " + headers["webhook-signature"]
    assert verify(headers, BODY, secrets=[SECRET]).scheme == "v1"


def test_v1a_needs_cryptography(monkeypatch: pytest.MonkeyPatch) -> None:
    # A None entry in sys.modules makes the import fail, as where cryptography is not installed.
    monkeypatch.setitem(sys.modules, "cryptography.exceptions", None)
    assert refused(sign(v1a=True), public_keys=[PUBLIC_KEY]) == Reason.CRYPTOGRAPHY_MISSING
    both = sign(v1a=True)
    both["webhook-signature"] += " " + sign()["webhook-signature"]
    assert verify(both, BODY, secrets=[SECRET], public_keys=[PUBLIC_KEY]).scheme == "v1"


def test_v1a_verifies_with_raw_public_key_bytes() -> None:
    raw = base64.b64decode(PUBLIC_KEY.removeprefix("whpk_"))
    assert verify(sign(v1a=True), BODY, public_keys=[raw]).scheme == "v1a"


def test_the_error_says_its_reason() -> None:
    with pytest.raises(VerificationError, match="^stale: signed 301 s ago$"):
        verify_vector(vector("stale"))


# The caller's own mistakes.


@pytest.mark.parametrize(
    "options",
    [
        {"secrets": []},
        {"secrets": [""]},
        {"secrets": ["whsec_not base64"]},
        {"public_keys": ["whpk_" + base64.b64encode(b"short").decode()]},
        {"public_keys": [base64.b64encode(bytes(32)).decode()]},
        {"public_keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB"}]},
    ],
    ids=["nothing", "empty", "whsec-not-base64", "whpk-short", "no-prefix", "rsa-jwk"],
)
def test_a_malformed_key_is_a_value_error(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        verify(sign(), BODY, **options)
