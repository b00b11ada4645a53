"""The identity load generator: users created through the Management API, `POST /api/users`.

Run as `BENCH_TOKEN=... python -m bench.userload BASE USERS CLIENTS PREFIX`; prints one JSON line.
CLIENTS clients each send their next request as soon as their last answer is in (a closed loop,
one kept-alive connection each, opened before the clock starts). User n is named `PREFIX_n`.
For each created user it records when its answer was received (`time.time()`, after the body
was read) and the id the API gave it; the bench matches those with the User.Created webhooks.
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

from bench.stats import percentiles


async def create(base: str, token: str, total: int, clients: int, prefix: str) -> dict:
    url = f"{base}/api/users"
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    users: dict[str, tuple[float, str]] = {}  # username → (answer received, user id)
    api_ms: list[float] = []
    errors: list[str] = []
    numbers = itertools.count()
    connector = aiohttp.TCPConnector(limit=clients)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def status() -> None:
            async with session.get(f"{base}/api/status") as response:
                await response.read()

        await asyncio.gather(*(status() for _ in range(clients)))  # open the connections

        async def client() -> None:
            while (seq := next(numbers)) < total:
                username = f"{prefix}_{seq}"
                t = time.time()
                try:
                    async with session.post(
                        url, data=orjson.dumps({"username": username}), headers=headers
                    ) as response:
                        raw = await response.read()
                        received = time.time()
                        if response.status != 200:
                            errors.append(f"{response.status} {raw[:200].decode(errors='replace')}")
                            continue
                    user = orjson.loads(raw)
                except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                    errors.append(type(exc).__name__)
                    continue
                if user.get("username") != username or not user.get("id"):
                    errors.append(f"unexpected answer {raw[:200].decode(errors='replace')}")
                    continue
                users[username] = (received, user["id"])
                api_ms.append((received - t) * 1000)

        first = time.time()
        await asyncio.gather(*(client() for _ in range(clients)))
    last = max((r for r, _ in users.values()), default=time.time())
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "cpu_s": usage.ru_utime + usage.ru_stime,  # the whole process, start-up included
        "requested": total,
        "clients": clients,
        "created": len(users),
        "errors": errors[:20],
        "error_count": len(errors),
        "first_request": first,
        "last_response": last,
        "users_per_s": len(users) / max(last - first, 1e-9),
        "api_ms": percentiles(api_ms),
        "users": users,
    }


if __name__ == "__main__":
    base, total, clients, prefix = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    result = uvloop.run(create(base, os.environ["BENCH_TOKEN"], total, clients, prefix))
    sys.stdout.write(orjson.dumps(result).decode() + "\n")
