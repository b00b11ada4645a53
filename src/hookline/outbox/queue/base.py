"""What a dispatcher asks of the queue, whichever database holds it.

A lease is written as `next_attempt_at` = the lease's expiry, so an expired lease is due
again and a claim needs a single index. Only the lease's owner (`worker`) can finish or
release it.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence

from hookline.outbox.queue.health import HealthPolicy, HealthReport
from hookline.outbox.queue.pacing import Slots
from hookline.outbox.queue.pruning import Prunable
from hookline.outbox.queue.targets import HookTargets
from hookline.outbox.queue.values import Claimed, ClaimRequest, Finish, LogRow


class Queue(ABC):
    worker: str  # the owner of the leases this queue takes
    _targets: HookTargets  # every hook's target, read again when the hooks change

    @abstractmethod
    async def listen(self, wake: asyncio.Event) -> None:
        """Set `wake` whenever a commit adds deliveries (a hint: dispatchers also poll)."""

    @abstractmethod
    async def claim(self, request: ClaimRequest) -> list[Claimed]: ...

    @abstractmethod
    async def next_due(self, skip: Sequence[str] = ()) -> float | None:
        """When (Unix seconds) the next delivery comes due, leaving out the hooks in `skip`
        (those whose share is in flight: waiting for them would be a busy loop)."""

    @abstractmethod
    async def finish(
        self,
        finishes: Iterable[Finish],
        log_rows: Sequence[LogRow],
        policy: HealthPolicy | None = None,
    ) -> HealthReport:
        """Record outcomes and their log rows in one transaction; with a `policy`, also the
        hooks' health and what follows from it (outbox.queue.health)."""

    @property
    def rates(self) -> Mapping[str, float]:
        """Hook → `config.rateLimit` of the hooks that have one, as the last claim that
        returned deliveries read them."""
        return self._targets.rates

    @abstractmethod
    async def reserve(
        self, hook_id: str, wanted: int, interval: float, now: float, reach: float
    ) -> Slots:
        """Take up to `wanted` of a rate-limited hook's send times, shared by every dispatcher
        (outbox.queue.pacing)."""

    @abstractmethod
    async def pass_turns(self, turns: Sequence[tuple[str, str]], now: float) -> None:
        """Make due at `now` the next delivery of each (hook, subject) whose delivery in turn
        is finished (outbox.queue.turns)."""

    @abstractmethod
    async def release(self, delivery_ids: Sequence[str], now: float) -> None:
        """Give leased deliveries back, due at `now` (a graceful stop)."""

    @abstractmethod
    async def release_orphans(self, now: float) -> int:
        """Make due at `now` the leases of dead workers on this host; return how many."""

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def prune(self, table: Prunable, before_ms: int, limit: int) -> int:
        """Delete up to `limit` rows of `table` created before `before_ms` (Unix ms) that
        retention lets go: finished deliveries, events none of whose deliveries are left,
        logs. Return how many went."""
