"""The hook page's picture of the last 24 hours, as inline SVG drawn on the server: bars of
attempts per hour (failures stacked on successes) and a line of their mean latency."""

from __future__ import annotations

from datetime import UTC, datetime

from markupsafe import Markup, escape

from hookline.attempts.timeline import Hour

WIDTH, HEIGHT = 720, 180
LEFT, RIGHT, TOP, BOTTOM = 44, 56, 12, 24  # margins, for the axes' labels
SUCCESS, FAILURE, LATENCY = "#2e7d32", "#c62828", "#1565c0"


def day_chart(hours: list[Hour]) -> Markup:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / len(hours)
    most = max((h.successes + h.failures for h in hours), default=0) or 1
    slowest = max((h.mean_ms for h in hours if h.mean_ms is not None), default=0.0) or 1.0
    base = TOP + plot_h
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}"'
        f' role="img" aria-label="Attempts and mean latency per hour over the last 24 hours">',
        f'<line x1="{LEFT}" y1="{base}" x2="{LEFT + plot_w}" y2="{base}" stroke="#999"/>',
        _text(LEFT - 6, TOP + 10, str(most), "end"),
        _text(LEFT - 6, base, "0", "end"),
        _text(LEFT + plot_w + 6, TOP + 10, f"{slowest:.0f} ms", "start", LATENCY),
        _text(LEFT + plot_w, HEIGHT - 6, "UTC", "end"),
    ]
    points: list[str] = []
    dots: list[str] = []
    for index, hour in enumerate(hours):
        x = LEFT + index * slot
        ok_h = plot_h * hour.successes / most
        failed_h = plot_h * hour.failures / most
        title = f"{_clock(hour.start_ms)}: {hour.successes} succeeded, {hour.failures} failed" + (
            "" if hour.mean_ms is None else f", mean {hour.mean_ms:.0f} ms"
        )
        parts.append(f"<g><title>{escape(title)}</title>")
        parts.append(_bar(x, base - ok_h, slot, ok_h, SUCCESS, "success"))
        parts.append(_bar(x, base - ok_h - failed_h, slot, failed_h, FAILURE, "failure"))
        parts.append("</g>")
        if hour.mean_ms is not None:
            y = base - plot_h * hour.mean_ms / slowest
            points.append(f"{x + slot / 2:.1f},{y:.1f}")
            dots.append(f'<circle cx="{x + slot / 2:.1f}" cy="{y:.1f}" r="3" fill="{LATENCY}"/>')
        if index % 6 == 0:
            parts.append(_text(x, HEIGHT - 6, _clock(hour.start_ms), "start"))
    if points:
        parts.append(
            f'<polyline class="latency" points="{" ".join(points)}" fill="none"'
            f' stroke="{LATENCY}" stroke-width="2"/>'
        )
    parts.extend(dots)
    parts.append("</svg>")
    return Markup("".join(parts))


def _bar(x: float, y: float, slot: float, height: float, color: str, kind: str) -> str:
    if height <= 0:
        return ""
    return (
        f'<rect class="{kind}" x="{x + 1:.1f}" y="{y:.1f}" width="{slot - 2:.1f}"'
        f' height="{height:.1f}" fill="{color}"/>'
    )


def _text(x: float, y: float, text: str, anchor: str, color: str = "#555") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="11"'
        f' fill="{color}">{escape(text)}</text>'
    )


def _clock(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%H:00")


def sparkline(hours: list[Hour]) -> Markup:
    """The list's small version: bars only, failures stacked on successes."""
    width, height, slot = 120, 24, 5
    most = max((h.successes + h.failures for h in hours), default=0) or 1
    parts = [
        f'<svg class="spark" xmlns="http://www.w3.org/2000/svg" width="{width}"'
        f' height="{height}" viewBox="0 0 {width} {height}" role="img"'
        f' aria-label="Attempts per hour over the last 24 hours">'
    ]
    for index, hour in enumerate(hours):
        ok_h = height * hour.successes / most
        failed_h = height * hour.failures / most
        parts.append(_bar(index * slot - 0.5, height - ok_h, slot, ok_h, SUCCESS, "success"))
        parts.append(
            _bar(index * slot - 0.5, height - ok_h - failed_h, slot, failed_h, FAILURE, "failure")
        )
    parts.append(f'<line x1="0" y1="{height}" x2="{width}" y2="{height}" stroke="#ccc"/></svg>')
    return Markup("".join(parts))
