"""Defaults that depend on the machine hookline finds."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hookline import config
from hookline.config import Settings


@pytest.fixture
def cores(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """Pretend this process may run on `n` cores."""
    monkeypatch.delenv("HOOKLINE_DISPATCHERS", raising=False)

    monkeypatch.setattr(config, "CPU_QUOTA", tmp_path / "no-cpu.max")

    def given(n: int) -> None:
        monkeypatch.setattr(os, "process_cpu_count", lambda: n, raising=False)
        monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(n)), raising=False)

    return given


@pytest.mark.parametrize(("n", "dispatchers"), [(1, 0), (2, 2), (3, 3), (4, 4), (16, 4)])
def test_dispatcher_processes_follow_the_cores(cores, n: int, dispatchers: int) -> None:
    cores(n)
    assert Settings().dispatchers == dispatchers


def test_zero_dispatchers_keeps_the_dispatcher_inside_the_api(cores, monkeypatch) -> None:
    cores(2)
    monkeypatch.setenv("HOOKLINE_DISPATCHERS", "0")
    assert Settings().dispatchers == 0


def test_a_negative_number_of_dispatchers_is_refused(monkeypatch) -> None:
    monkeypatch.setenv("HOOKLINE_DISPATCHERS", "-1")
    with pytest.raises(ValueError, match="dispatchers"):
        Settings()


@pytest.mark.parametrize(
    ("quota", "dispatchers"), [("max 100000", 4), ("100000 100000", 0), ("250000 100000", 2)]
)
def test_a_containers_cpu_quota_caps_the_cores(
    cores, monkeypatch, tmp_path: Path, quota: str, dispatchers: int
) -> None:
    cores(16)
    limit = tmp_path / "cpu.max"
    limit.write_text(quota + "\n")
    monkeypatch.setattr(config, "CPU_QUOTA", limit)
    assert Settings().dispatchers == dispatchers
