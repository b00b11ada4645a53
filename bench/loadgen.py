"""The emitter: POST /api/hook-events with N events, C in flight, each carrying its emit time.

Run as `BENCH_TOKEN=... python -m bench.loadgen BASE EVENTS CONCURRENCY LABEL`;
prints one JSON line.
"""

from __future__ import annotations

import asyncio
import os
import resource
import sys
import time

import aiohttp
import orjson
import uvloop

from bench.payload import padded
from bench.stats import percentiles


async def emit(base: str, token: str, total: int, concurrency: int, label: str) -> dict:
    url = f"{base}/api/hook-events"
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    accept_ms: list[float] = []
    errors: list[str] = []
    first: list[float] = []
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def worker(start: int) -> None:
            for seq in range(start, total, concurrency):
                t = time.time()
                first or first.append(t)
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

        await asyncio.gather(*(worker(i) for i in range(concurrency)))
    last = time.time()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "cpu_s": usage.ru_utime + usage.ru_stime,  # the whole process, start-up included
        "events": total,
        "accepted": len(accept_ms),
        "errors": errors[:20],
        "error_count": len(errors),
        "first_emit": first[0] if first else last,
        "last_accept": last,
        "accept_per_s": len(accept_ms) / max(last - first[0], 1e-9) if first else 0.0,
        "accept_ms": percentiles(accept_ms),
    }


if __name__ == "__main__":
    base, total, conc, label = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    result = uvloop.run(emit(base, os.environ["BENCH_TOKEN"], total, conc, label))
    sys.stdout.write(orjson.dumps(result).decode() + "\n")
