"""A webhook request, built once: the bytes to send and the headers that sign them."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from hookline.sender.ed25519 import ed25519_signature
from hookline.sender.signing import logto_signature, standard_signature

SIGNATURE_HEADERS = frozenset(
    {"logto-signature-sha-256", "webhook-id", "webhook-timestamp", "webhook-signature"}
)
# What the event is about and its number among the events about it (events.subjects): only
# hookline sets them, so that a receiver can trust them to order what it gets.
SUBJECT_HEADERS = frozenset({"hookline-subject", "hookline-sequence"})

# The message's framing and the connection's own headers (RFC 9110 §7.6.1), which the HTTP
# client sets from the URL and the body: a hook's `Content-Length: 2` would cut its body, and
# `Expect: 100-continue` would hold it back until the receiver asks for it.
WIRE_HEADERS = frozenset(
    {
        "content-length",
        "transfer-encoding",
        "host",
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "upgrade",
        "expect",
    }
)


_NOT_CUSTOM = SIGNATURE_HEADERS | SUBJECT_HEADERS | WIRE_HEADERS


# Not frozen: a frozen dataclass's __init__ costs ten times a plain one's, and one is made
# for every delivery.
@dataclass(slots=True)
class Target:
    """Where and how to send: everything the sender needs to know about a hook."""

    url: str
    signing_key: str = field(repr=False)
    headers: dict[str, str] | None = None
    hook_id: str = ""
    # The key a rotation replaced and the Unix ms it stops signing at: until then, receivers
    # still verifying with it accept the requests.
    previous_key: tuple[str, int] | None = field(default=None, repr=False)
    # The hook's Ed25519 private key (`whsk_…`) when `config.asymmetricSignature` is on, and
    # the one a rotation replaced with its expiry (Unix ms), as for `previous_key`.
    ed25519_key: str | None = field(default=None, repr=False)
    previous_ed25519_key: tuple[str, int] | None = field(default=None, repr=False)


@dataclass(slots=True)  # not frozen, as `Target`
class WebhookRequest:
    url: str
    headers: dict[str, str]
    body: bytes
    hook_id: str = ""


def build(
    target: Target,
    body: bytes,
    msg_id: str,
    user_agent: str,
    timestamp: int | None = None,
    subject: str | None = None,
    sequence: int | None = None,
) -> WebhookRequest:
    """Headers in Logto's precedence: defaults, then custom headers, then signatures. Custom
    headers that would reframe the body or steer the connection are dropped: hooks stored
    before the API refused them still send their whole body. An event about a `subject`
    says so, with its `sequence`, in headers: never in the body, which is Logto's. The
    previous key signs too, after the new one, while `timestamp` is before its expiry; then
    the Ed25519 keys the same way (`v1a`, after every `v1`)."""
    headers = {"user-agent": user_agent, "content-type": "application/json"}
    if target.headers:
        for name, value in target.headers.items():
            lowered = name.lower()
            if lowered not in _NOT_CUSTOM:
                headers[lowered] = value
    if subject is not None:
        headers["hookline-subject"] = subject
        headers["hookline-sequence"] = str(sequence)
    ts = int(time.time()) if timestamp is None else timestamp
    signatures = []
    if target.signing_key:
        headers["logto-signature-sha-256"] = logto_signature(target.signing_key, body)
        for key in _valid(target.signing_key, target.previous_key, ts):
            signatures.append(standard_signature(key, msg_id, ts, body))
    if target.ed25519_key:
        for key in _valid(target.ed25519_key, target.previous_ed25519_key, ts):
            signatures.append(ed25519_signature(key, msg_id, ts, body))
    if signatures:
        headers["webhook-signature"] = " ".join(signatures)
    headers["webhook-id"] = msg_id
    headers["webhook-timestamp"] = str(ts)
    return WebhookRequest(target.url, headers, body, target.hook_id)


def _valid(key: str, previous: tuple[str, int] | None, timestamp: int) -> list[str]:
    """The key, then the one it replaced while `timestamp` is before that one's expiry."""
    if previous is not None and timestamp * 1000 < previous[1]:
        return [key, previous[0]]
    return [key]
