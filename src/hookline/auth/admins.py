"""The console's admin accounts: created from the command line, checked at sign-in, locked
for a while after repeated failures. Passwords are hashed by the caller (identity.passwords,
on a thread of PasswordGate), never inside a transaction."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Connection, and_, case, delete, insert, or_, select, update

from hookline.db.tables import console_admins, console_sessions

USERNAME = re.compile(r"[A-Za-z0-9._@+-]{1,128}")
MIN_PASSWORD_LENGTH = 8
# Five sign-ins in a row without a right password lock the account for fifteen minutes.
MAX_FAILED_SIGN_INS = 5
LOCKOUT_MS = 15 * 60 * 1000


class AdminExists(Exception):
    """An admin of that username exists already."""


@dataclass(frozen=True, slots=True)
class Admin:
    username: str
    password_hash: str
    locked_until: int | None


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


def reserve_attempt(conn: Connection, username: str, now_ms: int) -> str | None:
    """Spend one of the admin's attempts before the password is checked, in one statement,
    so that guesses sent side by side cannot check more than the limit between them: the
    one that reaches the limit locks the account, and a lock that has run out starts the
    count again. The password hash to check, or None if there is no such admin or it is
    locked (nothing then to check)."""
    admins = console_admins.c
    expired = and_(admins.locked_until.is_not(None), admins.locked_until <= now_ms)
    count = case((expired, 1), else_=admins.failed_sign_ins + 1)
    reserved = conn.execute(
        update(console_admins)
        .where(
            admins.username == username,
            or_(
                and_(admins.locked_until.is_(None), admins.failed_sign_ins < MAX_FAILED_SIGN_INS),
                expired,
            ),
        )
        .values(
            failed_sign_ins=count,
            locked_until=case((count >= MAX_FAILED_SIGN_INS, now_ms + LOCKOUT_MS), else_=None),
        )
    )
    if reserved.rowcount == 0:
        return None
    admin = find_admin(conn, username)
    return None if admin is None else admin.password_hash


def record_success(conn: Connection, username: str) -> None:
    conn.execute(
        update(console_admins)
        .where(console_admins.c.username == username)
        .values(failed_sign_ins=0, locked_until=None)
    )
