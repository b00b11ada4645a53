"""Deliveries in order per subject, for hooks with `config.ordering: "subject"`: their
deliveries carry the event's subject and sequence (`ordered_subject`, `ordered_sequence`).

A delivery's turn comes when no earlier delivery of its subject to its hook is unfinished
(leased, or pending: a retry in the future included). A claim takes deliveries in their turn
only. It holds back, until a lease taken then would run out, those that wait behind a pending
one (a retry, or one held back itself): a subject waiting behind a failing delivery costs the
claims nothing meanwhile. Once a delivery in turn is finished, the dispatcher passes the turn
on: the next of its subject is due at once. The one right behind a delivery in flight is not
held back: on PostgreSQL a claim that looked before that delivery was finished could
otherwise hold it back after its turn was passed, for nobody to pass again. Were a turn lost
all the same (a crash between finishing and passing it), the next is looked at again when its
hold ends. The claim alone keeps the order: holding back only spares it rows that cannot go
yet, and is skipped while no hook delivers in order (targets.HookTargets.any_ordered).
"""

from __future__ import annotations

from hookline.outbox.queue.values import UNFINISHED, DeliveryState

_PENDING = DeliveryState.PENDING


def _earlier(condition: str) -> str:
    """Whether an earlier delivery of the subject of `d` to its hook meets `condition`; the
    `deliveries_ordered` index finds them."""
    return (
        "EXISTS (SELECT 1 FROM deliveries AS earlier"
        " WHERE earlier.hook_id = d.hook_id AND earlier.ordered_subject = d.ordered_subject"
        f" AND earlier.ordered_sequence < d.ordered_sequence AND earlier.{UNFINISHED}"
        f"{condition})"
    )


# For a `deliveries` row named `d`.
IN_TURN = f"(d.ordered_subject IS NULL OR NOT {_earlier('')})"
# The `deliveries_held` index's predicate first, so that it finds them among the due ones.
_BEHIND_A_PENDING_ONE = (
    f"d.status = {_PENDING:d} AND d.ordered_subject IS NOT NULL"
    f" AND {_earlier(f' AND earlier.status = {_PENDING:d}')}"
)

# $1: until when (a lease taken now would run out then); $2: now.
HOLD = (
    "UPDATE deliveries SET next_attempt_at = $1 WHERE id IN (SELECT id FROM deliveries AS d"
    f" WHERE {_BEHIND_A_PENDING_ONE} AND d.next_attempt_at <= $2{{lock}})"
)

# The next of a (hook, subject): its oldest unfinished delivery, if never tried and held.
# $1: now; $2: the hook; $3: the subject.
PASS_TURN = (
    "UPDATE deliveries SET next_attempt_at = $1 WHERE id = (SELECT id FROM deliveries"
    f" WHERE hook_id = $2 AND ordered_subject = $3 AND {UNFINISHED}"
    " ORDER BY ordered_sequence LIMIT 1)"
    f" AND status = {_PENDING:d} AND attempts = 0 AND next_attempt_at > $1"
)
