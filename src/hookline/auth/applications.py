"""Client secrets, and the bootstrap application: the one the environment names
(HOOKLINE_ADMIN_CLIENT_*) or, when it names none, one generated on the first start."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from sqlalchemy import Connection, insert, select, update

from hookline.auth.access import grant_management
from hookline.db.tables import applications
from hookline.ids import client_secret, now_ms, random_id


def hash_secret(secret: str) -> str:
    """Client secrets are long random strings, so a fast hash is enough (unlike passwords)."""
    return "sha256$" + hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Bootstrap:
    client_id: str
    client_secret: str | None  # set only when generated now, to be shown once


def ensure_bootstrap(conn: Connection, client_id: str | None, secret: str | None) -> Bootstrap:
    """Make sure the bootstrap application exists, and that every application ever set up
    this way holds Management API access: restarting restores an operator's way in."""
    bootstrap = _upsert_bootstrap(conn, client_id, secret)
    query = select(applications.c.id).where(applications.c.is_bootstrap)
    for app_id in conn.execute(query).scalars().all():
        grant_management(conn, app_id)
    return bootstrap


def _upsert_bootstrap(conn: Connection, client_id: str | None, secret: str | None) -> Bootstrap:
    if client_id and secret:
        row = conn.execute(select(applications.c.id).where(applications.c.id == client_id)).first()
        values = {"secret_hash": hash_secret(secret), "is_bootstrap": True}
        if row is None:
            conn.execute(
                insert(applications).values(
                    id=client_id,
                    name="Admin",
                    type="MachineToMachine",
                    created_at=now_ms(),
                    **values,
                )
            )
        else:
            conn.execute(
                update(applications).where(applications.c.id == client_id).values(**values)
            )
        return Bootstrap(client_id, None)
    existing = conn.execute(
        select(applications.c.id)
        .where(applications.c.is_bootstrap)
        .order_by(applications.c.created_at)
    ).first()
    if existing is not None:
        return Bootstrap(existing[0], None)
    new_id, new_secret = random_id(), client_secret()
    conn.execute(
        insert(applications).values(
            id=new_id,
            name="Admin",
            type="MachineToMachine",
            secret_hash=hash_secret(new_secret),
            is_bootstrap=True,
            created_at=now_ms(),
        )
    )
    return Bootstrap(new_id, new_secret)


def verify_secret(conn: Connection, client_id: str, secret: str) -> bool:
    stored = conn.execute(
        select(applications.c.secret_hash).where(
            applications.c.id == client_id, applications.c.type == "MachineToMachine"
        )
    ).scalar()
    if not stored:
        return False
    return hmac.compare_digest(stored, hash_secret(secret))
