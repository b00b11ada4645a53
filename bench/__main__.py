"""`make bench`: the bare aiohttp loop (the ceiling) against hookline's durable pipeline (on
SQLite, and on PostgreSQL with worker processes), and the identity workload (users created
through the Management API, User.Created webhooks).

Every configuration runs `--rounds` times, interleaved, against one nginx receiver on loopback.
Settings come from the command line or BENCH_* environment variables (see `--help`).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench import identity, machine, pipeline, postgres, report, sync_hooks
from bench.nginx import Nginx, Tail
from bench.procs import CpuWindow
from bench.server import dispatcher_count
from bench.sub import run_json

RESULTS = Path(__file__).resolve().parent / "results"
WORKLOADS = ("delivery", "identity", "sync")


def options() -> argparse.Namespace:
    env = os.environ.get
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--events",
        type=int,
        default=int(env("BENCH_EVENTS", 3000)),
        help="events per durable run (each goes to every hook)",
    )
    parser.add_argument("--hooks", type=int, default=int(env("BENCH_HOOKS", 10)))
    parser.add_argument("--rounds", type=int, default=int(env("BENCH_ROUNDS", 3)))
    parser.add_argument(
        "--dispatchers",
        default=env("BENCH_DISPATCHERS", "default,2,1,0"),
        help="comma-separated HOOKLINE_DISPATCHERS values, one row each; `default` leaves it "
        "unset (the first row; a number equal to hookline's default on this machine is then "
        "left out) (default: default,2,1,0)",
    )
    parser.add_argument(
        "--pg-dispatchers",
        default=env("BENCH_PG_DISPATCHERS", "2,1"),
        help="comma-separated HOOKLINE_DISPATCHERS values (worker processes) for the rows on "
        "PostgreSQL, one row each, `default` as for --dispatchers; empty for none "
        "(default: 2,1)",
    )
    parser.add_argument(
        "--emit-concurrency", type=int, default=int(env("BENCH_EMIT_CONCURRENCY", 48))
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=float(env("BENCH_RATE", 0)),
        help="emit the --dispatchers and --pg-dispatchers rows at this many events/s instead "
        "of as fast as the API accepts (default: off)",
    )
    parser.add_argument(
        "--paced",
        default=env("BENCH_PACED", "2@200"),
        help="extra durable rows at a fixed emit rate, DISPATCHERS@EVENTS_PER_S, "
        "comma-separated; empty for none (default: 2@200)",
    )
    parser.add_argument(
        "--paced-seconds",
        type=float,
        default=float(env("BENCH_PACED_SECONDS", 10)),
        help="how long each --paced row emits (events = rate × seconds)",
    )
    parser.add_argument(
        "--ordered",
        default=env("BENCH_ORDERED", "default"),
        help="comma-separated HOOKLINE_DISPATCHERS values for extra rows on SQLite whose hooks "
        "deliver in order per subject (config.ordering), `default` as for --dispatchers; "
        "empty for none (default: default)",
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=int(env("BENCH_WARMUP", 100)),
        help="unmeasured events sent first to each fresh server",
    )
    parser.add_argument(
        "--ceiling-requests",
        type=int,
        default=int(env("BENCH_CEILING_REQUESTS", 0)),
        help="POSTs per bare-loop run (default: events × hooks)",
    )
    parser.add_argument(
        "--ceiling-concurrency", type=int, default=int(env("BENCH_CEILING_CONCURRENCY", 128))
    )
    parser.add_argument(
        "--workloads",
        default=env("BENCH_WORKLOADS", ",".join(WORKLOADS)),
        help="comma-separated: delivery (bare loop and durable rows), identity (users created "
        "through POST /api/users), sync (what one synchronous hook adds to a sign-in flow); "
        "default: all three",
    )
    parser.add_argument(
        "--users",
        type=int,
        default=int(env("BENCH_USERS", 2000)),
        help="users created per identity run",
    )
    parser.add_argument(
        "--user-clients",
        default=env("BENCH_USER_CLIENTS", "1,8"),
        help="comma-separated numbers of concurrent API clients, one identity row each",
    )
    parser.add_argument(
        "--user-dispatchers",
        default=env("BENCH_USER_DISPATCHERS", "default,0,1"),
        help="comma-separated HOOKLINE_DISPATCHERS values for the identity rows, `default` as "
        "for --dispatchers (default: default,0,1: hookline's default, the dispatcher inside "
        "the API, and one dispatcher process beside it)",
    )
    parser.add_argument(
        "--sync-flows",
        type=int,
        default=int(env("BENCH_SYNC_FLOWS", 200)),
        help="registrations and sign-ins per sync-hook run, half of them with the hook",
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=float(env("BENCH_BUDGET", 1800)),
        help="seconds after which the whole bench stops and cleans up",
    )
    args = parser.parse_args()
    args.workloads = [w.strip() for w in args.workloads.split(",") if w.strip()]
    if not args.workloads or set(args.workloads) - set(WORKLOADS):
        parser.error(f"--workloads: a comma-separated subset of {', '.join(WORKLOADS)}")
    args.identity_runs = [
        (d, int(c))
        for d in dispatcher_rows(args.user_dispatchers)
        for c in args.user_clients.split(",")
        if c.strip()
    ]
    args.ceiling_requests = args.ceiling_requests or args.events * args.hooks
    args.runs = [
        (backend, d, args.rate, args.events, False)
        for backend, ds in (("sqlite", args.dispatchers), ("postgresql", args.pg_dispatchers))
        for d in dispatcher_rows(ds)
    ]
    args.runs += [("sqlite", d, 0.0, args.events, True) for d in dispatcher_rows(args.ordered)]
    for row in filter(None, (r.strip() for r in args.paced.split(","))):
        d, _, rate = row.partition("@")
        if not rate or float(rate) <= 0:
            parser.error(f"--paced: {row!r} is not DISPATCHERS@EVENTS_PER_S")
        events = max(1, round(float(rate) * args.paced_seconds))
        args.runs.append(("sqlite", dispatcher_value(d), float(rate), events, False))
    return args


def dispatcher_value(text: str) -> int | None:
    """A HOOKLINE_DISPATCHERS value; None for `default`: left unset."""
    return None if text.strip() == "default" else int(text)


def dispatcher_rows(text: str) -> list[int | None]:
    """The rows of a comma-separated list, `default` first; a number that is hookline's
    default on this machine anyway is not run twice."""
    rows = [dispatcher_value(d) for d in text.split(",") if d.strip()]
    if None in rows:
        rows = [None] + [d for d in rows if d is not None and d != dispatcher_count(None)]
    return list(dict.fromkeys(rows))


def tagged(dispatchers: int | None) -> str:
    """The dispatchers of a row, as its directory and receiver paths name them."""
    return "def" if dispatchers is None else str(dispatchers)


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _abort(signum: int, _frame: object) -> None:
    if signum == signal.SIGALRM:
        raise TimeoutError("bench budget exhausted")
    raise SystemExit(128 + signum)


def main() -> int:
    args = options()
    signal.signal(signal.SIGALRM, _abort)
    signal.signal(signal.SIGTERM, _abort)
    signal.alarm(int(args.budget))
    workdir = Path(tempfile.mkdtemp(prefix="hookline-bench-"))
    nginx = Nginx(workdir / "nginx")
    nginx.dir.mkdir()
    runs: list[dict] = []
    user_runs: list[dict] = []
    sync_runs: list[dict] = []
    step = max(120.0, args.events * args.hooks / 200)  # bound on any one run
    cluster = None
    try:
        facts = machine.facts()
        nginx.start()
        if "delivery" in args.workloads and any(r[0] == "postgresql" for r in args.runs):
            cluster = postgres.start()
            facts["postgresql"] = postgres.facts(cluster)
        for round_no in range(1, args.rounds + 1):
            tag = uuid.uuid4().hex[:8]
            if "identity" in args.workloads:
                user_runs.extend(identity_round(args, nginx, workdir, round_no, tag))
            if "sync" in args.workloads:
                say(f"round {round_no}/{args.rounds}: sync hooks")
                label = f"s{round_no}{tag}"
                sync_runs.append(sync_hooks.run(nginx, workdir / label, args.sync_flows, label))
                shutil.rmtree(workdir / label, ignore_errors=True)
            if "delivery" not in args.workloads:
                continue
            say(f"round {round_no}/{args.rounds}: {report.CEILING}")
            label = f"c{round_no}{tag}"
            tail = Tail(nginx, label, label)
            window = CpuWindow({pid: "nginx" for pid in nginx.pids()})
            ceiling = run_json(
                "bench.ceiling",
                nginx.base,
                args.ceiling_requests,
                args.ceiling_concurrency,
                label,
                args.hooks,
                timeout=step,
            )
            cpu = window.stop()
            tail.wait(args.ceiling_requests, 30, idle=5)
            cpu["cpu_s"]["sender"] = ceiling.pop("cpu_s")
            runs.append(
                {
                    "round": round_no,
                    "config": report.CEILING,
                    **ceiling,
                    **pipeline.check_ceiling(tail, args.ceiling_requests),
                    "machine": pipeline.machine_load(cpu),
                }
            )
            for backend, d, rate, events, ordered in args.runs:
                config = report.name(d, rate, backend, ordered)
                say(f"round {round_no}/{args.rounds}: {config}")
                label = f"{round_no}{'p' if backend == 'postgresql' else 'd'}{tagged(d)}"
                label += "o" if ordered else ""
                label += f"r{rate:g}{tag}" if rate else tag
                database_url, postmaster = "", 0
                if backend == "postgresql":
                    database_url = cluster.create_database(postgres.database_name(label))
                    postmaster = postgres.postmaster(cluster)
                result = pipeline.run(
                    nginx,
                    workdir / label,
                    d,
                    events,
                    args.hooks,
                    args.emit_concurrency,
                    label,
                    args.warmup,
                    step + (events / rate if rate else 0),
                    rate,
                    database_url,
                    postmaster,
                    ordered,
                )
                runs.append({"round": round_no, "config": config, **result})
                shutil.rmtree(workdir / label, ignore_errors=True)  # the SQLite file is large
                if database_url:
                    cluster.drop_database(postgres.database_name(label))  # and so is this
        summary = report.summarise(runs)
        user_summary = identity.summarise(user_runs)
        params = {k: v for k, v in vars(args).items() if k not in ("runs", "identity_runs")}
        report.show(facts, params, summary, runs, user_summary)
        sync_summary = sync_hooks.summarise(sync_runs) if sync_runs else {}
        if sync_summary:
            report.show_sync(params, sync_summary)
        RESULTS.mkdir(exist_ok=True)
        out = {
            "at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "machine": facts,
            "params": params,
            "summary": summary,
            "runs": runs,
            "identity": {
                "reference": identity.reference(),
                "summary": user_summary,
                "runs": user_runs,
            },
            "sync": {"summary": sync_summary, "runs": sync_runs},
        }
        (RESULTS / "latest.json").write_text(json.dumps(out, indent=2) + "\n")
        say(f"results: {RESULTS / 'latest.json'}")
        checked = ("missing", "extra", "duplicates", "wrong_id")
        bad = any(s.get(k) for s in summary.values() for k in checked) or any(
            s.get(k) for s in user_summary.values() for k in checked
        )
        bad = bad or bool(sync_summary.get("unanswered_calls"))
        return 1 if bad else 0
    finally:
        signal.alarm(0)
        if cluster is not None:
            cluster.stop()
        nginx.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def identity_round(
    args: argparse.Namespace, nginx: Nginx, workdir: Path, round_no: int, tag: str
) -> list[dict]:
    """One round of the identity rows: a fresh server each, users created through the API."""
    runs = []
    step = max(120.0, args.users / 20)
    for d, clients in args.identity_runs:
        config = identity.name(clients, d)
        say(f"round {round_no}/{args.rounds}: identity, {config}")
        label = f"u{round_no}d{tagged(d)}c{clients}{tag}"
        result = identity.run(
            nginx, workdir / label, d, clients, args.users, label, args.warmup, step
        )
        runs.append({"round": round_no, "config": config, **result})
        shutil.rmtree(workdir / label, ignore_errors=True)
    return runs


if __name__ == "__main__":
    raise SystemExit(main())
