"""Which hooks an event goes to, when hook changes share a transaction with other requests
(group commit) and that transaction is rolled back and run again."""

from __future__ import annotations

import asyncio

from sqlalchemy import Connection, Engine

from hookline.db.committer import GroupCommitter
from hookline.db.engine import write
from hookline.hooks import service
from hookline.hooks.validation import HookCreate
from hookline.outbox.emit import emit


def create_hook(conn: Connection) -> str:
    body = HookCreate(events=["User.Created"], config={"url": "http://127.0.0.1:9/x"})
    return service.create_hook(conn, body)["id"]


def refuse(_conn: Connection) -> None:
    raise ValueError("this request fails")


def fanned_out(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT hook_id FROM deliveries ORDER BY created_at, id")
        return [hook_id for (hook_id,) in rows]


def test_a_hook_created_in_a_batch_run_twice_gets_the_later_events(engine: Engine) -> None:
    async def batch() -> list[object]:
        committer = GroupCommitter(engine)
        # One batch: the first run fails on its last unit, rolls back, and runs each again.
        outcomes = await asyncio.gather(
            committer.run(create_hook),
            committer.run(lambda conn: emit(conn, "User.Created", {"n": 1})),
            committer.run(refuse),
            return_exceptions=True,
        )
        committer.close()
        return outcomes

    hook_id, _, refused = asyncio.run(batch())
    assert isinstance(refused, ValueError)
    with write(engine) as conn:
        emit(conn, "User.Created", {"n": 2})
    assert fanned_out(engine) == [hook_id, hook_id]  # the hook that exists, for both events
