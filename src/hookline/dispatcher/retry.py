"""When to try again: a pure decision over an attempt's outcome."""

from __future__ import annotations

import random
from dataclasses import dataclass

from hookline.sender.outcome import Failure, Outcome

RETRYABLE_STATUS = frozenset({408, 425, 429})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with jitter: base, base×factor, base×factor², … each ±jitter."""

    base_delay: float = 1.0
    factor: float = 4.0
    jitter: float = 0.2
    max_retry_after: float = 3600.0

    def delay(
        self, outcome: Outcome, attempts: int, retries: int, rng: random.Random | None = None
    ) -> float | None:
        """Seconds until the next attempt, or None when this delivery is finished.

        `attempts` counts the attempts made so far, this one included; a hook gets at most
        `retries` attempts after the first.
        """
        if outcome.ok or attempts > retries or not is_retryable(outcome):
            return None
        if outcome.retry_after is not None:
            return min(max(outcome.retry_after, 0.0), self.max_retry_after)
        spread = (rng or random).uniform(1 - self.jitter, 1 + self.jitter)
        return self.base_delay * self.factor ** (attempts - 1) * spread


def is_retryable(outcome: Outcome) -> bool:
    if outcome.failure in (Failure.TIMEOUT, Failure.CONNECT):
        return True
    if outcome.failure is Failure.HTTP_STATUS and outcome.status is not None:
        return outcome.status >= 500 or outcome.status in RETRYABLE_STATUS
    return False
