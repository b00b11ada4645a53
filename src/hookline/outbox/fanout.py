"""Which hooks get an event: the enabled ones subscribed to it, cached per hooks revision."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Connection, update

from hookline.db.sql import Cursor, json_value
from hookline.db.tables import revisions
from hookline.db.unit import TransactionState


class Subscribers(NamedTuple):
    hooks: list[str]  # ids, oldest hook first
    ordered: frozenset[str]  # those of them that deliver in order per subject


_NO_SUBSCRIBERS = Subscribers([], frozenset())

# database → (hooks revision, {event: its subscribers})
_cache: dict[str, tuple[int, dict[str, Subscribers]]] = {}


def subscribed_hooks(
    cursor: Cursor, database: str, event: str, transaction: TransactionState
) -> Subscribers:
    """Enabled hooks listing `event`, or legacy hooks whose single `event` is it, as the
    caller's `transaction` sees them; the revision is read once per transaction."""
    if transaction.hooks_written:
        # This transaction changed hooks and may yet roll back: what it sees is not for the
        # cache every later transaction trusts.
        return _read_subscriptions(cursor).get(event, _NO_SUBSCRIBERS)
    revision = transaction.hooks_revision
    if revision is None:
        revision = cursor.execute("SELECT value FROM revisions WHERE name = 'hooks'").fetchone()[0]
        transaction.hooks_revision = revision
    cached = _cache.get(database)
    if cached is None or cached[0] != revision:
        cached = (revision, _read_subscriptions(cursor))
        _cache[database] = cached
    return cached[1].get(event, _NO_SUBSCRIBERS)


# The rows `subscriptions` takes.
SUBSCRIBERS = "SELECT id, events, event, config FROM hooks WHERE enabled ORDER BY created_at"


def _read_subscriptions(cursor: Cursor) -> dict[str, Subscribers]:
    cursor.execute(SUBSCRIBERS)
    return subscriptions(cursor.fetchall())


def subscriptions(hooks: Iterable[Sequence[Any]]) -> dict[str, Subscribers]:
    """event → its subscribers, from the (id, events, event, config) rows `SUBSCRIBERS`
    selects."""
    by_event: dict[str, list[str]] = {}
    ordered: set[str] = set()
    for hook_id, events_json, legacy_event, config in hooks:
        if json_value(config).get("mode") == "sync":
            continue  # called in the flow itself (identity.experience.gates), never queued
        events = json_value(events_json) if events_json else []
        for event in events or ([legacy_event] if legacy_event else []):
            by_event.setdefault(event, []).append(hook_id)
        if json_value(config).get("ordering") == "subject":
            ordered.add(hook_id)
    return {
        event: Subscribers(hooks, frozenset(ordered.intersection(hooks)))
        for event, hooks in by_event.items()
    }


def hooks_changed(conn: Connection) -> None:
    """Call in the transaction that changes hooks: the subscriptions cached here and the
    targets cached by every dispatcher (outbox.queue) then reload."""
    conn.execute(
        update(revisions).where(revisions.c.name == "hooks").values(value=revisions.c.value + 1)
    )
    transaction = TransactionState.of(conn)
    transaction.hooks_revision = None
    transaction.hooks_written = True
