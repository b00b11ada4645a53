"""One durable-pipeline run: hookline on a fresh SQLite file or PostgreSQL database, N hooks,
events over HTTP."""

from __future__ import annotations

import resource
import sqlite3
from collections import Counter, defaultdict
from contextlib import closing
from pathlib import Path

import psycopg

from bench.nginx import Nginx, Tail, hook_url, sampled
from bench.procs import CpuWindow, family
from bench.server import Server, dispatcher_count
from bench.stats import percentiles
from bench.sub import run_json
from hookline.outbox.queue.values import DeliveryState


def run(
    nginx: Nginx,
    directory: Path,
    dispatchers: int | None,
    events: int,
    hooks: int,
    concurrency: int,
    label: str,
    warmup: int,
    timeout: float,
    rate: float = 0.0,
    database_url: str = "",
    postmaster: int = 0,
    ordered: bool = False,
) -> dict:
    """`database_url`: a fresh PostgreSQL database instead of the SQLite file; `postmaster`: the
    pid of its server, whose processes are counted as "postgres" in the CPU table."""
    server = Server(directory, dispatchers, database_url).start()
    try:
        hook_ids = [
            server.create_hook(f"bench-{i}", hook_url(nginx.base, label, i, hooks), ordered)
            for i in range(hooks)
        ]
        # Warm-up (not measured, as fast as it goes): connections open, dispatchers listening,
        # caches hot. It must have fully arrived before the measured emits start: the two share
        # the hook URLs and are told apart by where the logs ended.
        tail = Tail(nginx, label, "w" + label)
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
        # The backends of hookline's connections, opened by now, and the server's own workers.
        pids.update({pid: "postgres" for pid in (family(postmaster) if postmaster else [])})
        window, harness0 = CpuWindow(pids), _self_cpu()
        tail = Tail(nginx, label, "m" + label)
        emitted = run_json(
            "bench.loadgen",
            server.base,
            events,
            concurrency,
            "m" + label,
            rate,
            timeout=timeout,
            env={"BENCH_TOKEN": server.token},
        )
        expected = emitted["accepted"] * hooks
        tail.wait(expected, timeout)
        cpu = window.stop()
        cpu["cpu_s"]["loadgen"] = emitted.pop("cpu_s")
        cpu["cpu_s"]["harness"] = _self_cpu() - harness0  # this process, tailing the logs
    finally:
        server.stop()
    result = analyse(tail, emitted, hook_ids, events)
    result.update(
        dispatchers=dispatcher_count(dispatchers),
        default=dispatchers is None,
        hooks=hooks,
        events=events,
        rate=rate,
        emit_concurrency=concurrency,
        backend="postgresql" if database_url else "sqlite",
        store=store_counts(database_url or server.db),
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
    """Check every hook got every event once; latency from the sampled hooks' bodies.

    Sampled hooks: the exact (hook, seq) pairs. Plain hooks: the distinct webhook-ids per hook
    (hookline sends one id per delivery, the same on a retry), which must number `events`.
    """
    sample = {hook_ids[i] for i in sampled(len(hook_ids))}
    per_pair: Counter[tuple[str, int]] = Counter()
    latencies, last = [], emitted["first_emit"]
    for received_at, body in tail.records():
        data = body.get("data", {})
        per_pair[(body.get("hookId"), data.get("seq"))] += 1
        latencies.append((received_at - data["t"]) * 1000)
        last = max(last, received_at)
    ids: defaultdict[int, set[str]] = defaultdict(set)
    plain_lines, connections = 0, set()
    for received_at, hook, msg_id, conn in tail.plain_records():
        ids[hook].add(msg_id)
        plain_lines += 1
        connections.add(conn)
        last = max(last, received_at)
    arrived: Counter[str] = Counter()  # distinct deliveries per hook
    stray = 0  # distinct receipts that belong to no (hook, event) of the run
    for hook, seq in per_pair:
        if hook in sample and isinstance(seq, int) and 0 <= seq < events:
            arrived[hook] += 1
        else:
            stray += 1
    for i, got in ids.items():
        if 0 <= i < len(hook_ids) and hook_ids[i] not in sample:
            arrived[hook_ids[i]] += len(got)
        else:
            stray += len(got)
    received = sum(per_pair.values()) + plain_lines
    distinct = len(per_pair) + sum(len(got) for got in ids.values())
    elapsed = max(last - emitted["first_emit"], 1e-9)
    return {
        "deliveries_per_s": received / elapsed,
        "seconds": elapsed,
        "drain_s": last - emitted["last_emit"],  # last receipt after the last emit
        "expected": len(hook_ids) * events,
        "received": received,
        "missing": sum(max(events - arrived[h], 0) for h in hook_ids),
        "extra": sum(max(arrived[h] - events, 0) for h in hook_ids) + stray,
        "duplicates": received - distinct,
        "short_hooks": {h: arrived[h] for h in hook_ids if arrived[h] != events},
        "sampled_hooks": len(sample),
        "latency_ms": percentiles(latencies),
        "receiver_connections": len(connections),
        "ingest": emitted,
    }


def store_counts(db: Path | str) -> dict:
    """The database's own view after the stop: deliveries by status, attempts that failed.

    `db`: the SQLite file, or a PostgreSQL URL.
    """
    by_status_sql = "SELECT status, count(*) FROM deliveries GROUP BY status"
    attempts_sql = (
        "SELECT sum(CASE WHEN result != 'Success' THEN 1 ELSE 0 END), "
        "sum(CASE WHEN attempt > 1 THEN 1 ELSE 0 END) FROM logs"
    )
    if isinstance(db, str):
        with psycopg.connect(db) as conn:
            by_status = dict(conn.execute(by_status_sql).fetchall())
            failed_attempts, retries = conn.execute(attempts_sql).fetchone()
    else:
        with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
            by_status = dict(conn.execute(by_status_sql))
            failed_attempts, retries = conn.execute(attempts_sql).fetchone()
    names = {state.value: state.name.lower() for state in DeliveryState}
    return {
        "deliveries": {names.get(k, str(k)): v for k, v in by_status.items()},
        "failed_attempts": failed_attempts or 0,
        "retried_attempts": retries or 0,
    }


def check_ceiling(tail: Tail, requests: int) -> dict:
    """The bare loop's receipts: every request logged once, over how many connections."""
    seqs = Counter(body.get("data", {}).get("seq") for _, body in tail.records())
    ids = Counter(msg_id for _, _, msg_id, _ in tail.plain_records())
    distinct = len(seqs) + len(ids)
    received = seqs.total() + ids.total()
    return {
        "received": received,
        "missing": max(requests - distinct, 0),
        "duplicates": received - distinct,
        "receiver_connections": len({conn for *_, conn in tail.plain_records()}),
    }
