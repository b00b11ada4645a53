"""What `/metrics` reports of delivery, read from the database at each scrape.

Deliveries are made by whichever process claims them: the dispatcher inside `hookline serve`,
its dispatcher processes (HOOKLINE_DISPATCHERS), or `hookline worker`s on other machines.
Counters kept in the memory of the process that answers the scrape would see only its own
share, and start again from zero at every restart. The database sees them all, so the
delivery and attempt figures are counted there, over the last `window` seconds: right on any
topology and after a restart. They are gauges, not counters: a figure of the window falls as
its oldest rows leave it.

Each scrape costs a few indexed reads: the deliveries and the attempts of the window (a range
of their primary keys, which sort by creation time), the due deliveries (`deliveries_due`)
and the hooks. What it costs grows with the traffic of one window, not with the history."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from prometheus_client import generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Connection, case, false, func, select, text

from hookline.db.tables import deliveries, events, hooks, logs
from hookline.ids import sortable_floor
from hookline.outbox.queue.values import UNFINISHED, DeliveryState

# Upper bounds of the attempt latency buckets, in seconds (the sender's timeout is 10 s).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
STATUS_CLASSES = ("2xx", "3xx", "4xx", "5xx", "error")


@dataclass
class Figures:
    """The database's figures of one scrape."""

    window: float  # seconds
    deliveries: dict[tuple[str, str], int] = field(default_factory=dict)  # (result, event)
    attempts: dict[str, int] = field(default_factory=dict)  # status class → attempts
    latency_buckets: list[int] = field(default_factory=list)  # cumulative, per bucket
    latency_count: int = 0
    latency_sum: float = 0.0  # seconds
    queue_depth: int = 0
    oldest_due_age: float = 0.0  # seconds
    hooks_disabled: int = 0
    # Synchronous hooks' calls: (hook, action, reason) → calls (identity.experience.gates).
    sync_decisions: dict[tuple[str, str, str], int] = field(default_factory=dict)

    def families(self) -> Iterator[Metric]:
        window = GaugeMetricFamily(
            "hookline_metrics_window_seconds",
            "The stretch of time the delivery and attempt figures cover, up to the scrape.",
        )
        window.add_metric([], self.window)
        yield window
        made = GaugeMetricFamily(
            "hookline_deliveries",
            "Deliveries (one per hook and event) created in the window, by state now and event.",
            labels=["result", "event"],
        )
        for (result, event), count in sorted(self.deliveries.items()):
            made.add_metric([result, event], count)
        yield made
        attempts = GaugeMetricFamily(
            "hookline_attempts",
            "HTTP attempts made in the window, by the class of their answer (error: none came).",
            labels=["status_class"],
        )
        for status_class in STATUS_CLASSES:
            attempts.add_metric([status_class], self.attempts.get(status_class, 0))
        yield attempts
        bounds = [*(f"{b:g}" for b in LATENCY_BUCKETS), "+Inf"]
        counts = [*self.latency_buckets, self.latency_count]
        yield HistogramMetricFamily(
            "hookline_attempt_duration_seconds",
            "How long the HTTP attempts made in the window took.",
            buckets=list(zip(bounds, counts, strict=True)),
            sum_value=self.latency_sum,
        )
        yield _gauge(
            "hookline_queue_depth", "Deliveries due now and not yet claimed.", self.queue_depth
        )
        yield _gauge(
            "hookline_oldest_due_delivery_age_seconds",
            "How long the delivery that has been due the longest has waited (0: none waits).",
            self.oldest_due_age,
        )
        yield _gauge("hookline_hooks_disabled", "Hooks that are disabled.", self.hooks_disabled)
        decided = GaugeMetricFamily(
            "hookline_sync_hook_calls",
            "Synchronous hooks' calls in the window, by hook, decision and why (answer: the"
            " receiver decided; else what made the hook's onError decide).",
            labels=["hook", "action", "reason"],
        )
        for (hook_id, action, reason), count in sorted(self.sync_decisions.items()):
            decided.add_metric([hook_id, action, reason], count)
        yield decided


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    gauge = GaugeMetricFamily(name, documentation)
    gauge.add_metric([], value)
    return gauge


def read_figures(conn: Connection, window: float) -> Figures:
    now = time.time()
    since_ms = int((now - window) * 1000)
    figures = Figures(window)
    made = (
        select(deliveries.c.status, events.c.name, func.count())
        .join(events, events.c.id == deliveries.c.event_id)
        .where(deliveries.c.id >= sortable_floor("msg", since_ms))
        .group_by(deliveries.c.status, events.c.name)
    )
    for status, event, count in conn.execute(made):
        figures.deliveries[(DeliveryState(status).name.lower(), event)] = int(count)
    _read_attempts(conn, figures, sortable_floor("log", since_ms))
    due = select(func.count(), func.min(deliveries.c.next_attempt_at)).where(
        # Written as the index's predicate is, a literal, so that the index serves it; a
        # leased row's next_attempt_at is its lease's expiry, so an expired lease is due.
        text(UNFINISHED),
        deliveries.c.next_attempt_at <= now,
    )
    depth, oldest = conn.execute(due).one()
    figures.queue_depth = int(depth)
    figures.oldest_due_age = max(0.0, now - oldest) if oldest is not None else 0.0
    disabled = select(func.count()).select_from(hooks).where(hooks.c.enabled == false())
    figures.hooks_disabled = int(conn.execute(disabled).scalar_one())
    calls = (
        select(logs.c.hook_id, logs.c.decision, func.count())
        .where(logs.c.id >= sortable_floor("log", since_ms), logs.c.decision.is_not(None))
        .group_by(logs.c.hook_id, logs.c.decision)
    )
    for hook_id, decision, count in conn.execute(calls):
        action, _, reason = decision.partition(": ")
        figures.sync_decisions[(hook_id, action, reason or "answer")] = int(count)
    return figures


def _read_attempts(conn: Connection, figures: Figures, floor: str) -> None:
    """Attempts by status code, with their latency buckets: one pass over the window's logs."""
    columns = [
        func.sum(case((logs.c.duration_ms <= bound * 1000, 1), else_=0))
        for bound in LATENCY_BUCKETS
    ]
    query = (
        select(logs.c.status_code, func.count(), func.sum(logs.c.duration_ms), *columns)
        .where(logs.c.id >= floor)
        .group_by(logs.c.status_code)
    )
    buckets = [0] * len(LATENCY_BUCKETS)
    for status, count, duration_ms, *in_buckets in conn.execute(query):
        answered = status is not None and 200 <= status < 600
        status_class = f"{status // 100}xx" if answered else "error"
        figures.attempts[status_class] = figures.attempts.get(status_class, 0) + int(count)
        figures.latency_count += int(count)
        figures.latency_sum += float(duration_ms or 0) / 1000
        buckets = [total + int(n or 0) for total, n in zip(buckets, in_buckets, strict=True)]
    figures.latency_buckets = buckets


def render(families: Iterable[Metric]) -> bytes:
    """Prometheus' text format of `families`."""
    return generate_latest(_Families(list(families)))


class _Families(Collector):
    def __init__(self, families: list[Metric]) -> None:
        self._families = families

    def collect(self) -> Iterable[Metric]:
        return self._families
