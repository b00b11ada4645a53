"""The warnings an operator reads of what fails: an attempt, a delivery that gives up, a hook
disabled. Ids, attempt numbers, status codes and kinds of error only: never a body, a URL
(its query may hold a token) or a secret."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime

from hookline.outbox.queue import Claimed, DeliveryState, Finish, HealthReport
from hookline.sender.outcome import Outcome

log = logging.getLogger("hookline.dispatcher")


def log_failed_attempt(
    claimed: Claimed, attempt: int, outcome: Outcome, next_attempt_at: float | None
) -> None:
    """`next_attempt_at`: Unix seconds, or None when this attempt was the last."""
    log.warning(
        "delivery attempt failed",
        extra={
            "action": "attempt_failed",
            "hook_id": claimed.hook_id,
            "event": claimed.event,
            "delivery_id": claimed.delivery_id,
            "attempt": attempt,
            **_answer(outcome.status, outcome.failure.value if outcome.failure else None),
            "next_attempt": "final" if next_attempt_at is None else _iso(next_attempt_at),
        },
    )


def log_consequences(finished: Iterable[Finish], report: HealthReport) -> None:
    """After a recording has committed: the deliveries that gave up, the hooks disabled."""
    for finish in finished:
        if finish.status == DeliveryState.FAILED and finish.attempted_at is not None:
            log.warning(
                "delivery gave up",
                extra={
                    "action": "delivery_exhausted",
                    "hook_id": finish.hook_id,
                    "delivery_id": finish.delivery_id,
                    "attempts": finish.attempts,
                    **_answer(finish.status_code, finish.error),
                },
            )
    for hook_id, reason in report.disabled.items():
        log.warning(
            "hook disabled", extra={"action": "hook_disabled", "hook_id": hook_id, "reason": reason}
        )


def _answer(status: int | None, error: str | None) -> dict[str, object]:
    """The status code that came, or else the kind of error (`TimeoutError`), without its
    message: a message may quote the URL."""
    if status is not None:
        return {"status": status}
    return {"error": error.partition(":")[0] if error else "unknown"}


def _iso(seconds: float) -> str:
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
