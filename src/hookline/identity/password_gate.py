"""The one way in to password hashing, so that a flood of sign-ins or registrations can
neither fill memory nor take every core from the requests that need none.

- At most `concurrency` hashes or verifications run at once, on threads of their own
  (Argon2 releases the GIL, so the event loop goes on answering meanwhile); a request that
  finds no free slot within `wait` seconds is answered 429 with `Retry-After`.
- The sign-in flows, which need no token, also spend budgets first: attempts per client IP
  and minute, and per interaction. They are counted in memory, by each API process.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from limits import RateLimitItem, RateLimitItemPerHour, RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from hookline.config import Settings
from hookline.errors import ApiError
from hookline.identity import passwords

T = TypeVar("T")


def rate_limited(retry_after: float) -> ApiError:
    return ApiError(
        429,
        "request.rate_limited",
        "Too many requests. Please try again later.",
        headers={"retry-after": str(max(1, math.ceil(retry_after)))},
    )


class PasswordGate:
    def __init__(self, concurrency: int, wait: float, per_ip: int, per_interaction: int) -> None:
        self._slots = asyncio.Semaphore(concurrency)
        self._threads = ThreadPoolExecutor(concurrency, thread_name_prefix="hookline-password")
        self._threads.submit(passwords.prepare)
        self._wait = wait
        self._attempts = MovingWindowRateLimiter(MemoryStorage())
        self._per_ip = RateLimitItemPerMinute(per_ip)
        self._per_interaction = RateLimitItemPerHour(per_interaction)

    @classmethod
    def from_settings(cls, settings: Settings) -> PasswordGate:
        return cls(
            settings.password_hashing_concurrency,
            settings.password_hashing_wait,
            settings.password_attempts_per_ip,
            settings.password_attempts_per_interaction,
        )

    def spend(self, client_ip: str | None, interaction_id: str | None = None) -> None:
        """Count one sign-in attempt, or answer 429 if the client or the interaction has
        none left (a refused attempt spends nothing). The console's sign-in has no
        interaction: only its client's budget."""
        budgets: list[tuple[RateLimitItem, str, str]] = []
        if interaction_id is not None:
            budgets.append((self._per_interaction, "interaction", interaction_id))
        if client_ip:
            budgets.append((self._per_ip, "ip", client_ip))
        for item, *key in budgets:
            if not self._attempts.test(item, *key):
                reset = self._attempts.get_window_stats(item, *key).reset_time
                raise rate_limited(reset - time.time())
        for item, *key in budgets:
            self._attempts.hit(item, *key)

    async def hash(self, password: str) -> str:
        return await self._run(passwords.hash_password, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """See `passwords.verify_password`: without a hash, a decoy is verified instead."""
        return await self._run(passwords.verify_password, password_hash, password)

    async def verify_and_refresh(
        self, password_hash: str | None, password: str
    ) -> tuple[bool, str | None]:
        return await self._run(passwords.verify_and_refresh, password_hash, password)

    async def _run(self, work: Callable[..., T], *args: object) -> T:
        try:
            async with asyncio.timeout(self._wait):
                await self._slots.acquire()
        except TimeoutError:
            raise rate_limited(1) from None
        # The slot is freed when the work ends, even for a request that gave up meanwhile:
        # with one thread per slot, nothing ever queues for a thread.
        done = asyncio.get_running_loop().run_in_executor(self._threads, work, *args)
        done.add_done_callback(lambda _: self._slots.release())
        return await asyncio.shield(done)

    def close(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)
