"""The dispatcher: wait for work, claim a batch, send each, record the outcomes in batches."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable

from hookline.config import Settings
from hookline.dispatcher.backoff import Backoff
from hookline.dispatcher.failures import log_consequences, log_failed_attempt
from hookline.dispatcher.pacing import Pacing
from hookline.dispatcher.retention import Pruning
from hookline.dispatcher.retry import RetryPolicy
from hookline.events.payloads import with_hook_id
from hookline.outbox.queue import (
    Claimed,
    ClaimRequest,
    DeliveryState,
    Finish,
    HealthPolicy,
    LogRow,
    Queue,
    full_hooks,
    open_queue,
    worker_id,
)
from hookline.sender.outcome import Outcome
from hookline.sender.request import Target, build
from hookline.sender.transport import Transport

log = logging.getLogger("hookline.dispatcher")

_LONGEST_PAUSE = 30.0  # seconds between starts while the dispatcher keeps failing


class Dispatcher:
    def __init__(self, settings: Settings, clock: Callable[[], float] = time.time) -> None:
        """`clock`: Unix seconds now, for every due time, lease and attempt time (tests give
        one they move forward, to see a schedule of hours through without waiting)."""
        self.settings = settings
        self._clock = clock
        self.wake = asyncio.Event()
        # Set once the dispatcher listens for wake-ups: no commit after that goes unnoticed.
        self.ready = asyncio.Event()
        self.worker = worker_id()  # the lease owner, kept when the dispatcher starts over
        self._stopped = asyncio.Event()
        self._policy = RetryPolicy(
            schedule=settings.retry_schedule, max_retry_after=settings.max_retry_after
        )
        self._queue: Queue  # opened by run()
        self._transport = Transport(
            settings.private_networks, settings.request_timeout, settings.max_in_flight
        )
        self._in_flight: dict[str, Claimed] = {}
        # Claimed deliveries wait here for one of `max_in_flight` senders: a coroutine that
        # goes on to the next costs less than a task per delivery.
        self._claimed: asyncio.Queue[Claimed | None]  # made by run()
        self._per_hook: Counter[str] = Counter()
        self._finished: list[Finish] = []
        self._logs: list[LogRow] = []
        self._record_wake = asyncio.Event()
        self._saving = 0  # outcomes being recorded: they hold their slots (see _free)
        # Deliveries in turn in their subject (outbox.queue.turns), finished and not yet
        # recorded: delivery → (hook, subject).
        self._turns: dict[str, tuple[str, str]] = {}
        self._recording = True
        self._refill = max(1, settings.max_in_flight // 4)
        self._pacing = Pacing(settings, clock, self._stopped)

    def stop(self) -> None:
        self._stopped.set()
        self.wake.set()

    async def run(self) -> None:
        """Dispatch until `stop()`. A failure (the database away at start, say) is logged and
        the dispatcher starts over: one that stopped would leave every later event
        undelivered while the API goes on accepting them."""
        poll = self.settings.poll_interval
        backoff = Backoff(first=poll, longest=_LONGEST_PAUSE, after_stable=poll)
        try:
            while not self._stopped.is_set():
                started = time.monotonic()
                try:
                    await self._run_once()
                except Exception:
                    pause = backoff.next(lived=time.monotonic() - started)
                    log.exception(
                        "dispatcher failed; starting over",
                        extra={"action": "dispatch", "delay_s": pause},
                    )
                    # Not woken by new events: while the database is away, each would cost
                    # a connection attempt and a traceback.
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stopped.wait(), pause)
        finally:
            await self._transport.close()

    async def _run_once(self) -> None:
        self._queue = await open_queue(self.settings.database_url, self.worker)
        self._recording = True
        log.info("dispatcher started", extra={"action": "dispatch", "worker": self.worker})
        try:
            released = await self._queue.release_orphans(self._clock())
            if released:
                log.info(
                    "released orphaned leases",
                    extra={"action": "release_orphans", "count": released},
                )
            await self._queue.listen(self.wake)
            self.ready.set()
            pruning = Pruning(self._queue, self.settings, self._clock)
            recorder = asyncio.create_task(self._record_loop())
            claimed: asyncio.Queue[Claimed | None] = asyncio.Queue()
            self._claimed = claimed
            senders = [
                asyncio.create_task(self._send_loop(claimed))
                for _ in range(self.settings.max_in_flight)
            ]
            try:
                await self._claim_loop()
            finally:
                await pruning.stop()
                await self._drain(claimed, senders)
                # Not cancelled: a recording cut off mid-statement could leave the
                # database connection unusable for the last one below.
                self._recording = False
                self._record_wake.set()
                await recorder
                await self._flush()
                await self._queue.release(list(self._in_flight), self._clock())
        finally:
            await self._queue.close()

    async def _claim_loop(self) -> None:
        settings = self.settings
        while not self._stopped.is_set():
            self.wake.clear()
            free = self._free()
            # Under load, wait for a quarter of the slots before claiming again: one claim
            # per finished delivery would cost more than the delivery.
            timeout = settings.poll_interval
            if free > 0 and (free >= self._refill or not self._in_flight):
                limit = min(free, settings.claim_batch)
                try:
                    claimed = await self._claim(limit)
                    if len(claimed) == limit:
                        await asyncio.sleep(0)
                        continue
                    shares = self._pacing.shares(self._queue.rates)
                    full = full_hooks(self._per_hook, settings.max_in_flight_per_hook, shares)
                    due = await self._queue.next_due(full)
                except Exception:
                    # The database is away (a restart, a network cut), its disk is full...:
                    # try again at the poll.
                    log.exception("claim failed", extra={"action": "claim"})
                    due = None
                if due is not None:
                    timeout = min(timeout, max(due - self._clock(), 0.001))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout)

    async def _claim(self, limit: int) -> list[Claimed]:
        now = self._clock()
        request = ClaimRequest(
            limit,
            now,
            now + self.settings.lease_seconds,
            self.settings.max_in_flight_per_hook,
            self._per_hook,
            self._pacing.shares(self._queue.rates),
        )
        claimed = await self._queue.claim(request)
        if self._queue.rates:  # the hooks read by this claim: some hook has a rate limit
            await self._pacing.reserve(self._queue, claimed)
        for item in claimed:
            self._start(item)
        return claimed

    async def _drain(
        self, claimed: asyncio.Queue[Claimed | None], senders: list[asyncio.Task[None]]
    ) -> None:
        """On stop: send what is claimed and let requests in flight finish (they are bounded
        by the HTTP timeout); each sender ends at the `None` after them."""
        for _ in senders:
            claimed.put_nowait(None)
        await asyncio.wait(senders, timeout=self.settings.request_timeout + 1)

    def _start(self, claimed: Claimed) -> None:
        self._in_flight[claimed.delivery_id] = claimed
        self._per_hook[claimed.hook_id] += 1
        self._claimed.put_nowait(claimed)

    async def _send_loop(self, claimed: asyncio.Queue[Claimed | None]) -> None:
        while (item := await claimed.get()) is not None:
            await self._deliver(item)

    async def _deliver(self, claimed: Claimed) -> None:
        try:
            if claimed.url is None or not claimed.enabled:
                self._finished.append(
                    Finish(claimed.delivery_id, DeliveryState.CANCELLED, claimed.attempts)
                )
                return
            if claimed.rate_limit and (due := await self._pacing.wait(claimed)) is not None:
                self._finished.append(
                    Finish(claimed.delivery_id, DeliveryState.PENDING, claimed.attempts, due)
                )
                return
            attempt = claimed.attempts + 1
            target = Target(
                claimed.url,
                claimed.signing_key,
                claimed.headers,
                claimed.hook_id,
                claimed.previous_key,
                claimed.ed25519_key,
                claimed.previous_ed25519_key,
            )
            body = with_hook_id(claimed.body, claimed.hook_id)
            request = build(
                target,
                body,
                claimed.delivery_id,
                self.settings.user_agent,
                subject=claimed.subject,
                sequence=claimed.sequence,
            )
            outcome = await self._transport.send(request)
            row = LogRow.of(claimed, attempt, outcome, int(self._clock() * 1000))
            self._finished.append(self._finish(claimed, row, outcome))
            self._logs.append(row)
        except Exception:
            log.exception(
                "delivery crashed", extra={"action": "deliver", "delivery_id": claimed.delivery_id}
            )
        finally:
            if claimed.in_order and claimed.subject:
                self._turns[claimed.delivery_id] = (claimed.hook_id, claimed.subject)
            del self._in_flight[claimed.delivery_id]
            left = self._per_hook[claimed.hook_id] - 1
            if left:
                self._per_hook[claimed.hook_id] = left
            else:
                del self._per_hook[claimed.hook_id]
            self._record_wake.set()
            # A hook that was full has room again: wake the claim loop. Slots as a whole free
            # up once the outcome is recorded (_flush).
            if left == self._pacing.share(claimed.rate_limit) - 1:
                self.wake.set()

    def _free(self) -> int:
        """Slots for deliveries to claim. A delivery holds its slot until its outcome is
        recorded, not only while it is sent: should recording fall behind (a slow disk, a
        database far away), the sends a crash would leave unrecorded, and that another worker
        would make again once their leases run out, stay within `max_in_flight`."""
        return (
            self.settings.max_in_flight - len(self._in_flight) - len(self._finished) - self._saving
        )

    def _finish(self, claimed: Claimed, row: LogRow, outcome: Outcome) -> Finish:
        state, next_attempt_at = DeliveryState.DELIVERED, 0.0
        if not outcome.ok:
            delay = self._policy.delay(outcome, row.attempt, claimed.retries)
            if delay is None:
                state = DeliveryState.FAILED
            else:
                state, next_attempt_at = DeliveryState.PENDING, self._clock() + delay
            log_failed_attempt(claimed, row.attempt, outcome, next_attempt_at or None)
        return Finish(
            claimed.delivery_id,
            state,
            row.attempt,
            next_attempt_at,
            row.created_at,
            row.status_code,
            row.error,
            claimed.hook_id,
            claimed.event,
        )

    async def _record_loop(self) -> None:
        while self._recording:
            await self._record_wake.wait()
            self._record_wake.clear()
            try:
                await self._flush()
            except Exception:
                # Kept in memory and tried again; the leases cover us meanwhile.
                log.exception("recording failed", extra={"action": "record"})
                await asyncio.sleep(0.1)
                self._record_wake.set()

    async def _flush(self) -> None:
        if not self._finished:
            return
        finished, logs = self._finished, self._logs
        self._finished, self._logs = [], []
        policy = HealthPolicy(self._clock(), self.settings.disable_after)
        self._saving = len(finished)
        try:
            report = await self._queue.finish(finished, logs, policy)
        except BaseException:
            # Back in line for the next try; the leases cover these deliveries meanwhile.
            self._finished[:0], self._logs[:0] = finished, logs
            raise
        finally:
            self._saving = 0
        if self._free() >= self._refill:
            self.wake.set()  # slots enough for a claim
        log_consequences(finished, report)
        turns = [
            turn
            for f in finished
            if (turn := self._turns.pop(f.delivery_id, None)) and f.status != DeliveryState.PENDING
        ]
        if turns:
            await self._queue.pass_turns(turns, self._clock())
        if report.emitted or turns or any(f.status == DeliveryState.PENDING for f in finished):
            # The claim loop may be sleeping past the retry's due time, a new delivery's, or
            # the turn of the next delivery of a subject: let it look again.
            self.wake.set()
