"""Each hook's health, kept in the transaction that records its attempts, and what follows
from it: a hook disabled (410 Gone, or no success for `disable_after` while some failed) and
the operational events, stored in the outbox there too, so that a crash loses none.

`hook_health` holds a row per failing hook: since when (Unix ms) none of its attempts has
succeeded. The first failed attempt after a success writes it, a success deletes it.

The statements are written in SQLite's style; `numbered` turns them into asyncpg's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hookline.events import operational
from hookline.ids import now_ms, sortable_id
from hookline.outbox.fanout import subscriptions
from hookline.outbox.queue.values import DeliveryState, Finish

# (since, hook id): nothing for a hook deleted meanwhile (its row would break the foreign key,
# and the whole recording with it).
KEEP_FAILING = (
    "INSERT INTO hook_health (hook_id, failing_since)"
    " SELECT id, CAST(? AS BIGINT) FROM hooks WHERE id = ?"
    " ON CONFLICT (hook_id) DO UPDATE SET failing_since = excluded.failing_since"
)
CLEAR = "DELETE FROM hook_health WHERE hook_id = ?"
# Only a hook still enabled: one disabled meanwhile (by a 410 to another worker, by hand) is
# not announced twice.
DISABLE = "UPDATE hooks SET enabled = false WHERE id = ? AND enabled RETURNING id"
HOOKS_CHANGED = "UPDATE revisions SET value = value + 1 WHERE name = 'hooks'"
INSERT_EVENT = "INSERT INTO events (id, name, body, created_at) VALUES (?, ?, ?, ?)"
INSERT_DELIVERY = (
    "INSERT INTO deliveries (id, event_id, hook_id, status, attempts, next_attempt_at,"
    f" created_at) VALUES (?, ?, ?, {DeliveryState.PENDING:d}, 0, ?, ?)"
)


@dataclass(frozen=True, slots=True)
class HealthPolicy:
    now: float  # Unix seconds, the dispatcher's clock: when operational events are due
    disable_after: float  # seconds


@dataclass(slots=True)
class HealthReport:
    """What recording a batch did beyond the deliveries."""

    disabled: dict[str, str] = field(default_factory=dict)  # hook id → reason
    emitted: int = 0  # deliveries of operational events stored


@dataclass(slots=True)
class Plan:
    """What a batch of attempts does to its hooks' health, before the database says which
    hooks it actually disabled."""

    changed: dict[str, int | None]  # the rows of `hook_health` to write (None: delete)
    disable: dict[str, tuple[str, int | None, Finish]]  # hook → (reason, since, attempt)
    notices: list[tuple[str, str, dict[str, Any]]]  # (event, hook it is about, payload)

    def announce(self, disabled: Iterable[str]) -> list[tuple[str, str, dict[str, Any]]]:
        """The operational events, with `Hook.Disabled` for the hooks the database disabled."""
        notices = list(self.notices)
        for hook_id in disabled:
            reason, since, last = self.disable[hook_id]
            payload = operational.disabled(hook_id, reason, since, _delivery(last))
            notices.append((operational.DISABLED, hook_id, payload))
        return notices


def attempted_hooks(finishes: Iterable[Finish]) -> list[str]:
    """The hooks whose health a batch tells of: those it made an attempt to."""
    return list({f.hook_id for f in finishes if f.attempted_at is not None})


def plan(finishes: Iterable[Finish], failing: Mapping[str, int], disable_after: float) -> Plan:
    """From a batch of outcomes and the `hook_health` rows of their hooks."""
    state: dict[str, int | None] = {}
    disable: dict[str, tuple[str, int | None, Finish]] = {}
    notices: list[tuple[str, str, dict[str, Any]]] = []
    recovered: set[str] = set()
    attempts = sorted((f for f in finishes if f.attempted_at is not None), key=_attempted_at)
    for f in attempts:
        hook = f.hook_id
        since = state[hook] if hook in state else failing.get(hook)
        if f.status == DeliveryState.DELIVERED:
            if since is not None and hook not in recovered:
                recovered.add(hook)
                payload = operational.recovered(hook, since, _delivery(f))
                notices.append((operational.RECOVERED, hook, payload))
            state[hook] = None
            continue
        if since is None:
            since = _attempted_at(f)
        state[hook] = since
        if f.status == DeliveryState.FAILED:
            notices.append((operational.EXHAUSTED, hook, operational.exhausted(hook, _delivery(f))))
        if f.status_code == 410:
            disable.setdefault(hook, (operational.GONE, None, f))
        elif _attempted_at(f) - since >= disable_after * 1000:
            disable.setdefault(hook, (operational.FAILING, since, f))
    # A hook being disabled starts afresh should it be enabled again.
    for hook in disable:
        state[hook] = None
    changed = {hook: since for hook, since in state.items() if failing.get(hook) != since}
    return Plan(changed, disable, notices)


def outbox_rows(
    notices: Sequence[tuple[str, str, dict[str, Any]]],
    subscribers: Iterable[Sequence[Any]],
    now: float,
) -> tuple[list[tuple], list[tuple]]:
    """The `events` and `deliveries` rows of `notices`: one delivery per enabled hook
    subscribed, never to the hook a notice is about. `subscribers`: the rows of
    `fanout.SUBSCRIBERS`."""
    by_event = subscriptions(subscribers)
    # When the rows are stored, by the wall clock as the ids that sort by it; the body tells
    # when the outcome was, by the dispatcher's.
    stored_ms = now_ms()
    events: list[tuple] = []
    deliveries: list[tuple] = []
    for name, about, payload in notices:
        event_id = sortable_id("evt")
        events.append((event_id, name, operational.body(name, payload, now), stored_ms))
        deliveries.extend(
            (sortable_id("msg"), event_id, hook_id, now, stored_ms)
            for hook_id in (by_event[name].hooks if name in by_event else ())
            if hook_id != about
        )
    return events, deliveries


def numbered(statement: str) -> str:
    """`?` placeholders as asyncpg's `$1`, `$2`, …"""
    count = iter(range(1, statement.count("?") + 1))
    return re.sub(r"\?", lambda _: f"${next(count)}", statement)


def _attempted_at(finish: Finish) -> int:
    return finish.attempted_at or 0


def _delivery(finish: Finish) -> dict[str, Any]:
    return operational.delivery(
        finish.delivery_id, finish.event, finish.attempts, finish.status_code, finish.error
    )
