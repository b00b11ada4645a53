"""Execution statistics: attempts and successes per hook over the last 24 hours."""

from __future__ import annotations

from sqlalchemy import Connection, case, func, select

from hookline.db.tables import logs
from hookline.ids import now_ms

DAY_MS = 24 * 3600 * 1000


def execution_stats(conn: Connection, hook_ids: list[str]) -> dict[str, dict[str, int]]:
    stats = {hook_id: {"successCount": 0, "requestCount": 0} for hook_id in hook_ids}
    query = (
        select(
            logs.c.hook_id,
            func.sum(case((logs.c.result == "Success", 1), else_=0)),
            func.count(),
        )
        .where(logs.c.hook_id.in_(hook_ids), logs.c.created_at > now_ms() - DAY_MS)
        .group_by(logs.c.hook_id)
    )
    for hook_id, successes, requests in conn.execute(query):
        stats[hook_id] = {"successCount": int(successes or 0), "requestCount": int(requests)}
    return stats
