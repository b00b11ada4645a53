"""The record of one attempt, as a row of the `logs` table (Logto's `TriggerHook.<event>`)."""

from __future__ import annotations

from hookline.ids import now_ms, sortable_id
from hookline.outbox.queue import Claimed
from hookline.sender.outcome import Outcome


def log_row(claimed: Claimed, attempt: int, outcome: Outcome) -> tuple:
    return (
        sortable_id("log"),
        f"TriggerHook.{claimed.event}",
        claimed.hook_id,
        claimed.delivery_id,
        claimed.event_id,
        attempt,
        "Success" if outcome.ok else "Error",
        outcome.status,
        outcome.body,
        outcome.error_text(),
        round(outcome.duration_ms, 3),
        now_ms(),
    )
