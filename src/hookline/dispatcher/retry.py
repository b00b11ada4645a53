"""When to try again: a pure decision over an attempt's outcome."""

from __future__ import annotations

import random
from dataclasses import dataclass

from hookline.durations import STANDARD_WEBHOOKS_SCHEDULE, parse_schedule
from hookline.sender.outcome import Failure, Outcome

# Client errors worth another try: a timeout, "too early", "too many requests". Every other
# 4xx, 410 Gone among them, and every 3xx (redirects are not followed) are final.
RETRYABLE_STATUS = frozenset({408, 425, 429})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """The delays of `schedule` in turn, each ±jitter; `Retry-After` instead when given."""

    schedule: tuple[float, ...] = parse_schedule(STANDARD_WEBHOOKS_SCHEDULE)
    jitter: float = 0.2
    max_retry_after: float = 3600.0

    def delay(
        self,
        outcome: Outcome,
        attempts: int,
        retries: int | None = None,
        rng: random.Random | None = None,
    ) -> float | None:
        """Seconds until the next attempt, or None when this delivery is finished.

        `attempts` counts the attempts made so far, this one included; a hook gets at most
        `retries` attempts after the first (its `config.retries`), and never more than the
        schedule has delays.
        """
        allowed = len(self.schedule) if retries is None else min(retries, len(self.schedule))
        if outcome.ok or attempts > allowed or not is_retryable(outcome):
            return None
        if outcome.retry_after is not None:
            return min(max(outcome.retry_after, 0.0), self.max_retry_after)
        spread = (rng or random).uniform(1 - self.jitter, 1 + self.jitter)
        return self.schedule[attempts - 1] * spread


def is_retryable(outcome: Outcome) -> bool:
    if outcome.failure in (Failure.TIMEOUT, Failure.CONNECT):
        return True
    if outcome.failure is Failure.HTTP_STATUS and outcome.status is not None:
        return outcome.status >= 500 or outcome.status in RETRYABLE_STATUS
    return False
