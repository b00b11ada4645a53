"""Brute-force protection and the code-send rate limit, on `sentinel_activities`.

Attempts count against the identity an identifier resolves to (`lockout_target`), so that
no other spelling of an address gets a budget of its own; targets are stored as SHA-256 hex
(as Logto's `targetHash`). Logto keeps a decision and its expiry per activity; hookline
folds them into `result`:

- `Success` / `Failed`: an allowed attempt and its outcome;
- `Blocked`: the failed attempt that started a lockout (the lockout ends `lockoutDuration`
  minutes after it);
- `Refused`: an attempt made while locked out (it neither counts nor extends the lockout).

Failed attempts are counted over the last hour, all verification actions together, and a
lockout starts when they reach `maxAttempts` (Logto's BasicSentinel).
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import Connection, func, insert, select

from hookline.db.tables import sentinel_activities as activities
from hookline.ids import now_ms

VERIFICATION_ACTIONS = ("Password", "VerificationCode")
SEND_ACTION = "VerificationCodeSend"
FAILURE_WINDOW_MS = 3_600_000


def target_hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def lockout_target(identifier: dict[str, str], user_id: str | None) -> str:
    """Who a verification attempt counts against: the user the identifier finds, else the
    identifier as users are matched (an email in any case, a phone by its digits)."""
    if user_id is not None:
        return f"user:{user_id}"
    kind, value = identifier["type"], identifier["value"]
    return f"{kind}:{value if kind == 'username' else normalize_recipient(value)}"


def report(
    conn: Connection, action: str, lockout: str, failed: bool, policy: dict[str, int]
) -> int | None:
    """Record one verification attempt against `lockout` (see `lockout_target`); return when
    the lockout ends if it is blocked."""
    now = now_ms()
    target = target_hash(lockout)
    duration = policy["lockoutDuration"] * 60_000
    mine = (
        activities.c.target_type == "User",
        activities.c.target == target,
        activities.c.action.in_(VERIFICATION_ACTIONS),
    )
    started = conn.execute(
        select(func.max(activities.c.created_at)).where(
            *mine, activities.c.result == "Blocked", activities.c.created_at > now - duration
        )
    ).scalar()
    if started is not None:
        _insert(conn, target, action, "Refused", now)
        return int(started) + duration
    failures = conn.execute(
        select(func.count()).where(
            *mine,
            activities.c.result == "Failed",
            activities.c.created_at > now - FAILURE_WINDOW_MS,
        )
    ).scalar_one()
    if failures + (1 if failed else 0) >= policy["maxAttempts"]:
        _insert(conn, target, action, "Blocked", now)
        return now + duration
    _insert(conn, target, action, "Failed" if failed else "Success", now)
    return None


def normalize_recipient(recipient: str) -> str:
    """Casing and formatting variants of one address share one send bucket."""
    value = recipient.strip()
    return value.lower() if "@" in value else "".join(ch for ch in value if ch.isdigit())


def sends_within(conn: Connection, recipient: str, window_s: int) -> int:
    since = now_ms() - window_s * 1000
    return conn.execute(
        select(func.count()).where(
            activities.c.target_type == "User",
            activities.c.target == target_hash(normalize_recipient(recipient)),
            activities.c.action == SEND_ACTION,
            activities.c.created_at > since,
        )
    ).scalar_one()


def record_send(conn: Connection, recipient: str) -> None:
    _insert(conn, target_hash(normalize_recipient(recipient)), SEND_ACTION, "Success", now_ms())


def _insert(conn: Connection, target: str, action: str, result: str, at: int) -> Any:
    return conn.execute(
        insert(activities).values(
            target_type="User", target=target, action=action, result=result, created_at=at
        )
    )
