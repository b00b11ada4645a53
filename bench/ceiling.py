"""The ceiling: a bare aiohttp loop on uvloop in one process, POSTing ~1 KB JSON to nginx.

Run as `python -m bench.ceiling BASE REQUESTS CONCURRENCY LABEL HOOKS`; prints one JSON line.
Request n goes to hook n mod HOOKS, with the same URLs (so the same mix of plain and sampled
nginx locations) as the durable runs. No database, no signing per request, no bookkeeping:
what one Python core can push.
"""

from __future__ import annotations

import asyncio
import resource
import sys
import time

import aiohttp
import orjson
import uvloop

from bench.nginx import hook_url
from bench.payload import padded


async def blast(base: str, total: int, concurrency: int, label: str, hooks: int) -> dict:
    headers = {  # the same header set a webhook carries, fixed values but the id
        "content-type": "application/json",
        "user-agent": "Logto (https://logto.io/)",
        "logto-signature-sha-256": "0" * 64,
        "webhook-timestamp": "0",
        "webhook-signature": "v1," + "A" * 44,
    }
    urls = [hook_url(base, label, i, hooks) for i in range(hooks)]
    warm_urls = [hook_url(base, label + "w", i, hooks) for i in range(hooks)]  # not counted
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(seq: int, url: str, run: str) -> int:
            body = orjson.dumps({"event": "User.Created", **padded(run, seq, time.time())})
            request_headers = {**headers, "webhook-id": f"msg_{run}_{seq}"}
            async with session.post(url, data=body, headers=request_headers) as response:
                await response.read()
                return response.status

        async def worker(start: int) -> list[int]:
            return [
                await one(seq, urls[seq % hooks], label) for seq in range(start, total, concurrency)
            ]

        await asyncio.gather(  # warm the pool
            *(one(i, warm_urls[i % hooks], label + "w") for i in range(concurrency))
        )
        cpu0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        statuses = [
            s
            for part in await asyncio.gather(*(worker(i) for i in range(concurrency)))
            for s in part
        ]
        elapsed, cpu1 = time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)
    return {
        "requests": total,
        "ok": sum(200 <= s < 300 for s in statuses),
        "seconds": elapsed,
        "per_s": total / elapsed,
        "cpu_us_per_request": cpu / total * 1e6,
        "cpu_s": cpu1.ru_utime + cpu1.ru_stime,  # the whole process, start-up included
    }


if __name__ == "__main__":
    base, total, concurrency, label = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    result = uvloop.run(blast(base, total, concurrency, label, int(sys.argv[5])))
    sys.stdout.write(orjson.dumps(result).decode() + "\n")
