"""hookline.sender.transport._retry_after: parsing the Retry-After header."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime
from types import SimpleNamespace

import pytest

from hookline.sender import transport
from hookline.sender.transport import _retry_after

NOW = 1_795_842_849.0  # 2026-11-28T05:14:09Z


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transport, "time", SimpleNamespace(time=lambda: NOW))


def http_date(ts: float) -> str:
    return format_datetime(datetime.fromtimestamp(ts, UTC), usegmt=True)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0", 0.0), ("1", 1.0), ("120", 120.0), (" 30 ", 30.0), ("86400", 86400.0)],
)
def test_delta_seconds(value: str, expected: float) -> None:
    assert _retry_after(value) == expected


def test_http_date_in_the_future(frozen_clock) -> None:
    value = http_date(NOW + 90)
    assert value.endswith(" GMT")
    assert _retry_after(value) == pytest.approx(90.0)


def test_http_date_fixed_string(frozen_clock) -> None:
    assert _retry_after("Sat, 28 Nov 2026 05:16:09 GMT") == pytest.approx(120.0)


@pytest.mark.parametrize("value", ["Wed, 21 Oct 2015 07:28:00 GMT", http_date(NOW - 1)])
def test_http_date_in_the_past_is_zero(frozen_clock, value: str) -> None:
    assert _retry_after(value) == 0.0


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "   ",
        "soon",
        "-5",
        "1.5",
        "12s",
        "0x10",
        "Mon, 99 Foo 2026 99:99:99 GMT",
        "tomorrow at noon",
    ],
)
def test_garbage_is_none(value) -> None:
    assert _retry_after(value) is None


@pytest.mark.parametrize("value", ["²", "1²", "⑤"])
def test_unicode_digit_garbage_is_none(value: str) -> None:
    assert _retry_after(value) is None
