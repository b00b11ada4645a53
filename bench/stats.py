"""Small statistics helpers."""

from __future__ import annotations

import statistics


def percentiles(values: list[float]) -> dict[str, float | None]:
    """p50/p95/p99 by nearest rank; None when empty."""
    if not values:
        return {"p50": None, "p95": None, "p99": None}
    ordered = sorted(values)
    n = len(ordered)
    return {f"p{q}": ordered[min(n - 1, max(0, round(q / 100 * n) - 1))] for q in (50, 95, 99)}


def spread(values: list[float | None]) -> dict[str, float | None]:
    """median, min and max of the non-missing values."""
    present = [v for v in values if v is not None]
    if not present:
        return {"median": None, "min": None, "max": None}
    return {"median": statistics.median(present), "min": min(present), "max": max(present)}
