"""Which hooks get an event: the enabled ones subscribed to it, cached per hooks revision."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, update

from hookline.db.sql import json_value
from hookline.db.tables import revisions

_MEMO = "hookline.transaction_memo"
_HOOKS_WRITTEN = "hooks_written"
# database → (hooks revision, {event: [hook ids]})
_cache: dict[str, tuple[int, dict[str, list[str]]]] = {}


def subscribed_hooks(cursor: Any, database: str, event: str, memo: dict[str, Any]) -> list[str]:
    """Enabled hooks listing `event`, or legacy hooks whose single `event` is it. `memo`
    lives as long as the transaction: the revision is read once per transaction."""
    if memo.get(_HOOKS_WRITTEN):
        # This transaction changed hooks and may yet roll back: what it sees is not for the
        # cache every later transaction trusts.
        return _subscriptions(cursor).get(event, [])
    revision = memo.get("hooks_revision")
    if revision is None:
        revision = cursor.execute("SELECT value FROM revisions WHERE name = 'hooks'").fetchone()[0]
        memo["hooks_revision"] = revision
    cached = _cache.get(database)
    if cached is None or cached[0] != revision:
        cached = (revision, _subscriptions(cursor))
        _cache[database] = cached
    return cached[1].get(event, [])


def _subscriptions(cursor: Any) -> dict[str, list[str]]:
    cursor.execute("SELECT id, events, event FROM hooks WHERE enabled ORDER BY created_at")
    by_event: dict[str, list[str]] = {}
    for hook_id, events_json, legacy_event in cursor.fetchall():
        events = json_value(events_json) if events_json else []
        for event in events or ([legacy_event] if legacy_event else []):
            by_event.setdefault(event, []).append(hook_id)
    return by_event


def hooks_changed(conn: Connection) -> None:
    """Call in the transaction that changes hooks: the subscriptions cached here and the
    targets cached by every dispatcher (outbox.queue) then reload."""
    conn.execute(
        update(revisions).where(revisions.c.name == "hooks").values(value=revisions.c.value + 1)
    )
    memo = transaction_memo(conn)
    memo.pop("hooks_revision", None)
    memo[_HOOKS_WRITTEN] = True


def savepoint_rolled_back(conn: Connection) -> None:
    """What a rolled-back savepoint undid: a NOTIFY it sent and the revision it read. That
    the transaction wrote hooks is kept: an earlier savepoint may have done it."""
    memo = transaction_memo(conn)
    memo.pop("notified", None)
    memo.pop("hooks_revision", None)


def transaction_memo(conn: Connection) -> dict[str, Any]:
    """A dict for what holds until the current transaction on `conn` ends."""
    transaction = conn.get_transaction()
    held = conn.info.get(_MEMO)
    if held is None or held[0] is not transaction:
        held = conn.info[_MEMO] = (transaction, {})
    return held[1]
