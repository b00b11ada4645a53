"""Summaries of the runs: the printed tables and the JSON written to bench/results/."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from bench.stats import spread

CEILING = "bare loop"


def name(dispatchers: int) -> str:
    return f"durable, {dispatchers} dispatcher proc" + ("" if dispatchers == 1 else "s")


def summarise(runs: list[dict]) -> dict:
    ceilings = {r["round"]: r["per_s"] for r in runs if r["config"] == CEILING}
    summary: dict[str, dict] = {}
    for config in dict.fromkeys(r["config"] for r in runs):
        mine = [r for r in runs if r["config"] == config]
        if config == CEILING:
            summary[config] = {
                "per_s": spread([r["per_s"] for r in mine]),
                "cpu_us_per_request": spread([r["cpu_us_per_request"] for r in mine]),
                "failed_requests": sum(r["requests"] - r["ok"] for r in mine),
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
                    if ceilings.get(r["round"])
                ]
            ),
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
            "duplicates": sum(r["duplicates"] for r in mine),
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


def show(machine: dict, params: dict, summary: dict, runs: list[dict]) -> None:
    console = Console(width=None if Console().is_terminal else 150)
    p = machine["packages"]
    console.print(
        f"[bold]hookline bench[/]  {machine['cpu']}, {machine['cores']} cores, "
        f"{machine['python']}, kernel {machine['kernel']}\n"
        f"aiohttp {p['aiohttp']}, uvloop {p['uvloop']}, orjson {p['orjson']}, "
        f"SQLAlchemy {p['SQLAlchemy']}, FastAPI {p['fastapi']}, uvicorn {p['uvicorn']}, "
        f"SQLite {machine['sqlite']}, nginx {machine['nginx']}\n"
        f"calibration: sum(range(1000)) {machine['calibration']['timeit_sum_range_1000_us']} µs, "
        f"{machine['calibration']['fsync_per_s']:,} fsync/s\n"
        f"{params['rounds']} rounds interleaved; durable: {params['events']:,} events × "
        f"{params['hooks']} hooks = {params['events'] * params['hooks']:,} deliveries, "
        f"{params['emit_concurrency']} emits in flight; bare loop: "
        f"{params['ceiling_requests']:,} POSTs, {params['ceiling_concurrency']} in flight"
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
        table.add_column(col, justify="left" if col in ("configuration", "check") else "right")
    for config, s in summary.items():
        rate = _range(s["per_s"])
        if config == CEILING:
            check = "ok" if not s["failed_requests"] else f"{s['failed_requests']} failed"
            table.add_row(config, *rate, "1.00", "", "", "", "", "", check)
            continue
        keys = ("missing", "duplicates", "ingest_errors", "failed_attempts")
        bad = [f"{s[k]} {k.replace('_', ' ')}" for k in keys if s[k]]
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
        "nginx",
        "load generator",
        "machine busy %",
        "not ours (cores)",
    ):
        cpu.add_column(col, justify="left" if col == "configuration" else "right")
    for config, s in summary.items():
        if config == CEILING:
            cpu.add_row(config, "", _range(s["cpu_us_per_request"])[0], "", "", *_load(s))
            continue
        c = s["cpu_us_per_delivery"]
        cells = [
            _range(c[k])[0] if k in c else "–" for k in ("api", "dispatcher", "nginx", "loadgen")
        ]
        cpu.add_row(config, *cells, *_load(s))
    console.print(cpu)
    for r in runs:
        if r["config"] != CEILING and (r["missing"] or r["duplicates"] or r["short_hooks"]):
            console.print(
                f"[red]round {r['round']} {r['config']}: missing {r['missing']}, "
                f"duplicates {r['duplicates']}, per hook {r['short_hooks']}[/]"
            )
    best = max(
        (s["ratio_to_bare_loop"]["median"] or 0 for c, s in summary.items() if c != CEILING),
        default=0,
    )
    console.print(f"best durable / bare loop: {best:.2f} (goal ≥ 0.75)")
