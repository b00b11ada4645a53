"""A hook is disabled by a 410 Gone at once, and after HOOKLINE_DISABLE_AFTER without a
success while some attempts failed; a success in between starts the count again. Each step
is a warning in the log, and an operational event for the other hooks."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from sqlalchemy import Engine

from hookline.outbox.queue import DeliveryState
from tests.delivery.clocked import OPERATIONAL, dispatching
from tests.support.receiver import Receiver, Reply

PENDING, FAILED = DeliveryState.PENDING, DeliveryState.FAILED
DELIVERED, CANCELLED = DeliveryState.DELIVERED, DeliveryState.CANCELLED
REVISION = "SELECT value FROM revisions WHERE name = 'hooks'"


def bodies(receiver: Receiver, path: str) -> list[dict]:
    return [json.loads(r.body) for r in receiver.requests if r.path == path]


def test_410_disables_the_hook_and_cancels_its_pending_deliveries(
    engine: Engine, database_url: str, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    receiver.on("/a?token=s3cret", Reply(503, b"", {}), Reply(410, b"", {}))
    caplog.set_level(logging.WARNING, "hookline.dispatcher")

    async def test() -> None:
        async with dispatching(engine, database_url) as run:
            gone = run.hook(receiver.url("/a?token=s3cret"), ["User.Created"])
            watcher = run.hook(receiver.url("/ops"), OPERATIONAL)
            first = run.emit()
            waiting = await run.delivery(first, PENDING, 1)  # 503: a retry due in ~5 s
            revision = run.one(REVISION)[0]
            second = run.emit()
            await run.delivery(second, FAILED, 1)  # 410
            assert not run.enabled(gone)
            assert run.one(REVISION)[0] > revision  # every dispatcher's targets reload
            await run.advance_to(waiting[2])
            await run.delivery(first, CANCELLED, 1)  # due, and not sent
            await run.until(lambda: len(bodies(receiver, "/ops")) == 2, "two notices")
            assert run.enabled(watcher)
            return gone

    gone = asyncio.run(test())
    assert [r.path for r in receiver.requests if r.path != "/ops"] == ["/a?token=s3cret"] * 2
    exhausted, disabled = sorted(bodies(receiver, "/ops"), key=lambda b: b["event"])
    assert exhausted["event"] == "Hook.Delivery.Exhausted"
    assert (disabled["event"], disabled["hook"], disabled["reason"]) == (
        "Hook.Disabled",
        {"id": gone},
        "gone",
    )
    assert disabled["delivery"]["lastStatus"] == 410
    actions = [(r.action, getattr(r, "next_attempt", None)) for r in caplog.records]
    assert actions[0][0] == "attempt_failed" and actions[0][1].endswith("Z")
    assert ("attempt_failed", "final") in actions
    assert {"delivery_exhausted", "hook_disabled"} <= {action for action, _ in actions}
    assert "s3cret" not in caplog.text and "/a" not in caplog.text


def test_a_hook_failing_for_disable_after_is_disabled(
    engine: Engine, database_url: str, receiver: Receiver
) -> None:
    # Each delivery: one try, one retry 20 min (±20 %) later; disabled after 30 min failing.
    receiver.on("/a", Reply(500, b"", {}), Reply(200), Reply(500, b"", {}))
    settings = {"retry_schedule": (1200.0,), "disable_after": 1800.0}

    async def test() -> None:
        async with dispatching(engine, database_url, **settings) as run:
            hook = run.hook(receiver.url("/a"), ["User.Created"])
            run.hook(receiver.url("/ops"), OPERATIONAL)
            first = run.emit()
            row = await run.delivery(first, PENDING, 1)
            failing_since = row[3]
            await run.advance_to(row[2])
            await run.delivery(first, DELIVERED, 2)  # the failing spell is over

            second = run.emit()  # fails twice, over 16–24 min: not long enough
            row = await run.delivery(second, PENDING, 1)
            failing_again = row[3]
            await run.advance_to(row[2])
            await run.delivery(second, FAILED, 2)
            assert run.enabled(hook)  # counted from the first spell, it would not be

            await run.advance_to(run.clock.now + 900)
            third = run.emit()  # 31–39 min after the first failure of this spell
            await run.delivery(third, PENDING, 1)
            await run.until(lambda: not run.enabled(hook), "the hook disabled")
            notices = await run.until(
                lambda: len(bodies(receiver, "/ops")) == 3 and bodies(receiver, "/ops"),
                "three notices",
            )
            assert run.one("SELECT count(*) FROM hook_health")[0] == 0  # a fresh start
            return failing_since, failing_again, notices

    failing_since, failing_again, notices = asyncio.run(test())
    by_event = {body["event"]: body for body in notices}
    assert set(by_event) == set(OPERATIONAL)
    assert by_event["Hook.Delivery.Recovered"]["failingSince"] == failing_since
    assert by_event["Hook.Delivery.Recovered"]["delivery"]["attempts"] == 2
    disabled = by_event["Hook.Disabled"]
    assert (disabled["reason"], disabled["failingSince"]) == ("failing", failing_again)
