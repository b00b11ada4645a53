"""The values that cross the queue: delivery states, a claim and what it returns, outcomes and
their log rows.

Times in the `deliveries` table are Unix *seconds* (`next_attempt_at`, a float: the next try,
or the lease's expiry while leased); `created_at` there and in `logs` is Unix *milliseconds*,
as in Logto's rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING, NamedTuple

from hookline.ids import sortable_id

if TYPE_CHECKING:
    from hookline.sender.outcome import Outcome


# The PostgreSQL channel a commit that stored deliveries notifies, and dispatchers listen on.
WAKE_CHANNEL = "hookline_deliveries"


class DeliveryState(IntEnum):
    """`deliveries.status`, stored as these integers."""

    PENDING = 0
    LEASED = 1  # `worker` holds it until `next_attempt_at`
    DELIVERED = 2
    FAILED = 3
    CANCELLED = 4  # the hook is gone or disabled


# Pending or leased, written as the `deliveries_due` index's predicate is, so that it is used.
UNFINISHED = f"status < {DeliveryState.DELIVERED:d}"


# Not frozen: a frozen dataclass's __init__ costs ten times a plain one's, and one is made
# for every delivery.
@dataclass(slots=True)
class Claimed:
    """A leased delivery, with its event and its hook's target."""

    delivery_id: str
    event_id: str
    hook_id: str
    attempts: int  # made so far
    event: str
    body: bytes
    subject: str | None  # what the event is about (events.subjects), if anything
    sequence: int | None  # its number among the events about `subject`
    in_order: bool  # its hook receives the subject's events one at a time, in order
    url: str | None  # None: the hook is gone
    headers: dict[str, str] | None
    # The keys stay out of the repr, so that no log of a delivery shows them.
    signing_key: str = field(repr=False)
    retries: int | None  # the hook's `config.retries`; None: the whole retry schedule
    enabled: bool
    rate_limit: float | None  # the hook's `config.rateLimit` (requests per second), if any
    # The key a rotation replaced and the Unix ms it stops signing at; None: there is none.
    previous_key: tuple[str, int] | None = field(repr=False)
    # The Ed25519 private key (`whsk_…`) when the hook signs `v1a`, and the previous one.
    ed25519_key: str | None = field(repr=False)
    previous_ed25519_key: tuple[str, int] | None = field(repr=False)


@dataclass(slots=True)  # not frozen, as `Claimed`
class Finish:
    """What a delivery comes to after an attempt, or without one (cancelled)."""

    delivery_id: str
    status: DeliveryState
    attempts: int
    next_attempt_at: float = 0.0  # Unix seconds; read only when PENDING again
    attempted_at: int | None = None  # Unix milliseconds; None: no attempt was made
    status_code: int | None = None  # the attempt's answer, if one came
    error: str | None = None  # why the attempt failed, if it did
    hook_id: str = ""  # whose health the attempt tells of
    event: str = ""  # the event delivered, for the operational events it may cause


@dataclass(frozen=True, slots=True)
class ClaimRequest:
    """Lease up to `limit` due deliveries, oldest first, at most `per_hook` per hook counting
    the `busy` ones (hook → deliveries the claimer has in flight), and at most its share for a
    hook in `shares` (a rate-limited one: what it may send in about a second)."""

    limit: int
    now: float  # Unix seconds: what is due by then
    lease_until: float  # Unix seconds
    per_hook: int
    busy: Mapping[str, int] = field(default_factory=dict)
    shares: Mapping[str, int] = field(default_factory=dict)

    def full(self) -> list[str]:
        """The hooks to skip: their share is in flight."""
        return full_hooks(self.busy, self.per_hook, self.shares)

    def room(self) -> list[tuple[str, int]]:
        """The hooks with less than `per_hook` to take, with some in flight or a share of
        their own: (hook, how many more)."""
        per_hook, shares = self.per_hook, self.shares
        if not shares:
            return [(hook, per_hook - n) for hook, n in self.busy.items() if n < per_hook]
        room = dict(shares)
        for hook, n in self.busy.items():
            room[hook] = shares.get(hook, per_hook) - n
        return [(hook, n) for hook, n in room.items() if n > 0]


def full_hooks(
    busy: Mapping[str, int], per_hook: int, shares: Mapping[str, int] | None = None
) -> list[str]:
    if not shares:
        return [hook for hook, n in busy.items() if n >= per_hook]
    return [hook for hook, n in busy.items() if n >= shares.get(hook, per_hook)]


class LogRow(NamedTuple):
    """A row of `logs`, one per HTTP attempt, readable as Logto's `TriggerHook.<event>` entry.
    The fields are the columns both backends insert, in this order."""

    id: str
    key: str
    hook_id: str
    delivery_id: str
    event_id: str
    attempt: int
    result: str  # "Success" or "Error"
    status_code: int | None
    response_body: str | None
    error: str | None
    duration_ms: float  # milliseconds
    created_at: int  # Unix milliseconds

    @classmethod
    def of(cls, claimed: Claimed, attempt: int, outcome: Outcome, at_ms: int) -> LogRow:
        return cls(
            # Not derived from the delivery and the attempt number: a worker whose lease ran
            # out makes the same attempt as the one that took over, and both requests were
            # sent. A shared id would fail the recording of each batch that held it, forever.
            sortable_id("log"),
            f"TriggerHook.{claimed.event}",
            claimed.hook_id,
            claimed.delivery_id,
            claimed.event_id,
            attempt,
            "Success" if outcome.ok else "Error",
            outcome.status,
            _storable(outcome.body),
            _storable(outcome.error_text()),
            round(outcome.duration_ms, 3),
            at_ms,
        )


def _storable(text: str | None) -> str | None:
    """A receiver's answer as text a database takes: PostgreSQL refuses NUL characters, and
    one refused row would hold up the recording of every other."""
    return text.replace("\x00", "\ufffd") if text and "\x00" in text else text
