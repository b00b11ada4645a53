"""Rate-limited hooks (`config.rateLimit`) on a dispatcher's side: how many of a hook's
deliveries it claims at once, and when each of them may go.

The send times are reserved in the database (outbox.queue.pacing), so that all dispatchers
together keep to the limit; a dispatcher claims no more of a hook than it may send in about a
second, so that its deliveries wait briefly under their leases. One whose time is beyond
reach is not sent but due again when its time comes within reach.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping

from hookline.config import Settings
from hookline.outbox.queue import Claimed, Queue

log = logging.getLogger("hookline.dispatcher")

HORIZON = 1.0  # seconds of a rate-limited hook's sending a dispatcher claims at once


class Pacing:
    def __init__(
        self, settings: Settings, clock: Callable[[], float], stopped: asyncio.Event
    ) -> None:
        self._per_hook = settings.max_in_flight_per_hook
        # Half of what a lease leaves beside the request: waiting, then sending, ends well
        # before another dispatcher could take the delivery over.
        self._reach = (settings.lease_seconds - settings.request_timeout) / 2
        self._retry = settings.poll_interval
        self._clock = clock
        self._stopped = stopped
        self._rates: Mapping[str, float] = {}
        self._shares: dict[str, int] = {}
        # Delivery → (when, whether it is sent then or only due again then).
        self._times: dict[str, tuple[float, bool]] = {}

    def shares(self, rates: Mapping[str, float]) -> Mapping[str, int]:
        """Hook → how many of its deliveries to hold at once, for the rate-limited hooks."""
        if rates is not self._rates:  # the queue read the hooks again
            self._rates = rates
            self._shares = {hook: self.share(rate) for hook, rate in rates.items()}
        return self._shares

    def share(self, rate: float | None) -> int:
        if rate is None:
            return self._per_hook
        return min(self._per_hook, max(1, int(rate * HORIZON)))

    async def reserve(self, queue: Queue, claimed: list[Claimed]) -> None:
        """Reserve a send time for each claimed delivery of a rate-limited hook."""
        by_hook: dict[tuple[str, float], list[Claimed]] = {}
        for item in claimed:
            if item.rate_limit is not None and item.enabled:  # a disabled hook's: cancelled
                by_hook.setdefault((item.hook_id, item.rate_limit), []).append(item)
        for (hook_id, rate), items in by_hook.items():
            interval, now = 1.0 / rate, self._clock()
            try:
                taken = await queue.reserve(hook_id, len(items), interval, now, self._reach)
                later = taken.after - self._reach  # when more would come within reach
            except Exception:
                log.exception("pacing failed", extra={"action": "pace", "hook_id": hook_id})
                taken, later = None, now + self._retry
            for n, item in enumerate(items):
                if taken is not None and n < taken.number:
                    self._times[item.delivery_id] = (taken.at(n), True)
                else:
                    self._times[item.delivery_id] = (later, False)

    async def wait(self, claimed: Claimed) -> float | None:
        """Wait for the delivery's send time. None: send it now; else when it is due again,
        unsent (its time was beyond reach, or the dispatcher is stopping)."""
        at, send = self._times.pop(claimed.delivery_id, (0.0, True))
        if not send:
            return at
        delay = at - self._clock()
        if delay > 0:
            # Real seconds, once: a test's clock that stands still must not hold a sender, and
            # the reservation keeps `delay` within reach.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopped.wait(), delay)
            if self._stopped.is_set():
                return self._clock()
        return None
