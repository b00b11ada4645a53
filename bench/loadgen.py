"""The emitter: POST /api/hook-events with N events, each carrying its emit time.

Run as `BENCH_TOKEN=... python -m bench.loadgen BASE EVENTS CONCURRENCY LABEL [RATE]`;
prints one JSON line. Without RATE (or with 0) it sends as fast as the API accepts, CONCURRENCY
in flight. With RATE, event n is due RATE⁻¹·n s after the start (an open-loop schedule, still at
most CONCURRENCY in flight); how late events went out is reported as `lag_ms`.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import resource
import sys
import time

import aiohttp
import orjson
import uvloop

from bench.payload import padded
from bench.stats import percentiles


async def emit(
    base: str, token: str, total: int, concurrency: int, label: str, rate: float = 0.0
) -> dict:
    url = f"{base}/api/hook-events"
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    accept_ms: list[float] = []
    lag_ms: list[float] = []
    errors: list[str] = []
    sent: list[float] = []
    numbers = itertools.count()
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        start = time.monotonic()

        async def worker() -> None:
            while (seq := next(numbers)) < total:
                if rate:
                    late = time.monotonic() - (start + seq / rate)
                    if late < 0:
                        await asyncio.sleep(-late)
                        late = time.monotonic() - (start + seq / rate)
                    lag_ms.append(max(late, 0.0) * 1000)
                t = time.time()
                sent.append(t)
                body = orjson.dumps({"event": "User.Created", "payload": padded(label, seq, t)})
                try:
                    async with session.post(url, data=body, headers=headers) as response:
                        await response.read()
                        if response.status != 202:
                            errors.append(f"{response.status}")
                            continue
                except (aiohttp.ClientError, TimeoutError) as exc:
                    errors.append(type(exc).__name__)
                    continue
                accept_ms.append((time.time() - t) * 1000)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    last = time.time()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    first = sent[0] if sent else last
    return {
        "cpu_s": usage.ru_utime + usage.ru_stime,  # the whole process, start-up included
        "events": total,
        "rate": rate,
        "accepted": len(accept_ms),
        "errors": errors[:20],
        "error_count": len(errors),
        "first_emit": first,
        "last_emit": sent[-1] if sent else last,
        "last_accept": last,
        "emit_per_s": (len(sent) - 1) / max(sent[-1] - first, 1e-9) if len(sent) > 1 else 0.0,
        "accept_per_s": len(accept_ms) / max(last - first, 1e-9) if sent else 0.0,
        "accept_ms": percentiles(accept_ms),
        "lag_ms": percentiles(lag_ms),
    }


if __name__ == "__main__":
    base, total, conc, label = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    rate = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0
    result = uvloop.run(emit(base, os.environ["BENCH_TOKEN"], total, conc, label, rate))
    sys.stdout.write(orjson.dumps(result).decode() + "\n")
