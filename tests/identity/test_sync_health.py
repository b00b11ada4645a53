"""hookline.identity.experience.sync_health: a sync hook failing most calls is reported."""

from __future__ import annotations

import logging

import pytest

from hookline.identity.experience.sync_health import SyncHealth


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_most_calls_failing_over_five_minutes_is_reported_once_a_minute(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    health = SyncHealth(clock)
    caplog.set_level(logging.WARNING, "hookline.sync_hooks")
    assert [health.note("h", failed=True) for _ in range(4)] == [False] * 4  # too few yet
    assert health.note("h", failed=True)
    assert not health.note("h", failed=True)  # reported a moment ago
    clock.now += 61
    assert health.note("h", failed=True)
    assert [r.action for r in caplog.records] == ["sync_hook_failing"] * 2  # type: ignore[attr-defined]


def test_a_hook_that_answers_most_calls_is_not_reported() -> None:
    clock = Clock()
    health = SyncHealth(clock)
    results = [health.note("h", failed=n % 2 == 0) for n in range(20)]
    assert not any(results[1::2])  # never while failures are at most half
    assert not health.note("other", failed=False)


def test_old_calls_leave_the_window() -> None:
    clock = Clock()
    health = SyncHealth(clock)
    for _ in range(10):
        health.note("h", failed=False)
    clock.now += 301
    assert [health.note("h", failed=True) for _ in range(5)][-1]
