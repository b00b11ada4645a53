"""Request bodies of the hooks API. Stricter than Logto's server, as strict as its Console.

Numbers and booleans are strict, as Logto's guards type them: `true` is no retry count and
`"yes"` no boolean (pydantic's lax mode would take them for 1 and True)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    field_validator,
)
from yarl import URL

from hookline.config import MAX_KEY_GRACE_SECONDS
from hookline.errors import ApiError
from hookline.events.catalog import EVENTS, is_pre
from hookline.sender.request import WIRE_HEADERS

# Epoch milliseconds stay below 2**53 (JavaScript's exact integers; year 287396).
MAX_EPOCH_MS = 2**53 - 1

MAX_SYNC_TIMEOUT_MS = 10_000

EventName = Literal[EVENTS]  # type: ignore[valid-type]

# Printable ASCII without ':' or space, as Logto's Console requires of header names.
_HEADER_NAME = re.compile(r"[!-9;-~]+")
_HEADER_VALUE = re.compile(r"[ -~]*")


def _dedupe(events: list[str]) -> list[str]:
    return list(dict.fromkeys(events))


Events = Annotated[list[EventName], Field(min_length=1), AfterValidator(_dedupe)]

# Requests per second. Bounded so that the time between two requests is a finite number of
# seconds, and kept as given: 10 stays 10, not 10.0.
_MIN_RATE, _MAX_RATE = 0.000001, 1_000_000
RateLimit = (
    Annotated[StrictInt, Field(gt=0, le=_MAX_RATE)]
    | Annotated[StrictFloat, Field(ge=_MIN_RATE, le=_MAX_RATE, allow_inf_nan=False)]
)


class HookConfig(BaseModel):
    model_config = ConfigDict(extra="ignore")

    url: str = Field(max_length=2048)
    headers: dict[str, str] | None = None
    retries: StrictInt | None = Field(default=None, ge=0, le=3)
    # hookline's: "subject" delivers each subject's events one at a time, in order. Stored
    # only when set, so that other hooks' configs read as Logto's.
    ordering: Literal["subject"] | None = None
    # hookline's, stored only when set too: at most this many requests per second, from all
    # dispatchers together.
    rateLimit: RateLimit | None = None
    # hookline's, stored only when set: `v1a` Ed25519 signatures too, with a key pair the
    # hook gets when this is first turned on, its public keys published as a JWKS.
    asymmetricSignature: StrictBool | None = None
    # hookline's synchronous hooks (README "Synchronous hooks"), stored only when set: called
    # at the Pre… moments of the sign-in flows, whose answer allows, denies or patches them.
    mode: Literal["sync"] | None = None
    # The whole call's deadline, retries included (default 3000: sender.sync).
    timeoutMs: StrictInt | None = Field(default=None, ge=1, le=MAX_SYNC_TIMEOUT_MS)
    # What a call that got no readable answer decides (default "deny").
    onError: Literal["deny", "allow"] | None = None
    # The answer must carry `webhook-signature` over its own body with the hook's key.
    requireSignedAnswer: StrictBool | None = None

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        try:
            parsed = URL(url)
        except ValueError as exc:
            raise ValueError("must be an http(s) URL") from exc
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise ValueError("must be an http(s) URL")
        return url

    @field_validator("headers")
    @classmethod
    def _printable_headers(cls, headers: dict[str, str] | None) -> dict[str, str] | None:
        for name, value in (headers or {}).items():
            # fullmatch: `$` would also accept a trailing newline (header injection).
            if not _HEADER_NAME.fullmatch(name):
                raise ValueError(
                    f"header name {name!r} must be printable ASCII without ':' or space"
                )
            if not _HEADER_VALUE.fullmatch(value):
                raise ValueError(f"header {name!r} must have a printable ASCII value")
            if name.lower() in WIRE_HEADERS:
                raise ValueError(f"header {name!r} is set by the sender, not by a hook")
        return headers

    def stored(self) -> dict:
        return self.model_dump(exclude_unset=True, exclude_none=True)


def check_sync(events: list[str], event: str | None, config: dict) -> None:
    """400 unless a synchronous hook names only Pre… events (the moments that wait for it)."""
    if config.get("mode") != "sync":
        return
    named = [*events, *([event] if event else [])]
    if not named or not all(is_pre(e) for e in named):
        raise ApiError(
            400,
            "hook.sync_events_only",
            "A synchronous hook may only subscribe to PreRegister, PreSignIn and PreResetPassword.",
        )


class HookCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str | None = Field(default=None, min_length=1, max_length=256)
    event: EventName | None = None
    events: Events | None = None
    config: HookConfig
    enabled: StrictBool = True
    createdAt: StrictInt | None = Field(default=None, ge=0, le=MAX_EPOCH_MS)


class HookUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str | None = Field(default=None, min_length=1, max_length=256)
    event: EventName | None = None
    events: Events | None = None
    config: HookConfig | None = None
    enabled: StrictBool | None = None


class HookTest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    events: Events
    config: HookConfig


class KeyRotation(BaseModel):
    """hookline's optional body of `PATCH /hooks/:id/signing-key`: how long the replaced key
    goes on signing; without it, `HOOKLINE_KEY_GRACE`."""

    model_config = ConfigDict(extra="ignore")

    # Absent or null: the default, as for the other fields hookline adds.
    graceSeconds: StrictInt | None = Field(default=None, ge=0, le=MAX_KEY_GRACE_SECONDS)
