"""The PostgreSQL wake-up listener keeps its own connection: one the network cut without a word
(no FIN, no RST: the socket looks alive) is noticed by its ping, and it listens again."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from sqlalchemy import make_url

from hookline.db.engine import make_engine, postgres_dsn, write
from hookline.db.migrate import upgrade
from hookline.hooks import service
from hookline.hooks.validation import HookCreate
from hookline.outbox.emit import emit
from hookline.outbox.queue import listener
from hookline.outbox.queue.listener import NotifyListener


class Relay:
    """A TCP relay to the database whose connections can be cut silently: it stops passing
    their bytes on but keeps their sockets open, as a dead network path would."""

    def __init__(self, port: int) -> None:
        self._port = port
        self._pumps: list[asyncio.Task[None]] = []
        self._writers: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def _relay(self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter):
        server_in, server_out = await asyncio.open_connection("127.0.0.1", self._port)
        self._writers += [client_out, server_out]
        self._pumps += [
            asyncio.create_task(_pump(client_in, server_out)),
            asyncio.create_task(_pump(server_in, client_out)),
        ]

    def cut(self) -> None:
        """Stop relaying on the connections open now; new ones go through."""
        for pump in self._pumps:
            pump.cancel()

    def close(self) -> None:
        self.cut()
        for writer in self._writers:
            writer.close()
        if self.server is not None:
            self.server.close()


async def _pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    while data := await source.read(65536):
        sink.write(data)
        await sink.drain()
    sink.close()


def test_a_silently_cut_connection_is_noticed_by_its_ping(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(listener, "_PING_EVERY", 0.1)
    monkeypatch.setattr(listener, "_PING_TIMEOUT", 0.2)
    engine = make_engine(postgres_url)
    upgrade(engine)
    with write(engine) as conn:
        body = HookCreate(events=["User.Created"], config={"url": "http://127.0.0.1:9/x"})
        service.create_hook(conn, body)

    async def test() -> None:
        relay = Relay(make_url(postgres_url).port or 5432)
        relayed = make_url(postgres_url).set(port=await relay.start())
        wake = asyncio.Event()
        channel = await NotifyListener.open(
            postgres_dsn(relayed.render_as_string(hide_password=False)), wake
        )
        try:
            relay.cut()
            # Listening again on a new connection, and told so, to claim what it missed.
            await asyncio.wait_for(wake.wait(), 5)
            wake.clear()
            with write(engine) as conn:
                emit(conn, "User.Created", {})
            await asyncio.wait_for(wake.wait(), 2)
        finally:
            with contextlib.suppress(Exception):
                await channel.close()
            relay.close()

    asyncio.run(test())
    engine.dispose()
