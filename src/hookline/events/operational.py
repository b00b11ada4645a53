"""The bodies of hookline's operational events: what became of a hook and its deliveries.
Pure: no I/O.

Each names the hook it is about as `hook: {id}`, apart from the `hookId` of the hook that
receives it, and the delivery that caused it as `delivery: {id, event, attempts, lastStatus,
lastError}` (`lastError`: the kind of failure, such as `TimeoutError`, never its message)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hookline.events.payloads import event_body

DISABLED = "Hook.Disabled"
EXHAUSTED = "Hook.Delivery.Exhausted"
RECOVERED = "Hook.Delivery.Recovered"

# Why a hook was disabled: its receiver answered 410 Gone, or nothing succeeded for too long.
GONE = "gone"
FAILING = "failing"


def delivery(
    delivery_id: str, event: str, attempts: int, status: int | None, error: str | None
) -> dict[str, Any]:
    return {
        "id": delivery_id,
        "event": event,
        "attempts": attempts,
        "lastStatus": status,
        "lastError": error.partition(":")[0] if error else None,
    }


def exhausted(hook_id: str, failed: dict[str, Any]) -> dict[str, Any]:
    return {"hook": {"id": hook_id}, "delivery": failed}


def recovered(hook_id: str, failing_since: int, succeeded: dict[str, Any]) -> dict[str, Any]:
    return {"hook": {"id": hook_id}, "failingSince": failing_since, "delivery": succeeded}


def disabled(
    hook_id: str, reason: str, failing_since: int | None, last: dict[str, Any]
) -> dict[str, Any]:
    return {
        "hook": {"id": hook_id},
        "reason": reason,
        "failingSince": failing_since,
        "delivery": last,
    }


def body(event: str, payload: dict[str, Any], at: float) -> bytes:
    """The stored body (`hookId` is added per receiving hook), created at Unix seconds `at`."""
    created = datetime.fromtimestamp(at, UTC).isoformat(timespec="milliseconds")
    return event_body(event, created.replace("+00:00", "Z"), payload)
