"""One durable-pipeline run: hookline on a fresh SQLite file, N hooks, events over HTTP."""

from __future__ import annotations

import resource
import sqlite3
from collections import Counter
from contextlib import closing
from pathlib import Path

from bench.nginx import Nginx, Tail
from bench.procs import CpuWindow
from bench.server import Server
from bench.stats import percentiles
from bench.sub import run_json


def run(
    nginx: Nginx,
    directory: Path,
    dispatchers: int,
    events: int,
    hooks: int,
    concurrency: int,
    label: str,
    warmup: int,
    timeout: float,
) -> dict:
    server = Server(directory, dispatchers).start()
    try:
        hook_ids = [
            server.create_hook(f"bench-{i}", f"{nginx.base}/hook/{label}/{i}") for i in range(hooks)
        ]
        # Warm-up (not measured): connections open, dispatchers listening, caches hot.
        tail = Tail(nginx.receipts, nginx.offset(), "w" + label)
        run_json(
            "bench.loadgen",
            server.base,
            warmup,
            concurrency,
            "w" + label,
            timeout=timeout,
            env={"BENCH_TOKEN": server.token},
        )
        tail.wait(warmup * hooks, 30)

        pids = {
            pid: ("api" if pid == server.process.pid else "dispatcher") for pid in server.pids()
        }
        pids.update({pid: "nginx" for pid in nginx.pids()})
        window, harness0 = CpuWindow(pids), _self_cpu()
        tail = Tail(nginx.receipts, nginx.offset(), "m" + label)
        emitted = run_json(
            "bench.loadgen",
            server.base,
            events,
            concurrency,
            "m" + label,
            timeout=timeout,
            env={"BENCH_TOKEN": server.token},
        )
        expected = emitted["accepted"] * hooks
        tail.wait(expected, timeout)
        cpu = window.stop()
        cpu["cpu_s"]["loadgen"] = emitted.pop("cpu_s")
        cpu["cpu_s"]["harness"] = _self_cpu() - harness0  # this process, tailing the log
    finally:
        server.stop()
    result = analyse(tail, emitted, hook_ids, events)
    result.update(
        dispatchers=dispatchers,
        hooks=hooks,
        events=events,
        emit_concurrency=concurrency,
        store=store_counts(server.db),
    )
    n = max(result["received"], 1)
    result["cpu_us_per_delivery"] = {role: s / n * 1e6 for role, s in cpu["cpu_s"].items()}
    result["machine"] = machine_load(cpu)
    return result


def machine_load(cpu: dict) -> dict:
    """How busy the box was, and how much of that was not ours (other tenants, the kernel)."""
    ours = sum(cpu["cpu_s"].values()) / max(cpu["wall_s"], 1e-9)
    return {
        "busy_pct": cpu["machine_busy_pct"],
        "busy_cores": cpu["machine_busy_cores"],
        "ours_cores": ours,
        "other_cores": max(cpu["machine_busy_cores"] - ours, 0.0),
    }


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def analyse(tail: Tail, emitted: dict, hook_ids: list[str], events: int) -> dict:
    per_pair: Counter[tuple[str, int]] = Counter()
    latencies, last = [], emitted["first_emit"]
    for received_at, body in tail.records():
        data = body.get("data", {})
        per_pair[(body.get("hookId"), data.get("seq"))] += 1
        latencies.append((received_at - data["t"]) * 1000)
        last = max(last, received_at)
    per_hook = Counter(hook for hook, _ in per_pair)
    expected = len(hook_ids) * events
    received = sum(per_pair.values())
    elapsed = max(last - emitted["first_emit"], 1e-9)
    return {
        "deliveries_per_s": received / elapsed,
        "seconds": elapsed,
        "expected": expected,
        "received": received,
        "missing": expected - len(per_pair),
        "duplicates": received - len(per_pair),
        "short_hooks": {h: per_hook[h] for h in hook_ids if per_hook[h] != events},
        "latency_ms": percentiles(latencies),
        "ingest": emitted,
    }


def store_counts(db: Path) -> dict:
    """The database's own view after the stop: deliveries by status, attempts that failed."""
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        by_status = dict(conn.execute("SELECT status, count(*) FROM deliveries GROUP BY status"))
        failed_attempts, retries = conn.execute(
            "SELECT sum(result != 'Success'), sum(attempt > 1) FROM logs"
        ).fetchone()
    names = {0: "pending", 1: "leased", 2: "delivered", 3: "failed", 4: "cancelled"}
    return {
        "deliveries": {names.get(k, str(k)): v for k, v in by_status.items()},
        "failed_attempts": failed_attempts or 0,
        "retried_attempts": retries or 0,
    }
