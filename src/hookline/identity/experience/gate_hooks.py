"""Which synchronous hooks guard each Pre… moment: the enabled hooks with `config.mode:
"sync"`, oldest first, cached per hooks revision as the outbox's subscriptions are, so that a
flow with no sync hook pays no query of its own for them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select

from hookline.db.sql import json_value
from hookline.db.tables import hooks, revisions
from hookline.db.unit import TransactionState
from hookline.hooks.service import keys_of
from hookline.sender import sync
from hookline.sender.request import Target


@dataclass(frozen=True, slots=True)
class SyncHook:
    id: str
    target: Target
    policy: sync.Policy


# database → (hooks revision, {moment: its sync hooks})
_cache: dict[str, tuple[int, dict[str, tuple[SyncHook, ...]]]] = {}


def sync_hooks(conn: Connection, moment: str) -> tuple[SyncHook, ...]:
    """The enabled sync hooks of `moment`, oldest first, as the caller's transaction sees
    them; the revision is read once per transaction (shared with the outbox's fan-out)."""
    transaction = TransactionState.of(conn)
    if transaction.hooks_written:
        return _read(conn).get(moment, ())
    revision = transaction.hooks_revision
    if revision is None:
        revision = conn.execute(
            select(revisions.c.value).where(revisions.c.name == "hooks")
        ).scalar_one()
        transaction.hooks_revision = revision
    database = str(conn.engine.url)
    cached = _cache.get(database)
    if cached is None or cached[0] != revision:
        cached = (revision, _read(conn))
        _cache[database] = cached
    return cached[1].get(moment, ())


def _read(conn: Connection) -> dict[str, tuple[SyncHook, ...]]:
    rows = conn.execute(
        select(hooks).where(hooks.c.enabled.is_(True)).order_by(hooks.c.created_at, hooks.c.id)
    )
    by_moment: dict[str, list[SyncHook]] = {}
    for row in rows:
        config = json_value(row.config)
        if config.get("mode") != "sync":
            continue
        keys = keys_of(row)  # as deliveries are signed, Ed25519 included
        hook = SyncHook(
            row.id,
            Target(config["url"], keys.signing_key, config.get("headers"), row.id, *keys[1:]),
            sync.Policy(
                config.get("timeoutMs", sync.DEFAULT_TIMEOUT_MS),
                config.get("onError", sync.DENY),
                bool(config.get("requireSignedAnswer")),
            ),
        )
        events = json_value(row.events) or ([row.event] if row.event else [])
        for moment in events:
            by_moment.setdefault(moment, []).append(hook)
    return {moment: tuple(found) for moment, found in by_moment.items()}
