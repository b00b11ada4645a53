"""The 24 h chart and the list's sparkline, drawn on the server as SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hookline.attempts.timeline import HOUR_MS, Hour
from hookline.console.chart import day_chart, sparkline

SVG = "{http://www.w3.org/2000/svg}"
START = 1_700_000_000_000 // HOUR_MS * HOUR_MS


def day(**at: tuple[int, int, float]) -> list[Hour]:
    """24 empty hours, but for those named `h<index>=(successes, failures, mean ms)`."""
    hours = []
    for index in range(24):
        ok, failed, mean = at.get(f"h{index}", (0, 0, None))
        hours.append(Hour(START + index * HOUR_MS, ok, failed, mean, mean))
    return hours


def test_bars_stack_failures_on_successes_and_the_line_follows_latency() -> None:
    svg = ET.fromstring(str(day_chart(day(h3=(6, 2, 40.0), h10=(1, 0, 80.0)))))
    successes = svg.findall(f".//{SVG}rect[@class='success']")
    failures = svg.findall(f".//{SVG}rect[@class='failure']")
    assert len(successes) == 2 and len(failures) == 1
    # Failures sit on top of the successes of their hour.
    ok, failed = successes[0], failures[0]
    assert float(failed.get("y")) + float(failed.get("height")) == float(ok.get("y"))
    # The tallest hour fills the plot; the line's highest point is the slowest hour.
    assert float(ok.get("height")) + float(failed.get("height")) == 180 - 12 - 24
    points = svg.find(f".//{SVG}polyline").get("points").split()
    assert len(points) == 2 and float(points[1].split(",")[1]) == 12
    titles = [t.text for t in svg.iter(f"{SVG}title")]
    assert any("6 succeeded, 2 failed, mean 40 ms" in t for t in titles)


def test_an_empty_day_draws_axes_only() -> None:
    svg = ET.fromstring(str(day_chart(day())))
    assert not svg.findall(f".//{SVG}rect") and svg.find(f".//{SVG}polyline") is None


def test_the_sparkline_has_a_bar_per_hour_with_attempts() -> None:
    svg = ET.fromstring(str(sparkline(day(h0=(1, 0, 5.0), h23=(0, 3, 5.0)))))
    assert len(svg.findall(f".//{SVG}rect[@class='success']")) == 1
    assert len(svg.findall(f".//{SVG}rect[@class='failure']")) == 1
