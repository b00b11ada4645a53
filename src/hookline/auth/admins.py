"""The console's admin accounts: created from the command line, checked at sign-in, locked
for a while after repeated failures. Passwords are hashed by the caller (identity.passwords,
on a thread of PasswordGate), never inside a transaction."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, select, update

from hookline.db.tables import console_admins, console_sessions

USERNAME = re.compile(r"[A-Za-z0-9._@+-]{1,128}")
MIN_PASSWORD_LENGTH = 8
# Five wrong passwords in a row lock the account for fifteen minutes.
MAX_FAILED_SIGN_INS = 5
LOCKOUT_MS = 15 * 60 * 1000


class AdminExists(Exception):
    """An admin of that username exists already."""


@dataclass(frozen=True, slots=True)
class Admin:
    username: str
    password_hash: str
    locked_until: int | None

    def locked_at(self, now_ms: int) -> bool:
        return self.locked_until is not None and self.locked_until > now_ms


def create_admin(conn: Connection, username: str, password_hash: str, now_ms: int) -> None:
    if find_admin(conn, username) is not None:
        raise AdminExists(username)
    conn.execute(
        insert(console_admins).values(
            username=username, password_hash=password_hash, created_at=now_ms
        )
    )


def set_password(conn: Connection, username: str, password_hash: str) -> bool:
    """A new password, which also lifts a lock and ends the admin's sessions; False if there
    is no such admin."""
    changed = conn.execute(
        update(console_admins)
        .where(console_admins.c.username == username)
        .values(password_hash=password_hash, failed_sign_ins=0, locked_until=None)
    )
    conn.execute(delete(console_sessions).where(console_sessions.c.username == username))
    return changed.rowcount > 0


def find_admin(conn: Connection, username: str) -> Admin | None:
    row = conn.execute(
        select(
            console_admins.c.username,
            console_admins.c.password_hash,
            console_admins.c.locked_until,
        ).where(console_admins.c.username == username)
    ).first()
    return None if row is None else Admin(*row)


def record_failure(conn: Connection, username: str, now_ms: int) -> bool:
    """Count a wrong password; the one that reaches the limit locks the account and starts
    the count again. True if the account is locked now."""
    conn.execute(
        update(console_admins)
        .where(console_admins.c.username == username)
        .values(failed_sign_ins=console_admins.c.failed_sign_ins + 1)
    )
    locked = conn.execute(
        update(console_admins)
        .where(
            console_admins.c.username == username,
            console_admins.c.failed_sign_ins >= MAX_FAILED_SIGN_INS,
        )
        .values(failed_sign_ins=0, locked_until=now_ms + LOCKOUT_MS)
    )
    return locked.rowcount > 0


def record_success(conn: Connection, username: str) -> None:
    conn.execute(
        update(console_admins)
        .where(console_admins.c.username == username)
        .values(failed_sign_ins=0, locked_until=None)
    )
