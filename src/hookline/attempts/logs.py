"""Reading delivery logs back as Logto's `TriggerHook.<event>` log entries."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Connection, func, select

from hookline.attempts.sanitize import sanitize
from hookline.attempts.stats import DAY_MS
from hookline.db.tables import events, logs
from hookline.events.payloads import with_hook_id
from hookline.ids import now_ms


def recent_logs(
    conn: Connection,
    hook_id: str,
    page: int,
    page_size: int,
    log_key: str | None = None,
    start_time: int | None = None,
    end_time: int | None = None,
    result: str | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """`result`: "Success" or "Error" for only those attempts."""
    conditions = [logs.c.hook_id == hook_id, logs.c.key.like("TriggerHook%")]
    if log_key is not None:
        conditions.append(logs.c.key == log_key)
    if result is not None:
        conditions.append(logs.c.result == result)
    if start_time is None and end_time is None:
        conditions.append(logs.c.created_at > now_ms() - DAY_MS)
    if start_time is not None:
        conditions.append(logs.c.created_at >= start_time)
    if end_time is not None:
        conditions.append(logs.c.created_at <= end_time)
    total = conn.execute(select(func.count()).select_from(logs).where(*conditions)).scalar_one()
    query = (
        select(logs, events.c.body)
        .join(events, events.c.id == logs.c.event_id, isouter=True)
        .where(*conditions)
        .order_by(logs.c.created_at.desc(), logs.c.id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    return [to_entry(row) for row in conn.execute(query)], total


def log_entry(conn: Connection, hook_id: str, log_id: str) -> dict[str, Any] | None:
    """One attempt of the hook as a log entry, or None."""
    query = (
        select(logs, events.c.body)
        .join(events, events.c.id == logs.c.event_id, isouter=True)
        .where(logs.c.id == log_id, logs.c.hook_id == hook_id)
    )
    row = conn.execute(query).first()
    return None if row is None else to_entry(row)


def to_entry(row: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {"key": row.key, "result": row.result, "hookId": row.hook_id}
    if row.body is not None:
        sent = orjson.loads(with_hook_id(row.body, row.hook_id))
        payload["hookRequest"] = {"body": sanitize(sent)}
    if row.status_code is not None:
        payload["response"] = {"statusCode": row.status_code, "body": _parsed(row.response_body)}
    if row.error is not None:
        payload["error"] = row.error
    # hookline's additions: which delivery, which attempt, how long it took.
    payload["deliveryId"] = row.delivery_id
    payload["attempt"] = row.attempt
    payload["durationMs"] = row.duration_ms
    if row.decision is not None:
        # A synchronous hook's call: what it decided, and why when the receiver did not.
        action, _, reason = row.decision.partition(": ")
        payload["decision"] = {"action": action, "reason": reason or "answer"}
    return {"id": row.id, "key": row.key, "payload": payload, "createdAt": row.created_at}


def _parsed(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return text
