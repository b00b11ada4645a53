"""hookline.ids: Logto-style random ids, signing keys, time-sortable ids."""

from __future__ import annotations

import re
import string
from collections import Counter
from types import SimpleNamespace

import pytest

from hookline import ids

LOWER_ALNUM = set(string.digits + string.ascii_lowercase)
ALNUM = set(string.digits + string.ascii_letters)
SORTABLE = re.compile(r"(?P<prefix>[a-z]+)_(?P<body>[0-9a-z]{22})")


def test_random_id_default_length_and_alphabet() -> None:
    values = [ids.random_id() for _ in range(2000)]
    assert all(len(v) == 21 for v in values)
    assert set("".join(values)) == LOWER_ALNUM  # only [0-9a-z], and all of it gets used
    assert len(set(values)) == len(values)


def test_random_id_characters_are_equally_likely() -> None:
    # 256 is not a multiple of 36: mapping every byte would favour 0-3 by about 14 %.
    counts = Counter("".join(ids.random_id(36) for _ in range(10_000)))
    assert all(9_500 < counts[c] < 10_500 for c in LOWER_ALNUM), counts


@pytest.mark.parametrize("length", [1, 12, 21, 64])
def test_random_id_length(length: int) -> None:
    assert len(ids.random_id(length)) == length


def test_random_id_custom_alphabet() -> None:
    values = "".join(ids.random_id(50, "ab") for _ in range(20))
    assert set(values) == {"a", "b"}


def test_signing_key_is_32_alnum() -> None:
    keys = [ids.signing_key() for _ in range(500)]
    assert all(re.fullmatch(r"[0-9a-zA-Z]{32}", k) for k in keys)
    assert set("".join(keys)) == ALNUM  # upper case, lower case and digits all occur
    assert len(set(keys)) == len(keys)


def test_sortable_id_shape() -> None:
    match = SORTABLE.fullmatch(ids.sortable_id("msg"))
    assert match and match["prefix"] == "msg"
    assert ids.sortable_id("log").startswith("log_")


def test_sortable_id_increases_within_a_process() -> None:
    values = [ids.sortable_id("evt") for _ in range(5000)]
    assert values == sorted(values)
    assert len(set(values)) == len(values)


class FakeClock:
    def __init__(self, *ms: int) -> None:
        self._ms = list(ms)

    def time(self) -> float:
        return self._ms.pop(0) / 1000


@pytest.fixture
def fresh_state(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ids, "_last_ms", 0)
    monkeypatch.setattr(ids, "_counter", 0)


def _with_clock(monkeypatch: pytest.MonkeyPatch, *ms: int) -> list[str]:
    monkeypatch.setattr(ids, "time", SimpleNamespace(time=FakeClock(*ms).time))
    return [ids.sortable_id("msg") for _ in ms]


def test_sortable_id_same_millisecond_uses_counter(monkeypatch, fresh_state) -> None:
    values = _with_clock(monkeypatch, *([1_795_842_849_000] * 50))
    assert values == sorted(values)
    assert len(set(values)) == 50


def test_sortable_id_later_millisecond_sorts_after_busy_one(monkeypatch, fresh_state) -> None:
    values = _with_clock(monkeypatch, *([1_795_842_849_000] * 20), 1_795_842_849_001)
    assert values[-1] > max(values[:-1])


def test_sortable_id_orders_by_time_across_decades(monkeypatch, fresh_state) -> None:
    # base-36 width is fixed, so lexicographic order is numeric order
    values = _with_clock(monkeypatch, 1_000_000_000_000, 1_795_842_849_000, 3_000_000_000_000)
    assert values == sorted(values)
    assert all(SORTABLE.fullmatch(v) for v in values)


def test_sortable_id_monotonic_when_clock_steps_back(monkeypatch, fresh_state) -> None:
    values = _with_clock(monkeypatch, 1_795_842_849_500, 1_795_842_849_400)
    assert values[1] > values[0]


def test_sortable_ids_take_consecutive_numbers_of_one_millisecond(monkeypatch, fresh_state) -> None:
    monkeypatch.setattr(ids, "time", SimpleNamespace(time=FakeClock(*[1_795_842_849_000] * 3).time))
    values = [ids.sortable_id("msg"), *ids.sortable_ids("msg", 10), ids.sortable_id("msg")]
    assert values == sorted(values)
    assert len(set(values)) == 12
    assert all(SORTABLE.fullmatch(v) for v in values)


def test_sortable_floor_sorts_between_the_ids_of_two_milliseconds(monkeypatch, fresh_state) -> None:
    before, at = _with_clock(monkeypatch, 1_795_842_848_999, 1_795_842_849_000)
    floor = ids.sortable_floor("msg", 1_795_842_849_000)
    assert before < floor <= at
