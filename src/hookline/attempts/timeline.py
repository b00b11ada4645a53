"""Hooks' last 24 hours, hour by hour: attempts that succeeded, that failed, and how long
they took (for the console's charts)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, case, func, select

from hookline.attempts.stats import DAY_MS
from hookline.db.tables import logs

HOUR_MS = 3600 * 1000


@dataclass(frozen=True, slots=True)
class Hour:
    start_ms: int
    successes: int
    failures: int
    mean_ms: float | None  # mean duration of the hour's attempts; None without any
    max_ms: float | None


def last_day(conn: Connection, hook_id: str, now_ms: int) -> list[Hour]:
    """24 hours, oldest first, the last one ending at the end of the current hour."""
    return last_days(conn, [hook_id], now_ms)[hook_id]


def last_days(conn: Connection, hook_ids: list[str], now_ms: int) -> dict[str, list[Hour]]:
    """`last_day` of each hook, in one query."""
    end = (now_ms // HOUR_MS + 1) * HOUR_MS
    start = end - DAY_MS
    bucket = ((logs.c.created_at - start) // HOUR_MS).label("bucket")
    query = (
        select(
            logs.c.hook_id,
            bucket,
            func.sum(case((logs.c.result == "Success", 1), else_=0)),
            func.count(),
            func.avg(logs.c.duration_ms),
            func.max(logs.c.duration_ms),
        )
        .where(logs.c.hook_id.in_(hook_ids), logs.c.created_at >= start, logs.c.created_at < end)
        .group_by(logs.c.hook_id, bucket)
    )
    found = {
        (hook_id, int(index)): (int(ok or 0), int(count), mean, peak)
        for hook_id, index, ok, count, mean, peak in conn.execute(query)
    }
    days = {}
    for hook_id in hook_ids:
        hours = []
        for index in range(24):
            ok, count, mean, peak = found.get((hook_id, index), (0, 0, None, None))
            hours.append(
                Hour(
                    start + index * HOUR_MS,
                    ok,
                    count - ok,
                    None if mean is None else float(mean),
                    None if peak is None else float(peak),
                )
            )
        days[hook_id] = hours
    return days
