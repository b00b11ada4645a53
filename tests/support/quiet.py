"""Proving that nothing more will arrive, without waiting "long enough".

A delivery row is written in the same transaction as the change that causes it, so once a
call has been answered, every delivery it caused exists. A row leaves `pending` and `leased`
only when its attempt is over, and the receiver records a request before it answers it, or
when it is cancelled (its hook is gone or disabled), and then it is never sent. So once no
delivery to a hook is pending or leased, its receiver holds everything that will ever come of
the calls made before. Arrival order is not relied on: one hook's deliveries claimed in one
batch are sent concurrently and may arrive in any order.
"""

from __future__ import annotations

from hookline.outbox.queue.values import DeliveryState
from tests.support.server import Server
from tests.support.waiting import wait_until

_OPEN = (
    "SELECT count(*) FROM deliveries WHERE status IN"
    f" ({DeliveryState.PENDING:d}, {DeliveryState.LEASED:d}) AND hook_id IN ({{}})"
)


def settle(server: Server, *hook_ids: str, timeout: float = 10.0) -> None:
    """Wait until no delivery to these hooks is pending or leased."""

    def settled() -> bool:
        [(count,)] = server.sql(_OPEN.format(",".join("?" * len(hook_ids))), hook_ids)
        return count == 0

    wait_until(settled, f"the deliveries to {', '.join(hook_ids)} to be over", timeout)
