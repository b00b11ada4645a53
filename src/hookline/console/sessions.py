"""Console sessions, kept in the database: the cookie holds a random value, the row its
SHA-256, the admin's name, an expiry and the token every form must send back (CSRF)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, select

from hookline.db.tables import console_sessions
from hookline.ids import cookie_token, token_hash

COOKIE = "hookline_console"
# A pre-session token for the sign-in form, so that no other site can sign a browser in.
SIGN_IN_COOKIE = "hookline_console_sign_in"
LIFETIME_MS = 12 * 3600 * 1000


@dataclass(frozen=True, slots=True)
class Session:
    username: str
    csrf_token: str


def new_token() -> str:
    return cookie_token()


def start(conn: Connection, token: str, username: str, now_ms: int) -> None:
    """Store a session for `token` (made by `new_token`), and drop the expired ones."""
    conn.execute(delete(console_sessions).where(console_sessions.c.expires_at <= now_ms))
    conn.execute(
        insert(console_sessions).values(
            id_hash=token_hash(token),
            username=username,
            csrf_token=new_token(),
            created_at=now_ms,
            expires_at=now_ms + LIFETIME_MS,
        )
    )


def find(conn: Connection, token: str, now_ms: int) -> Session | None:
    row = conn.execute(
        select(console_sessions.c.username, console_sessions.c.csrf_token).where(
            console_sessions.c.id_hash == token_hash(token),
            console_sessions.c.expires_at > now_ms,
        )
    ).first()
    return None if row is None else Session(*row)


def end(conn: Connection, token: str) -> None:
    conn.execute(delete(console_sessions).where(console_sessions.c.id_hash == token_hash(token)))
