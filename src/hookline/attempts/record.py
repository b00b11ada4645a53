"""The record of one attempt, as a row of the `logs` table (Logto's `TriggerHook.<event>`)."""

from __future__ import annotations

from hookline.ids import now_ms
from hookline.outbox.queue import Claimed
from hookline.sender.outcome import Outcome


def log_row(claimed: Claimed, attempt: int, outcome: Outcome) -> tuple:
    return (
        # Unique per attempt and as time-ordered as the delivery id it extends.
        f"log_{claimed.delivery_id[4:]}_{attempt}",
        f"TriggerHook.{claimed.event}",
        claimed.hook_id,
        claimed.delivery_id,
        claimed.event_id,
        attempt,
        "Success" if outcome.ok else "Error",
        outcome.status,
        _storable(outcome.body),
        _storable(outcome.error_text()),
        round(outcome.duration_ms, 3),
        now_ms(),
    )


def _storable(text: str | None) -> str | None:
    """A receiver's answer as text a database takes: PostgreSQL refuses NUL characters, and
    one refused row would hold up the recording of every other."""
    return text.replace("\x00", "\ufffd") if text and "\x00" in text else text
