"""Group commit on a real SQLite file and a real PostgreSQL database: shared transactions,
lone failures, a lock held elsewhere, the callback after a commit."""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Connection, Engine, event, text

from hookline.db.committer import GroupCommitter
from hookline.db.engine import CommitInDoubt, DatabaseBusy, make_engine
from hookline.db.unit import TransactionState
from tests.support.postgres import lock_waiters
from tests.support.waiting import Ticker, idle, wait_until


@pytest.fixture
def notes(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE notes (id SERIAL PRIMARY KEY, text TEXT UNIQUE)")


def synchronous(test: Callable[[Engine], Awaitable[None]]) -> Callable[[Engine], None]:
    @functools.wraps(test)
    def run(engine: Engine) -> None:
        asyncio.run(test(engine))

    return run


def commits(engine: Engine) -> list[int]:
    count = [0]
    event.listen(engine, "commit", lambda _conn: count.__setitem__(0, count[0] + 1))
    return count


def insert(note: str):
    def work(conn: Connection) -> str:
        conn.execute(text("INSERT INTO notes (text) VALUES (:t)"), {"t": note})
        return note

    return work


def stored(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return {row[0] for row in conn.exec_driver_sql("SELECT text FROM notes")}


@pytest.mark.usefixtures("notes")
@synchronous
async def test_concurrent_units_share_one_commit(engine: Engine) -> None:
    committer, count = GroupCommitter(engine), commits(engine)
    results = await asyncio.gather(*(committer.run(insert(f"n{i}")) for i in range(20)))
    assert results == [f"n{i}" for i in range(20)]
    assert stored(engine) == {f"n{i}" for i in range(20)}
    assert count[0] == 1
    committer.close()


@pytest.mark.usefixtures("notes")
@synchronous
async def test_a_failing_unit_fails_alone(engine: Engine) -> None:
    committer = GroupCommitter(engine)
    outcomes = await asyncio.gather(
        committer.run(insert("a")),
        committer.run(insert("same")),
        committer.run(insert("same")),  # breaks the unique constraint
        committer.run(insert("b")),
        return_exceptions=True,
    )
    assert outcomes[:2] == ["a", "same"] and outcomes[3] == "b"
    assert isinstance(outcomes[2], Exception)
    assert stored(engine) == {"a", "same", "b"}
    committer.close()


@pytest.mark.usefixtures("notes")
@synchronous
async def test_a_lone_failing_unit_rolls_back(engine: Engine) -> None:
    committer = GroupCommitter(engine)

    def half_then_fail(conn: Connection) -> None:
        insert("half")(conn)
        raise ValueError("refused")

    with pytest.raises(ValueError, match="refused"):
        await committer.run(half_then_fail)
    assert stored(engine) == set()
    assert await committer.run(insert("after")) == "after"
    committer.close()


def asking(work: Callable[[Connection], object]) -> Callable[[Connection], object]:
    """`work`, in a transaction that asks for the on-commit callback (as storing deliveries
    does)."""

    def asked(conn: Connection) -> object:
        TransactionState.of(conn).on_commit_due = True
        return work(conn)

    return asked


def refuse(_conn: Connection) -> None:
    raise ValueError("refused")


@pytest.mark.usefixtures("notes")
@synchronous
async def test_on_commit_runs_after_a_commit_that_asked_for_it(engine: Engine) -> None:
    seen: list[set[str]] = []  # what another connection sees when the callback runs
    committer = GroupCommitter(engine, on_commit=lambda: seen.append(stored(engine)))
    await committer.run(insert("quiet"))
    assert seen == []
    await committer.run(asking(insert("asked")))
    assert seen == [{"quiet", "asked"}]  # committed by then
    with pytest.raises(ValueError):
        await committer.run(asking(refuse))  # rolled back
    # In one batch: the one that asked fails alone, the other commits without asking.
    outcomes = await asyncio.gather(
        committer.run(insert("other")), committer.run(asking(refuse)), return_exceptions=True
    )
    assert outcomes[0] == "other" and isinstance(outcomes[1], ValueError)
    assert seen == [{"quiet", "asked"}]
    # The transaction after a rollback starts afresh: it has not asked.
    await committer.run(insert("after"))
    assert seen == [{"quiet", "asked"}]
    committer.close()


def test_a_sqlite_lock_held_elsewhere_is_awaited_without_blocking_the_loop(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'hookline.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT UNIQUE)")
    asyncio.run(_awaits_the_lock(engine))


async def _awaits_the_lock(engine: Engine) -> None:
    committer = GroupCommitter(engine)
    other = sqlite3.connect(engine.url.database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    waiting = asyncio.create_task(committer.run(insert("later")))
    ticker = Ticker()
    await ticker.reach(50)
    assert not waiting.done()  # the loop kept running while the write waited
    other.execute("COMMIT")
    assert await asyncio.wait_for(waiting, 2) == "later"
    ticker.stop()
    assert stored(engine) == {"later"}
    committer.close()
    other.close()


def test_a_sqlite_lock_held_too_long_fails_the_write_instead_of_hanging(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'hookline.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT UNIQUE)")
    asyncio.run(_gives_up_on_the_lock(engine))


async def _gives_up_on_the_lock(engine: Engine) -> None:
    committer = GroupCommitter(engine, lock_wait=0.3)
    other = sqlite3.connect(engine.url.database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    with pytest.raises(DatabaseBusy):
        await asyncio.wait_for(committer.run(insert("stuck")), 5)
    other.execute("COMMIT")
    assert await committer.run(insert("later")) == "later"  # the next write finds it free
    assert stored(engine) == {"later"}
    committer.close()
    other.close()


def test_a_postgresql_connection_lost_between_batches_is_replaced(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE notes (id SERIAL PRIMARY KEY, text TEXT UNIQUE)")

    async def test() -> None:
        committer = GroupCommitter(engine)
        assert await committer.run(insert("before")) == "before"
        with engine.begin() as conn:  # as a server restart would, to the committer's session
            conn.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        await idle(1.1)  # longer than the committer trusts an idle connection
        assert await asyncio.wait_for(committer.run(insert("after")), 5) == "after"
        committer.close()

    asyncio.run(test())
    assert stored(engine) == {"before", "after"}
    engine.dispose()


def test_a_batch_that_loses_a_deadlock_runs_again(postgres_url: str) -> None:
    """Another process and the batch each wait for a row the other holds; PostgreSQL picks
    the batch to give way, and the batch runs again once the other has gone on."""
    engine = make_engine(postgres_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE notes (id SERIAL PRIMARY KEY, text TEXT UNIQUE)")
        conn.exec_driver_sql("INSERT INTO notes (id, text) VALUES (1, 'one'), (2, 'two')")
        # The committer's session finds the deadlock first, so it is the one to give way.
        conn.exec_driver_sql("ALTER ROLE CURRENT_USER SET deadlock_timeout = '50ms'")
    other = psycopg.connect(postgres_url)
    other.execute("SET deadlock_timeout = '10s'")

    def two_then_one(conn: Connection) -> str:
        conn.execute(text("UPDATE notes SET text = 'batch 2' WHERE id = 2"))
        conn.execute(text("UPDATE notes SET text = 'batch 1' WHERE id = 1"))
        return "done"

    async def test() -> None:
        committer = GroupCommitter(engine)
        other.execute("UPDATE notes SET text = 'other 1' WHERE id = 1")  # holds row 1
        running = asyncio.ensure_future(committer.run(two_then_one))
        await asyncio.to_thread(
            wait_until, lambda: lock_waiters(postgres_url), "the batch to hold row 2 and wait"
        )
        other.execute("UPDATE notes SET text = 'other 2' WHERE id = 2")  # waits: a deadlock
        other.commit()
        assert await asyncio.wait_for(running, 10) == "done"
        committer.close()

    try:
        asyncio.run(test())
    finally:
        other.close()
        with engine.begin() as conn:
            conn.exec_driver_sql("ALTER ROLE CURRENT_USER RESET deadlock_timeout")
    with engine.connect() as conn:
        rows = dict(conn.exec_driver_sql("SELECT id, text FROM notes").all())
    assert rows == {1: "batch 1", 2: "batch 2"}  # ran again after the other committed
    engine.dispose()


@pytest.mark.usefixtures("notes")
@synchronous
async def test_the_failing_unit_of_a_batch_runs_once(engine: Engine) -> None:
    """The others run again, each in a savepoint; the one that failed is not run twice (a
    second run would fail the same way, after a second lock wait, say)."""
    committer = GroupCommitter(engine)
    runs = []

    def refused(conn: Connection) -> None:
        runs.append("refused")
        raise ValueError("refused")

    outcomes = await asyncio.gather(
        committer.run(insert("a")),
        committer.run(refused),
        committer.run(insert("b")),
        return_exceptions=True,
    )
    assert outcomes[0] == "a" and outcomes[2] == "b" and isinstance(outcomes[1], ValueError)
    assert runs == ["refused"]
    assert stored(engine) == {"a", "b"}
    committer.close()


def test_a_connection_lost_during_commit_is_in_doubt_not_failed(postgres_url: str) -> None:
    """The server may have kept the change: the caller is told so, not that nothing was kept."""
    engine = make_engine(postgres_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE notes (id SERIAL PRIMARY KEY, text TEXT UNIQUE)")

    def cut(conn: Connection) -> None:  # just before COMMIT goes out, from another session
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with psycopg.connect(postgres_url, autocommit=True) as other:
            other.execute("SELECT pg_terminate_backend(%s)", (pid,))

    async def test() -> None:
        committer = GroupCommitter(engine)
        event.listen(engine, "commit", cut)
        with pytest.raises(CommitInDoubt):
            await asyncio.wait_for(committer.run(insert("cut")), 10)
        event.remove(engine, "commit", cut)
        assert await asyncio.wait_for(committer.run(insert("after")), 10) == "after"
        committer.close()

    asyncio.run(test())
    assert stored(engine) == {"after"}
    engine.dispose()
