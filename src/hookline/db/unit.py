"""A unit of work: one write transaction, the state the code running in it shares, and a
callback once it has committed, if it asked for one."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Connection, Engine

OnCommit = Callable[[], None]
_KEY = "hookline.transaction"


@dataclass(slots=True)
class TransactionState:
    """What the transaction open on a connection has done so far; a new transaction starts
    with a fresh one."""

    on_commit_due: bool = False
    """It stored deliveries or made some due again (outbox.emit, replay, recover): the
    on-commit callback, which wakes the dispatchers, is to run after its commit."""
    notified: bool = False
    """It sent a NOTIFY; PostgreSQL sends it at commit, and once is enough."""
    hooks_revision: int | None = None
    """The hooks revision it read: read once, for the subscription cache (outbox.fanout)."""
    hooks_written: bool = False
    """It changed hooks: what it sees of them is not for a cache, as it may yet roll back."""

    @staticmethod
    def of(conn: Connection) -> TransactionState:
        """The state of the transaction open on `conn`."""
        transaction = conn.get_transaction()
        held = conn.info.get(_KEY)
        if held is None or held[0] is not transaction:
            held = conn.info[_KEY] = (transaction, TransactionState())
        return held[1]

    def savepoint_rolled_back(self) -> None:
        """Forget what a rolled-back savepoint undid: a NOTIFY it sent, the revision it read.
        That deliveries were stored or hooks written is kept: an earlier savepoint may have
        done it."""
        self.notified = False
        self.hooks_revision = None


@contextmanager
def unit_of_work(engine: Engine, on_commit: OnCommit | None = None) -> Iterator[Connection]:
    """One write transaction; `on_commit` runs once it has committed, if it asked for that."""
    with engine.connect() as conn:
        with conn.begin():
            state = TransactionState.of(conn)
            yield conn
    if state.on_commit_due and on_commit is not None:
        on_commit()
