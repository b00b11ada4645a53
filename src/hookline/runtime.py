"""The long-lived parts of a running service, opened at start and closed at stop."""

from __future__ import annotations

import sys
from dataclasses import dataclass

from sqlalchemy import Engine

from hookline.auth.access import Gate
from hookline.auth.applications import ensure_bootstrap
from hookline.auth.keys import SigningKey, load_or_create
from hookline.auth.tokens import Verifier
from hookline.config import MANAGEMENT_API_RESOURCE, Settings
from hookline.db.committer import GroupCommitter
from hookline.db.engine import make_engine, write
from hookline.db.migrate import one_process_at_a_time, upgrade
from hookline.db.reader import Reader
from hookline.identity.password_gate import PasswordGate
from hookline.outbox.wakeup import Waker, wake_directory
from hookline.sender.transport import Transport


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    read: Reader
    gate: Gate
    key: SigningKey
    verifier: Verifier
    waker: Waker
    committer: GroupCommitter
    transport: Transport
    passwords: PasswordGate

    @classmethod
    def open(cls, settings: Settings) -> Runtime:
        setup = make_engine(settings.database_url)
        upgrade(setup)
        with write(setup) as conn:
            one_process_at_a_time(conn)  # one signing key and one admin, however many start
            key = load_or_create(conn)
            admin = ensure_bootstrap(conn, settings.admin_client_id, settings.admin_client_secret)
        setup.dispose()
        # Requests wait a bounded time for locks; the set-up above waits for whichever
        # process migrates first, however long that takes.
        engine = make_engine(settings.database_url, settings.lock_wait)
        if admin.client_secret is not None:
            # Shown once, on the first start; only its hash is kept.
            sys.stdout.write(
                "hookline: created the admin application; keep its secret now, it is not"
                " shown again (paste these lines where you run the hookline command):\n"
                f"  export HOOKLINE_ADMIN_CLIENT_ID={admin.client_id}\n"
                f"  export HOOKLINE_ADMIN_CLIENT_SECRET={admin.client_secret}\n"
            )
            sys.stdout.flush()
        waker = Waker(wake_directory(settings.database_url))
        read = Reader(engine)
        return cls(
            settings=settings,
            engine=engine,
            read=read,
            gate=Gate(engine, read),
            key=key,
            verifier=Verifier(key, MANAGEMENT_API_RESOURCE),
            waker=waker,
            # Deliveries committed: the dispatchers need not wait for their next poll.
            committer=GroupCommitter(engine, waker.notify, settings.lock_wait),
            transport=Transport(
                settings.private_networks, settings.request_timeout, settings.max_in_flight
            ),
            passwords=PasswordGate.from_settings(settings),
        )

    async def close(self) -> None:
        await self.gate.close()
        await self.transport.close()
        self.passwords.close()
        self.waker.close()
        self.committer.close()
        self.read.close()
        self.engine.dispose()
