"""Durations as operators write them (`500ms`, `5s`, `5m`, `2h`, `5d`), and lists of them."""

from __future__ import annotations

import math
import re

# Standard Webhooks' retry schedule: the delays before each retry, the first attempt at once.
STANDARD_WEBHOOKS_SCHEDULE = "5s,5m,30m,2h,5h,10h,14h,20h,24h"

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")


def parse_duration(text: str) -> float:
    """Seconds in `text`, a number with a unit (ms, s, m, h or d)."""
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text.strip()!r} is not a duration such as 500ms, 5s, 5m, 2h or 5d")
    seconds = float(match[1]) * _UNITS[match[2]]
    if not math.isfinite(seconds):
        raise ValueError(f"{text.strip()!r} is too long")
    return seconds


def parse_schedule(text: str) -> tuple[float, ...]:
    """The seconds of a comma-separated list of durations, at least one."""
    if not text.strip():
        raise ValueError("must list at least one duration, such as 5s,5m,30m")
    return tuple(parse_duration(part) for part in text.split(","))
