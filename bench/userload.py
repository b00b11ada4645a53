"""The identity load generator: users created through the Management API, `POST /api/users`.

Run as `BENCH_TOKEN=... python -m bench.userload BASE USERS CLIENTS PREFIX`; prints one JSON line.
CLIENTS clients each send their next request as soon as their last answer is in (a closed loop,
one kept-alive connection each, opened before the clock starts). User n is named `PREFIX_n`.
For each created user it records when its answer was received (`time.time()`, after the body
was read) and the id the API gave it; the bench matches those with the User.Created webhooks.

The client is a plain HTTP/1.1 connection parsed by httptools (what uvicorn parses with): on a
2-core machine shared with the service, a full client library would take a quarter of the CPU
the service is measured with.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import resource
import sys
import time
from urllib.parse import urlsplit

import httptools
import orjson
import uvloop

from bench.stats import percentiles


class Connection(asyncio.Protocol):
    """One kept-alive HTTP/1.1 connection: a request written, its response read in full."""

    def __init__(self) -> None:
        self._parser = httptools.HttpResponseParser(self)
        self._body: list[bytes] = []
        self._answer: asyncio.Future[tuple[int, bytes]] | None = None
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self._parser.feed_data(data)

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        if self._answer is not None and not self._answer.done():
            self._answer.set_result((self._parser.get_status_code(), b"".join(self._body)))

    def connection_lost(self, exc: Exception | None) -> None:
        if self._answer is not None and not self._answer.done():
            self._answer.set_exception(ConnectionError("connection closed"))

    async def send(self, request: bytes) -> tuple[int, bytes]:
        assert self._transport is not None
        self._body = []
        self._answer = asyncio.get_running_loop().create_future()
        self._transport.write(request)
        return await self._answer


def request(method: str, host: str, path: str, token: str, body: bytes = b"") -> bytes:
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def create(base: str, token: str, total: int, clients: int, prefix: str) -> dict:
    address = urlsplit(base)
    users: dict[str, tuple[float, str]] = {}  # username → (answer received, user id)
    api_ms: list[float] = []
    errors: list[str] = []
    numbers = itertools.count()
    loop = asyncio.get_running_loop()
    connections: list[Connection] = []
    for _ in range(clients):  # opened and used once before the clock starts
        _, connection = await loop.create_connection(Connection, address.hostname, address.port)
        status, _ = await connection.send(request("GET", address.netloc, "/api/status", token))
        assert status == 204, status
        connections.append(connection)

    async def client(connection: Connection) -> None:
        while (seq := next(numbers)) < total:
            username = f"{prefix}_{seq}"
            body = orjson.dumps({"username": username})
            t = time.time()
            try:
                status, raw = await asyncio.wait_for(
                    connection.send(request("POST", address.netloc, "/api/users", token, body)),
                    60,
                )
                received = time.time()
                if status != 200:
                    errors.append(f"{status} {raw[:200].decode(errors='replace')}")
                    continue
                user = orjson.loads(raw)
            except (OSError, TimeoutError, ValueError) as exc:
                errors.append(type(exc).__name__)
                return  # the connection is gone or out of step
            if user.get("username") != username or not user.get("id"):
                errors.append(f"unexpected answer {raw[:200].decode(errors='replace')}")
                continue
            users[username] = (received, user["id"])
            api_ms.append((received - t) * 1000)

    first = time.time()
    await asyncio.gather(*(client(c) for c in connections))
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
