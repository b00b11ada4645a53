"""The hook resource: create, read, update, delete, rotate the signing key."""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from hookline.attempts.stats import execution_stats
from hookline.db.tables import hooks
from hookline.errors import ApiError, not_exists_with_id
from hookline.hooks.validation import HookCreate, HookUpdate
from hookline.ids import now_ms, random_id, signing_key
from hookline.outbox.fanout import hooks_changed


def hook_json(row: Any) -> dict[str, Any]:
    return {
        "tenantId": row.tenant_id,
        "id": row.id,
        "name": row.name,
        "event": row.event,
        "events": row.events,
        "config": row.config,
        "signingKey": row.signing_key,
        "enabled": row.enabled,
        "createdAt": row.created_at,
        # hookline's, after Logto's fields: when the key the last rotation replaced stops
        # signing (Unix ms), while it still signs.
        "previousSigningKeyExpiresAt": _while_signing(row.previous_key_expires_at),
    }


def _while_signing(expires_at: int | None) -> int | None:
    return expires_at if expires_at is not None and expires_at > now_ms() else None


def create_hook(conn: Connection, body: HookCreate) -> dict[str, Any]:
    if not body.events and not body.event:
        raise ApiError(400, "hook.missing_events", "You need to provide at least one event.")
    hook_id = random_id()
    conn.execute(
        insert(hooks).values(
            id=hook_id,
            name=body.name or "",
            event=body.event,
            events=body.events or [],
            config=body.config.stored(),
            signing_key=signing_key(),
            enabled=body.enabled,
            created_at=body.createdAt or now_ms(),
        )
    )
    hooks_changed(conn)
    return get_hook(conn, hook_id)


def get_hook(conn: Connection, hook_id: str, with_stats: bool = False) -> dict[str, Any]:
    row = conn.execute(select(hooks).where(hooks.c.id == hook_id)).first()
    if row is None:
        raise not_exists_with_id("hooks", hook_id)
    hook = hook_json(row)
    if with_stats:
        hook["executionStats"] = execution_stats(conn, [hook_id])[hook_id]
    return hook


def list_hooks(
    conn: Connection, with_stats: bool, page: tuple[int, int] | None = None
) -> tuple[list[dict[str, Any]], int]:
    query = select(hooks).order_by(hooks.c.created_at.desc(), hooks.c.id)
    if page is not None:
        number, size = page
        query = query.limit(size).offset((number - 1) * size)
    items = [hook_json(row) for row in conn.execute(query)]
    total = (
        conn.execute(select(func.count()).select_from(hooks)).scalar_one()
        if page is not None
        else len(items)
    )
    if with_stats and items:
        stats = execution_stats(conn, [h["id"] for h in items])
        for hook in items:
            hook["executionStats"] = stats[hook["id"]]
    return items, total


def update_hook(conn: Connection, hook_id: str, body: HookUpdate) -> dict[str, Any]:
    values: dict[str, Any] = {}
    given = body.model_fields_set
    if "name" in given and body.name is not None:
        values["name"] = body.name
    if "event" in given:
        values["event"] = body.event
    if "events" in given and body.events is not None:
        values["events"] = body.events
    if "config" in given and body.config is not None:
        # A config replaces the whole object, as in Logto.
        values["config"] = body.config.stored()
    if "enabled" in given and body.enabled is not None:
        values["enabled"] = body.enabled
    if values:
        result = conn.execute(update(hooks).where(hooks.c.id == hook_id).values(**values))
        found = result.rowcount > 0
        hooks_changed(conn)
    else:
        found = conn.execute(select(hooks.c.id).where(hooks.c.id == hook_id)).first() is not None
    if not found:
        raise ApiError(404, "entity.not_exists", "The hook does not exist.")
    return get_hook(conn, hook_id)


def delete_hook(conn: Connection, hook_id: str) -> None:
    if conn.execute(delete(hooks).where(hooks.c.id == hook_id)).rowcount == 0:
        raise ApiError(404, "entity.not_found", "The requested entity does not exist.")
    hooks_changed(conn)


def rotate_signing_key(conn: Connection, hook_id: str, grace_seconds: float) -> dict[str, Any]:
    """A new signing key; the one it replaces goes on signing for `grace_seconds` (0: not at
    all). Only that one is kept: a key replaced before it stops signing at once."""
    grace_ms = round(grace_seconds * 1000)
    keeps_old = grace_ms > 0
    # On a whole second: `webhook-timestamp` counts seconds, and a request is signed with the
    # old key while its timestamp is before the expiry, so it stops signing exactly then.
    expires_at = math.ceil((now_ms() + grace_ms) / 1000) * 1000
    result = conn.execute(
        update(hooks)
        .where(hooks.c.id == hook_id)
        .values(
            signing_key=signing_key(),
            # SET reads the row as it was: this is the replaced key, not the new one.
            previous_signing_key=hooks.c.signing_key if keeps_old else None,
            previous_key_expires_at=expires_at if keeps_old else None,
        )
    )
    if result.rowcount == 0:
        raise ApiError(404, "entity.not_exists", "The hook does not exist.")
    hooks_changed(conn)
    return get_hook(conn, hook_id)


def stored_signing_keys(conn: Connection, hook_id: str) -> tuple[str, tuple[str, int] | None]:
    """The hook's signing key, and the key a rotation replaced with its expiry (Unix ms)."""
    row = conn.execute(
        select(
            hooks.c.signing_key, hooks.c.previous_signing_key, hooks.c.previous_key_expires_at
        ).where(hooks.c.id == hook_id)
    ).first()
    if row is None:
        raise not_exists_with_id("hooks", hook_id)
    key, previous_key, expires_at = row
    return key, None if previous_key is None else (previous_key, expires_at)
