"""Summaries of the runs: the printed tables and the JSON written to bench/results/."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from bench import identity
from bench.nginx import sampled
from bench.server import dispatcher_count
from bench.stats import spread

CEILING = "bare loop"
DEFAULT = "default: "  # the start of the names of the rows without HOOKLINE_DISPATCHERS
PG_GOAL = 0.5  # PostgreSQL with 2 worker processes, × the bare loop


def name(
    dispatchers: int | None, rate: float = 0.0, backend: str = "sqlite", ordered: bool = False
) -> str:
    """A row's name; None: HOOKLINE_DISPATCHERS unset, and what hookline picks for itself."""
    if dispatchers is None:
        return DEFAULT + name(dispatcher_count(None), rate, backend, ordered)
    if backend == "postgresql" and dispatchers == 0:
        procs = "PostgreSQL, dispatcher in the API process"
    elif backend == "postgresql":
        procs = f"PostgreSQL, {dispatchers} worker process" + ("" if dispatchers == 1 else "es")
    else:
        procs = f"durable, {dispatchers} dispatcher proc" + ("" if dispatchers == 1 else "s")
    procs += ", ordered per subject" if ordered else ""
    return f"{procs}, {rate:,g} ev/s" if rate else procs


def summarise(runs: list[dict]) -> dict:
    ceilings = {r["round"]: r["per_s"] for r in runs if r["config"] == CEILING}
    summary: dict[str, dict] = {}
    configs = dict.fromkeys(r["config"] for r in runs)
    # What hookline does unless told otherwise comes first.
    for config in sorted(configs, key=lambda c: not c.startswith(DEFAULT)):
        mine = [r for r in runs if r["config"] == config]
        if config == CEILING:
            summary[config] = {
                "per_s": spread([r["per_s"] for r in mine]),
                "cpu_us_per_request": spread([r["cpu_us_per_request"] for r in mine]),
                "failed_requests": sum(r["requests"] - r["ok"] for r in mine),
                "missing": sum(r["missing"] for r in mine),
                "duplicates": sum(r["duplicates"] for r in mine),
                "receiver_connections": spread([r["receiver_connections"] for r in mine]),
                **_machine(mine),
            }
            continue
        cpu_roles = sorted({k for r in mine for k in r["cpu_us_per_delivery"]})
        summary[config] = {
            "per_s": spread([r["deliveries_per_s"] for r in mine]),
            "ratio_to_bare_loop": spread(
                [
                    r["deliveries_per_s"] / ceilings[r["round"]]
                    for r in mine
                    if ceilings.get(r["round"]) and not r["rate"]  # a fixed rate is no ceiling
                ]
            ),
            "rate": mine[0]["rate"],
            "backend": mine[0]["backend"],
            "dispatchers": mine[0]["dispatchers"],
            "emit_per_s": spread([r["ingest"]["emit_per_s"] for r in mine]),
            "emit_lag_p99_ms": spread([r["ingest"]["lag_ms"]["p99"] for r in mine]),
            "drain_s": spread([r["drain_s"] for r in mine]),
            **{
                f"latency_{q}_ms": spread([r["latency_ms"][q] for r in mine])
                for q in ("p50", "p95", "p99")
            },
            "accepted_events_per_s": spread([r["ingest"]["accept_per_s"] for r in mine]),
            "accept_p50_ms": spread([r["ingest"]["accept_ms"]["p50"] for r in mine]),
            "accept_p99_ms": spread([r["ingest"]["accept_ms"]["p99"] for r in mine]),
            "cpu_us_per_delivery": {
                role: spread([r["cpu_us_per_delivery"].get(role) for r in mine])
                for role in cpu_roles
            },
            "missing": sum(r["missing"] for r in mine),
            "extra": sum(r["extra"] for r in mine),
            "duplicates": sum(r["duplicates"] for r in mine),
            "receiver_connections": spread([r["receiver_connections"] for r in mine]),
            "ingest_errors": sum(r["ingest"]["error_count"] for r in mine),
            "failed_attempts": sum(r["store"]["failed_attempts"] for r in mine),
            "runs": len(mine),
            **_machine(mine),
        }
    return summary


def _machine(mine: list[dict]) -> dict:
    return {
        "machine_busy_pct": spread([r["machine"]["busy_pct"] for r in mine]),
        "other_load_cores": spread([r["machine"]["other_cores"] for r in mine]),
    }


def _range(s: dict, fmt: str = "{:,.0f}") -> tuple[str, str]:
    if s["median"] is None:
        return "–", "–"
    return fmt.format(s["median"]), f"{fmt.format(s['min'])}–{fmt.format(s['max'])}"


def _load(s: dict) -> tuple[str, str]:
    return _range(s["machine_busy_pct"])[0], _range(s["other_load_cores"], "{:.2f}")[0]


def show(
    machine: dict, params: dict, summary: dict, runs: list[dict], users: dict | None = None
) -> None:
    console = Console(width=None if Console().is_terminal else 170)
    p = machine["packages"]
    console.print(
        f"[bold]hookline bench[/]  {machine['cpu']}, {machine['cores']} cores, "
        f"{machine['python']}, kernel {machine['kernel']}\n"
        f"aiohttp {p['aiohttp']}, uvloop {p['uvloop']}, orjson {p['orjson']}, "
        f"SQLAlchemy {p['SQLAlchemy']}, FastAPI {p['fastapi']}, uvicorn {p['uvicorn']}, "
        f"SQLite {machine['sqlite']}, nginx {machine['nginx']}\n"
        f"calibration: sum(range(1000)) {machine['calibration']['timeit_sum_range_1000_us']} µs, "
        f"{machine['calibration']['fsync_per_s']:,} fsync/s"
    )
    if pg := machine.get("postgresql"):
        console.print(
            f"PostgreSQL {pg['server_version']}, a private cluster on loopback TCP: "
            + ", ".join(f"{k} {v}" for k, v in pg.items() if k != "server_version")
        )
    if summary:
        _show_delivery(console, params, summary, runs)
    if users:
        show_identity(console, params, users)


def _show_delivery(console: Console, params: dict, summary: dict, runs: list[dict]) -> None:
    console.print(
        f"{params['rounds']} rounds interleaved; durable: {params['events']:,} events × "
        f"{params['hooks']} hooks = {params['events'] * params['hooks']:,} deliveries, "
        f"{params['emit_concurrency']} emits in flight, "
        + (f"at {params['rate']:,g} ev/s" if params["rate"] else "as fast as the API accepts")
        + (
            f"; rows with ev/s: that fixed emit rate for {params['paced_seconds']:g} s"
            if params["paced"].strip()
            else ""
        )
        + f"\nbare loop: {params['ceiling_requests']:,} POSTs, "
        f"{params['ceiling_concurrency']} in flight, same hook URLs. receiver: "
        f"{len(sampled(params['hooks']))} of {params['hooks']} hooks body-logged (latency, "
        "exact pairs), the rest counted by webhook-id"
    )
    table = Table(title="Throughput (median, min–max) and latency emit → receipt (median of runs)")
    for col in (
        "configuration",
        "per s",
        "min–max",
        "× bare loop",
        "min–max",
        "p50 ms",
        "p99 ms",
        "accepted ev/s",
        "accept p99 ms",
        "check",
    ):
        table.add_column(
            col,
            justify="left" if col in ("configuration", "check") else "right",
            no_wrap=col == "configuration",
        )
    for config, s in summary.items():
        rate = _range(s["per_s"])
        if config == CEILING:
            keys = ("failed_requests", "missing", "duplicates")
            bad = [f"{s[k]} {k.replace('_', ' ')}" for k in keys if s[k]]
            table.add_row(config, *rate, "1.00", "", "", "", "", "", "; ".join(bad) or "ok")
            continue
        keys = ("missing", "extra", "duplicates", "ingest_errors", "failed_attempts")
        bad = [f"{s[k]} {k.replace('_', ' ')}" for k in keys if s[k]]
        if s["rate"] and (s["emit_per_s"]["min"] or 0) < 0.95 * s["rate"]:
            bad.append(f"emitter behind ({_range(s['emit_per_s'])[0]} ev/s)")
        if s["rate"] and (s["drain_s"]["max"] or 0) > 1.0:
            bad.append(f"backlog: drained {_range(s['drain_s'], '{:.1f}')[0]} s after last emit")
        table.add_row(
            config,
            *rate,
            *_range(s["ratio_to_bare_loop"], "{:.2f}"),
            _range(s["latency_p50_ms"])[0],
            _range(s["latency_p99_ms"])[0],
            _range(s["accepted_events_per_s"])[0],
            _range(s["accept_p99_ms"])[0],
            "; ".join(bad) or "all delivered once",
        )
    console.print(table)
    cpu = Table(title="CPU µs per delivery by process (median of runs; bare loop: per POST)")
    for col in (
        "configuration",
        "api",
        "dispatchers (bare loop: sender)",
        "postgres",
        "nginx",
        "load generator",
        "receiver conns",
        "machine busy %",
        "not ours (cores)",
    ):
        cpu.add_column(
            col,
            justify="left" if col == "configuration" else "right",
            no_wrap=col == "configuration",
        )
    for config, s in summary.items():
        if config == CEILING:
            cpu.add_row(
                config,
                "",
                _range(s["cpu_us_per_request"])[0],
                "",
                "",
                "",
                _range(s["receiver_connections"])[0],
                *_load(s),
            )
            continue
        c = s["cpu_us_per_delivery"]
        cells = [
            _range(c[k])[0] if k in c else "–"
            for k in ("api", "dispatcher", "postgres", "nginx", "loadgen")
        ]
        cpu.add_row(config, *cells, _range(s["receiver_connections"])[0], *_load(s))
    console.print(cpu)
    for r in runs:
        if r["config"] != CEILING and (
            r["missing"] or r["extra"] or r["duplicates"] or r["short_hooks"]
        ):
            console.print(
                f"[red]round {r['round']} {r['config']}: missing {r['missing']}, "
                f"extra {r['extra']}, duplicates {r['duplicates']}, "
                f"distinct deliveries per short hook {r['short_hooks']}[/]"
            )
    ratios = [
        s["ratio_to_bare_loop"]["median"] or 0
        for c, s in summary.items()
        if c != CEILING and not s["rate"] and s["backend"] == "sqlite"
    ]
    if ratios:
        console.print(f"best durable (SQLite) / bare loop: {max(ratios):.2f} (goal ≥ 0.75)")
    for config, s in summary.items():
        if s.get("backend") == "postgresql" and s["dispatchers"] == 2 and not s["rate"]:
            ratio = s["ratio_to_bare_loop"]["median"] or 0
            met = "met" if ratio >= PG_GOAL else "not met"
            console.print(f"{config} / bare loop: {ratio:.2f} (goal ≥ {PG_GOAL}: {met})")


def show_identity(console: Console, params: dict, users: dict) -> None:
    ref = identity.reference()
    lo = ref["logto_users_per_s"]
    console.print(
        f"identity: {params['users']:,} users per run created with POST /api/users "
        f"(1 username each, no password), one hook on User.Created, body-logged; "
        f"{params['rounds']} rounds interleaved, a fresh server per run, {params['warmup']} "
        "users first unmeasured\n"
        f"reference, Logto {ref['logto_version']} on this machine class: "
        + ", ".join(f"{r['min']}–{r['max']} users/s with {c}" for c, r in lo.items())
        + f"; webhook p50 {ref['logto_webhook_p50_ms'][0]}–{ref['logto_webhook_p50_ms'][1]} ms "
        "after the API answer\n"
        f"goal: ≥ {identity.GOAL_FACTOR} × Logto's best ("
        + ", ".join(f"{g:,} users/s with {c}" for c, g in ref["goal_users_per_s"].items())
        + f"), webhook p50 < {ref['goal_p50_ms']:g} ms"
    )
    table = Table(
        title="Identity: users/s (first request → last answer; median, min–max) and webhook "
        "receipt − API answer per user (median of runs)"
    )
    for col in (
        "configuration",
        "users/s",
        "min–max",
        "× Logto's best",
        "p50 ms",
        "p99 ms",
        "API p50 / p99 ms",
        "check",
    ):
        table.add_column(
            col,
            justify="left" if col in ("configuration", "check") else "right",
            no_wrap=col == "configuration",
        )
    for config, s in users.items():
        keys = ("missing", "extra", "duplicates", "wrong_id", "api_errors", "failed_attempts")
        bad = [f"{s[k]} {k.replace('_', ' ')}" for k in keys if s[k]]
        if s["created"] < s["requested"]:
            bad.append(f"{s['requested'] - s['created']} not created")
        api = f"{_range(s['api_p50_ms'], '{:.1f}')[0]} / {_range(s['api_p99_ms'], '{:.1f}')[0]}"
        table.add_row(
            config,
            *_range(s["users_per_s"]),
            _range(s["x_logto_best"], "{:.1f}")[0],
            _range(s["latency_p50_ms"], "{:.1f}")[0],
            _range(s["latency_p99_ms"], "{:.1f}")[0],
            api,
            "; ".join(bad) or "every user's webhook once",
        )
    console.print(table)
    cpu = Table(title="Identity: CPU µs per user by process (median of runs)")
    for col in (
        "configuration",
        "api",
        "dispatcher",
        "nginx",
        "load generator",
        "not ours (cores)",
    ):
        cpu.add_column(col, justify="left" if col == "configuration" else "right", no_wrap=True)
    for config, s in users.items():
        c = s["cpu_us_per_user"]
        cells = [
            _range(c[k])[0] if k in c else "–" for k in ("api", "dispatcher", "nginx", "loadgen")
        ]
        cpu.add_row(config, *cells, _range(s["other_load_cores"], "{:.2f}")[0])
    console.print(cpu)
    for clients in sorted({s["clients"] for s in users.values()}):
        rows = [s for s in users.values() if s["clients"] == clients]
        best = max(rows, key=lambda s: s["users_per_s"]["median"] or 0)
        fastest = min(rows, key=lambda s: s["latency_p50_ms"]["median"] or float("inf"))
        goal = identity.logto_best(clients) * identity.GOAL_FACTOR
        console.print(
            f"{clients} client{'' if clients == 1 else 's'}: best {_range(best['users_per_s'])[0]} "
            f"users/s = {_range(best['x_logto_best'], '{:.1f}')[0]} × Logto's best (goal ≥ "
            f"{identity.GOAL_FACTOR}, {goal:,} users/s); lowest webhook p50 "
            f"{_range(fastest['latency_p50_ms'], '{:.1f}')[0]} ms (goal < "
            f"{identity.GOAL_P50_MS:g} ms)"
        )


def show_sync(params: dict, summary: dict) -> None:
    """What one synchronous hook (a receiver answering 204 at once) adds to a submit."""
    console = Console(width=None if Console().is_terminal else 170)
    table = Table(
        title=f"Sync hooks: POST /api/experience/submit, {params['sync_flows']} flows per run, "
        "half with one sync hook (medians of runs, ms)"
    )
    for col in ("flow", "without p50 / p99", "with p50 / p99", "added p50", "added p99"):
        table.add_column(col, justify="left" if col == "flow" else "right", no_wrap=True)
    for kind, title in (("register", "registration"), ("sign_in", "sign-in")):
        s = summary[kind]

        def ms(key: str, s: dict = s) -> str:
            return _range(s[key], "{:.1f}")[0]

        table.add_row(
            title,
            f"{ms('without_p50_ms')} / {ms('without_p99_ms')}",
            f"{ms('with_p50_ms')} / {ms('with_p99_ms')}",
            ms("added_p50_ms"),
            ms("added_p99_ms"),
        )
    console.print(table)
    if summary["unanswered_calls"]:
        console.print(f"check: {summary['unanswered_calls']} sync calls without a success")
