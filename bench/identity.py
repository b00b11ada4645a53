"""The identity workload: users created through the Management API, one User.Created hook.

hookline runs on a fresh SQLite file with one hook subscribed to `User.Created`, pointing at the
receiver's body-logging location, so every webhook's body (`data.username`, `data.id`) and its
receipt time are logged. `bench.userload` creates the users with 1 or more clients and records
when each answer arrived; the latency of a user is its webhook's receipt minus that time.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from bench.nginx import Nginx, Tail
from bench.pipeline import _self_cpu, machine_load, store_counts
from bench.procs import CpuWindow
from bench.server import Server, dispatcher_count
from bench.stats import percentiles, spread
from bench.sub import run_json

# Logto 1.37.1 on this machine class, `POST /api/users` with one User.Created hook (the issue).
LOGTO = {1: {"min": 38, "max": 69}, 8: {"min": 48, "max": 88}}
LOGTO_WEBHOOK_P50_MS = (4, 6)
GOAL_FACTOR = 10  # users/s at least 10 × Logto's best: 690 with 1 client, 880 with 8
GOAL_P50_MS = 5.0
DEFAULT = "default: "  # the start of the names of the rows without HOOKLINE_DISPATCHERS


def name(clients: int, dispatchers: int | None) -> str:
    """A row's name; None: HOOKLINE_DISPATCHERS unset, and what hookline picks for itself."""
    who = f"{clients} client" + ("" if clients == 1 else "s")
    if dispatchers is None:
        return DEFAULT + name(clients, dispatcher_count(None))
    if dispatchers == 0:
        return f"{who}, dispatcher inside the API"
    return f"{who}, {dispatchers} dispatcher proc" + ("" if dispatchers == 1 else "s")


def logto_best(clients: int) -> int:
    """Logto's best users/s with this many clients (8 clients' for any other number above 1)."""
    return LOGTO[1 if clients == 1 else 8]["max"]


class UserTail(Tail):
    """The body-logging receipts of the users whose names start with `prefix`_."""

    def __init__(self, nginx: Nginx, label: str, prefix: str) -> None:
        super().__init__(nginx, label, prefix)
        self.marks = (b'\\"username\\":\\"' + prefix.encode() + b"_", self.marks[1])


def run(
    nginx: Nginx,
    directory: Path,
    dispatchers: int | None,
    clients: int,
    users: int,
    label: str,
    warmup: int,
    timeout: float,
) -> dict:
    server = Server(directory, dispatchers).start()
    env = {"BENCH_TOKEN": server.token}
    try:
        hook_id = server.create_hook("bench-users", f"{nginx.base}/sample/{label}/0")
        # Warm-up, not measured: imports, caches and connections hot, dispatchers listening.
        # Told apart from the measured users by the username prefix.
        tail = UserTail(nginx, label, "w" + label)
        warm = run_json(
            "bench.userload", server.base, warmup, clients, "w" + label, timeout=timeout, env=env
        )
        tail.wait(warm["created"], 30)

        pids = {
            pid: ("api" if pid == server.process.pid else "dispatcher") for pid in server.pids()
        }
        pids.update({pid: "nginx" for pid in nginx.pids()})
        window, harness0 = CpuWindow(pids), _self_cpu()
        tail = UserTail(nginx, label, "m" + label)
        created = run_json(
            "bench.userload", server.base, users, clients, "m" + label, timeout=timeout, env=env
        )
        tail.wait(created["created"], timeout)
        cpu = window.stop()
        cpu["cpu_s"]["loadgen"] = created.pop("cpu_s")
        cpu["cpu_s"]["harness"] = _self_cpu() - harness0
    finally:
        server.stop()
    result = analyse(tail, created, hook_id)
    result.update(
        dispatchers=dispatcher_count(dispatchers),
        default=dispatchers is None,
        clients=clients,
        users=users,
        store=store_counts(server.db),
    )
    n = max(created["created"], 1)
    result["cpu_us_per_user"] = {role: s / n * 1e6 for role, s in cpu["cpu_s"].items()}
    result["machine"] = machine_load(cpu)
    return result


def analyse(tail: UserTail, created: dict, hook_id: str) -> dict:
    """Each created user's User.Created webhook, exactly once; its delay after the answer."""
    answered: dict[str, list] = created.pop("users")  # username → [answer received, id]
    per_user: Counter[str] = Counter()
    latencies: list[float] = []
    stray = wrong = 0
    last = created["last_response"]
    for received_at, body in tail.records():
        data = body.get("data") or {}
        username = data.get("username")
        got = answered.get(username)
        if got is None or body.get("event") != "User.Created" or body.get("hookId") != hook_id:
            stray += 1  # not a user this run created (or not this hook's, or another event)
            continue
        per_user[username] += 1
        if data.get("id") != got[1]:
            wrong += 1
        if per_user[username] == 1:
            latencies.append((received_at - got[0]) * 1000)
        last = max(last, received_at)
    return {
        "users_per_s": created["users_per_s"],
        "x_logto_best": created["users_per_s"] / logto_best(created["clients"]),
        "created": created["created"],
        "received": per_user.total() + stray,
        "missing": sum(1 for u in answered if not per_user[u]),
        "duplicates": sum(c - 1 for c in per_user.values()),
        "extra": stray,
        "wrong_id": wrong,
        "drain_s": last - created["last_response"],  # last webhook after the last answer
        "latency_ms": percentiles(latencies),
        "latency_negative": sum(v < 0 for v in latencies),
        "api": created,
    }


def summarise(runs: list[dict]) -> dict:
    summary: dict[str, dict] = {}
    for config in dict.fromkeys(r["config"] for r in runs):
        mine = [r for r in runs if r["config"] == config]
        roles = sorted({k for r in mine for k in r["cpu_us_per_user"]})
        summary[config] = {
            "clients": mine[0]["clients"],
            "dispatchers": mine[0]["dispatchers"],
            "users_per_s": spread([r["users_per_s"] for r in mine]),
            "x_logto_best": spread([r["x_logto_best"] for r in mine]),
            **{
                f"latency_{q}_ms": spread([r["latency_ms"][q] for r in mine])
                for q in ("p50", "p95", "p99")
            },
            "api_p50_ms": spread([r["api"]["api_ms"]["p50"] for r in mine]),
            "api_p99_ms": spread([r["api"]["api_ms"]["p99"] for r in mine]),
            "drain_s": spread([r["drain_s"] for r in mine]),
            "cpu_us_per_user": {
                role: spread([r["cpu_us_per_user"].get(role) for r in mine]) for role in roles
            },
            "created": sum(r["created"] for r in mine),
            "requested": sum(r["users"] for r in mine),
            "api_errors": sum(r["api"]["error_count"] for r in mine),
            "missing": sum(r["missing"] for r in mine),
            "extra": sum(r["extra"] for r in mine),
            "duplicates": sum(r["duplicates"] for r in mine),
            "wrong_id": sum(r["wrong_id"] for r in mine),
            "failed_attempts": sum(r["store"]["failed_attempts"] for r in mine),
            "runs": len(mine),
            "machine_busy_pct": spread([r["machine"]["busy_pct"] for r in mine]),
            "other_load_cores": spread([r["machine"]["other_cores"] for r in mine]),
        }
    return summary


def reference() -> dict:
    clients = {c: f"{c} client" + ("" if c == 1 else "s") for c in LOGTO}
    return {
        "logto_version": "1.37.1",
        "logto_users_per_s": {clients[c]: r for c, r in LOGTO.items()},
        "logto_webhook_p50_ms": list(LOGTO_WEBHOOK_P50_MS),
        "goal_users_per_s": {clients[c]: r["max"] * GOAL_FACTOR for c, r in LOGTO.items()},
        "goal_p50_ms": GOAL_P50_MS,
    }
