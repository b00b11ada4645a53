"""hookline.dispatcher.retry.RetryPolicy.delay as a decision table."""

from __future__ import annotations

import random

import pytest

from hookline.dispatcher.retry import RetryPolicy
from hookline.sender.outcome import Failure, Outcome


def ok(status: int = 200) -> Outcome:
    return Outcome(status, "", 1.0)


def http(status: int, retry_after: float | None = None) -> Outcome:
    return Outcome(status, "", 1.0, Failure.HTTP_STATUS, f"status {status}", retry_after)


def failure(kind: Failure) -> Outcome:
    return Outcome(None, None, 1.0, kind, kind.name)


RETRIED = {
    "500": http(500),
    "502": http(502),
    "503": http(503),
    "504": http(504),
    "408": http(408),
    "425": http(425),
    "429": http(429),
    "timeout": failure(Failure.TIMEOUT),
    "connection-error": failure(Failure.CONNECT),
}
FINAL = {
    "success-200": ok(200),
    "success-204": ok(204),
    "400": http(400),
    "401": http(401),
    "404": http(404),
    "410": http(410),
    "422": http(422),
    "301": http(301),
    "302": http(302),
    "307": http(307),
    "blocked": failure(Failure.BLOCKED),
    "invalid-url": failure(Failure.INVALID_URL),
}

POLICY = RetryPolicy()


@pytest.mark.parametrize("outcome", RETRIED.values(), ids=RETRIED.keys())
def test_retried(outcome: Outcome) -> None:
    delay = POLICY.delay(outcome, attempts=1, retries=3, rng=random.Random(1))
    assert delay is not None
    assert 0.8 * POLICY.schedule[0] <= delay <= 1.2 * POLICY.schedule[0]


@pytest.mark.parametrize("outcome", FINAL.values(), ids=FINAL.keys())
@pytest.mark.parametrize("attempts", [1, 2, 3])
def test_not_retried(outcome: Outcome, attempts: int) -> None:
    assert POLICY.delay(outcome, attempts=attempts, retries=3, rng=random.Random(1)) is None


def test_non_retryable_ignores_retry_after() -> None:
    assert POLICY.delay(http(400, retry_after=5), 1, 3) is None


@pytest.mark.parametrize("outcome", RETRIED.values(), ids=RETRIED.keys())
def test_attempt_budget(outcome: Outcome) -> None:
    # `retries` attempts after the first: attempts 1..retries get a delay, the next does not.
    for attempts in (1, 2, 3):
        assert POLICY.delay(outcome, attempts, retries=3, rng=random.Random(0)) is not None
    for attempts in (4, 5, 10):
        assert POLICY.delay(outcome, attempts, retries=3, rng=random.Random(0)) is None


@pytest.mark.parametrize("outcome", RETRIED.values(), ids=RETRIED.keys())
def test_zero_retries_never_retries(outcome: Outcome) -> None:
    for attempts in (1, 2):
        assert POLICY.delay(outcome, attempts, retries=0, rng=random.Random(0)) is None
    assert POLICY.delay(http(503, retry_after=1), 1, retries=0) is None


STANDARD_WEBHOOKS = (5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)


def test_the_default_schedule_is_standard_webhooks() -> None:
    assert POLICY.schedule == STANDARD_WEBHOOKS


@pytest.mark.parametrize("schedule", [STANDARD_WEBHOOKS, (0.2, 0.8, 3.2)])
def test_each_retry_waits_its_scheduled_delay_within_jitter(schedule) -> None:
    policy = RetryPolicy(schedule=schedule)
    for attempts, nominal in enumerate(schedule, start=1):
        delays = [policy.delay(http(503), attempts, rng=random.Random(seed)) for seed in range(300)]
        assert all(0.8 * nominal <= d <= 1.2 * nominal for d in delays), (min(delays), max(delays))
        # the jitter is real and spans the band, not a constant factor
        assert min(delays) < 0.85 * nominal
        assert max(delays) > 1.15 * nominal


@pytest.mark.parametrize("outcome", RETRIED.values(), ids=RETRIED.keys())
def test_without_retries_the_whole_schedule_applies(outcome: Outcome) -> None:
    policy = RetryPolicy(schedule=(1.0, 2.0, 3.0, 4.0, 5.0))
    for attempts in range(1, 6):
        assert policy.delay(outcome, attempts, None, rng=random.Random(0)) is not None
    assert policy.delay(outcome, 6, None, rng=random.Random(0)) is None


def test_retries_never_reach_past_the_schedule() -> None:
    policy = RetryPolicy(schedule=(1.0, 2.0))
    assert policy.delay(http(503), 2, retries=3, rng=random.Random(0)) is not None
    assert policy.delay(http(503), 3, retries=3, rng=random.Random(0)) is None


def test_backoff_strictly_grows_with_attempts() -> None:
    rng = random.Random(12345)
    delays = [POLICY.delay(failure(Failure.TIMEOUT), n, retries=6, rng=rng) for n in range(1, 7)]
    assert all(b > a for a, b in zip(delays, delays[1:], strict=False)), delays


def test_seeded_rng_is_deterministic() -> None:
    first = POLICY.delay(http(500), 3, 5, rng=random.Random(99))
    again = POLICY.delay(http(500), 3, 5, rng=random.Random(99))
    other = POLICY.delay(http(500), 3, 5, rng=random.Random(100))
    assert first == again
    assert first != other


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [(0.0, 0.0), (7.0, 7.0), (120.0, 120.0), (3600.0, 3600.0), (86_400.0, 3600.0), (-5.0, 0.0)],
)
@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured_and_capped(status: int, retry_after: float, expected) -> None:
    # Even at attempt 3, where backoff alone would give ~16 s, Retry-After wins.
    assert POLICY.delay(http(status, retry_after), 3, retries=5, rng=random.Random(0)) == expected


def test_retry_after_cap_is_configurable() -> None:
    policy = RetryPolicy(max_retry_after=60.0)
    assert policy.delay(http(429, 59.0), 1, 3) == 59.0
    assert policy.delay(http(429, 61.0), 1, 3) == 60.0
