"""Send times for rate-limited hooks (`config.rateLimit`), kept in `hook_pacing` so that every
dispatcher process paces a hook together: each hook's next free send time, moved on by each
reservation.

A reservation takes send times `interval` apart from the hook's next free one (or now), and
none further than `reach` from now: a delivery waits for its time under a lease that must not
run out meanwhile. The hook's row is locked from reading it to writing it back.
"""

from __future__ import annotations

from typing import NamedTuple

# $1: the hook; $2: now. Locks the hook's row (creating it) and reads its next free time; no
# row when the hook is gone.
LOCK = (
    "INSERT INTO hook_pacing (hook_id, next_slot_at)"
    " SELECT id, CAST($2 AS DOUBLE PRECISION) FROM hooks WHERE id = $1"
    " ON CONFLICT (hook_id) DO UPDATE SET next_slot_at = hook_pacing.next_slot_at"
    " RETURNING next_slot_at"
)
# $1: the hook; $2: its next free time.
MOVE = "UPDATE hook_pacing SET next_slot_at = $2 WHERE hook_id = $1"


class Slots(NamedTuple):
    """`number` send times from `first` (Unix seconds), `interval` apart."""

    first: float
    number: int
    interval: float

    def at(self, n: int) -> float:
        return self.first + n * self.interval

    @property
    def after(self) -> float:
        """The hook's next free send time once these are taken."""
        return self.at(self.number)


def slots(next_free: float, now: float, wanted: int, interval: float, reach: float) -> Slots:
    """Up to `wanted` send times from the hook's next free one, none later than `now + reach`.

    A next free time further ahead than a reservation at this interval leaves it (one taken at
    a slower rate before, or by a clock ahead of ours) counts from there: the hook is never
    held back longer than its present rate asks."""
    first = max(now, min(next_free, now + reach + interval))
    if first > now + reach:
        return Slots(first, 0, interval)
    return Slots(first, min(wanted, int((now + reach - first) / interval) + 1), interval)
