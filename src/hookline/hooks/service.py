"""The hook resource: create, read, update, delete, rotate the signing key."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from sqlalchemy import Connection, case, delete, func, insert, literal, select, update

from hookline.attempts.stats import execution_stats
from hookline.db.tables import hooks
from hookline.errors import ApiError, not_exists_with_id
from hookline.hooks.validation import HookCreate, HookUpdate, check_sync
from hookline.ids import now_ms, random_id, signing_key
from hookline.outbox.fanout import hooks_changed
from hookline.sender.ed25519 import jwk, new_key_pair


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
        # The Ed25519 public key (`whpk_…`) that signs `v1a` while `config.asymmetricSignature`
        # is on; null until it is first turned on. The private key never leaves the server.
        "signingPublicKey": row.ed25519_public_key,
    }


def _while_signing(expires_at: int | None) -> int | None:
    return expires_at if expires_at is not None and expires_at > now_ms() else None


def create_hook(conn: Connection, body: HookCreate) -> dict[str, Any]:
    if not body.events and not body.event:
        raise ApiError(400, "hook.missing_events", "You need to provide at least one event.")
    check_sync(body.events or [], body.event, body.config.stored())
    hook_id = random_id()
    private_key, public_key = new_key_pair() if body.config.asymmetricSignature else (None, None)
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
            ed25519_private_key=private_key,
            ed25519_public_key=public_key,
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
        if body.config.asymmetricSignature:
            # The first time it is turned on, the hook gets its key pair; later it keeps it,
            # so that turning the option off and on again needs nothing new of receivers.
            private_key, public_key = new_key_pair()
            values["ed25519_private_key"] = func.coalesce(hooks.c.ed25519_private_key, private_key)
            values["ed25519_public_key"] = func.coalesce(hooks.c.ed25519_public_key, public_key)
    if "enabled" in given and body.enabled is not None:
        values["enabled"] = body.enabled
    if values:
        _check_sync_update(conn, hook_id, values)
        result = conn.execute(update(hooks).where(hooks.c.id == hook_id).values(**values))
        found = result.rowcount > 0
        hooks_changed(conn)
    else:
        found = conn.execute(select(hooks.c.id).where(hooks.c.id == hook_id)).first() is not None
    if not found:
        raise ApiError(404, "entity.not_exists", "The hook does not exist.")
    return get_hook(conn, hook_id)


def _check_sync_update(conn: Connection, hook_id: str, values: dict[str, Any]) -> None:
    """The hook as the update leaves it must still be a valid synchronous hook, if it is one."""
    row = conn.execute(
        select(hooks.c.events, hooks.c.event, hooks.c.config).where(hooks.c.id == hook_id)
    ).first()
    if row is None:
        return
    merged = {"events": row.events, "event": row.event, "config": row.config} | values
    check_sync(merged["events"] or [], merged["event"], merged["config"] or {})


def delete_hook(conn: Connection, hook_id: str) -> None:
    if conn.execute(delete(hooks).where(hooks.c.id == hook_id)).rowcount == 0:
        raise ApiError(404, "entity.not_found", "The requested entity does not exist.")
    hooks_changed(conn)


def rotate_signing_key(conn: Connection, hook_id: str, grace_seconds: float) -> dict[str, Any]:
    """A new signing key, and a new Ed25519 pair for a hook that has one; the ones they
    replace go on signing for `grace_seconds` (0: not at all). Only those are kept: keys
    replaced before they stop signing stop at once."""
    grace_ms = round(grace_seconds * 1000)
    keeps_old = grace_ms > 0
    # On a whole second: `webhook-timestamp` counts seconds, and a request is signed with the
    # old key while its timestamp is before the expiry, so it stops signing exactly then.
    expires_at = math.ceil((now_ms() + grace_ms) / 1000) * 1000
    private_key, public_key = new_key_pair()
    has_pair = hooks.c.ed25519_private_key.is_not(None)
    result = conn.execute(
        update(hooks)
        .where(hooks.c.id == hook_id)
        .values(
            signing_key=signing_key(),
            # SET reads the row as it was: this is the replaced key, not the new one.
            previous_signing_key=hooks.c.signing_key if keeps_old else None,
            previous_key_expires_at=expires_at if keeps_old else None,
            ed25519_private_key=case((has_pair, literal(private_key)), else_=None),
            ed25519_public_key=case((has_pair, literal(public_key)), else_=None),
            previous_ed25519_private_key=hooks.c.ed25519_private_key if keeps_old else None,
            previous_ed25519_public_key=hooks.c.ed25519_public_key if keeps_old else None,
        )
    )
    if result.rowcount == 0:
        raise ApiError(404, "entity.not_exists", "The hook does not exist.")
    hooks_changed(conn)
    return get_hook(conn, hook_id)


class SigningKeys(NamedTuple):
    """A hook's keys as `Target` takes them: previous ones with their expiry (Unix ms)."""

    signing_key: str
    previous_key: tuple[str, int] | None
    # Only while `config.asymmetricSignature` is on.
    ed25519_key: str | None
    previous_ed25519_key: tuple[str, int] | None


def stored_signing_keys(conn: Connection, hook_id: str) -> SigningKeys:
    """The keys that sign the hook's deliveries."""
    row = conn.execute(
        select(
            hooks.c.config,
            hooks.c.signing_key,
            hooks.c.previous_signing_key,
            hooks.c.previous_key_expires_at,
            hooks.c.ed25519_private_key,
            hooks.c.previous_ed25519_private_key,
        ).where(hooks.c.id == hook_id)
    ).first()
    if row is None:
        raise not_exists_with_id("hooks", hook_id)
    return keys_of(row)


def keys_of(row: Any) -> SigningKeys:
    """The keys of a hook's row (`config` and the key columns) that sign its requests."""
    expires_at = row.previous_key_expires_at or 0
    ed25519 = row.ed25519_private_key if row.config.get("asymmetricSignature") is True else None
    previous_ed25519 = row.previous_ed25519_private_key if ed25519 else None
    return SigningKeys(
        row.signing_key,
        None if row.previous_signing_key is None else (row.previous_signing_key, expires_at),
        ed25519,
        None if previous_ed25519 is None else (previous_ed25519, expires_at),
    )


def public_keys(conn: Connection, hook_id: str) -> dict[str, list[dict[str, str]]]:
    """The hook's JWKS: its Ed25519 public key, then the one a rotation replaced while that
    one still signs. `{"keys": []}` for a hook that has no pair (yet): the hook exists, and a
    receiver may be set up before the option is turned on."""
    row = conn.execute(
        select(
            hooks.c.ed25519_public_key,
            hooks.c.previous_ed25519_public_key,
            hooks.c.previous_key_expires_at,
        ).where(hooks.c.id == hook_id)
    ).first()
    if row is None:
        raise not_exists_with_id("hooks", hook_id)
    keys = [row.ed25519_public_key]
    if _while_signing(row.previous_key_expires_at) is not None:
        keys.append(row.previous_ed25519_public_key)
    return {"keys": [jwk(key) for key in keys if key is not None]}
