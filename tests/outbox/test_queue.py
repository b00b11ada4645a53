"""The delivery queue on a real SQLite file: claims, leases, fairness, finishing."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import Engine

from hookline.db.engine import connect_raw, make_engine, write
from hookline.db.migrate import upgrade
from hookline.hooks import service
from hookline.hooks.validation import HookCreate
from hookline.outbox.emit import emit
from hookline.outbox.queue import DELIVERED, PENDING, Finish, SqliteQueue


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'hookline.db'}"


@pytest.fixture
def engine(url: str) -> Engine:
    engine = make_engine(url)
    upgrade(engine)
    return engine


def hook(engine: Engine, event: str) -> str:
    with write(engine) as conn:
        body = HookCreate(events=[event], config={"url": "http://127.0.0.1:9/x"})
        return service.create(conn, body)["id"]


def emit_many(engine: Engine, event: str, count: int) -> None:
    with write(engine) as conn:
        for n in range(count):
            emit(conn, event, {"n": n})


def test_one_hooks_backlog_cannot_take_the_whole_batch(engine: Engine, url: str) -> None:
    slow, fast = hook(engine, "Role.Created"), hook(engine, "User.Created")
    emit_many(engine, "Role.Created", 300)  # older, so first in line
    emit_many(engine, "User.Created", 20)
    queue = SqliteQueue(connect_raw(url), "w1")
    now = time.time()
    claimed = queue.claim(200, now, now + 30, per_hook=32)
    per_hook = Counter(c.hook_id for c in claimed)
    assert per_hook == {slow: 32, fast: 20}
    # What is in flight counts against a hook's share in the next claim.
    more = queue.claim(200, now, now + 30, per_hook=32, busy=per_hook)
    assert more == []
    more = queue.claim(200, now, now + 30, per_hook=32, busy={slow: 30})
    assert Counter(c.hook_id for c in more) == {slow: 2}


def test_a_leased_delivery_is_invisible_until_its_lease_ends(engine: Engine, url: str) -> None:
    hook(engine, "User.Created")
    emit_many(engine, "User.Created", 1)
    first, second = SqliteQueue(connect_raw(url), "w1"), SqliteQueue(connect_raw(url), "w2")
    now = time.time()
    (claimed,) = first.claim(10, now, now + 30, per_hook=32)
    assert second.claim(10, now + 29, now + 60, per_hook=32) == []
    (taken_over,) = second.claim(10, now + 31, now + 60, per_hook=32)
    assert taken_over.delivery_id == claimed.delivery_id
    # The first worker's late result no longer applies: the lease is someone else's.
    first.finish([Finish(claimed.delivery_id, DELIVERED, 1)], [])
    second.finish([Finish(claimed.delivery_id, PENDING, 1, now + 100)], [])
    assert second.next_due() == pytest.approx(now + 100)


def test_emit_commits_or_rolls_back_with_the_callers_transaction(engine: Engine, url: str) -> None:
    hook(engine, "User.Created")
    with pytest.raises(RuntimeError), write(engine) as conn:
        emit(conn, "User.Created", {"n": "lost"})
        raise RuntimeError("the change failed")
    with write(engine) as conn:
        kept = emit(conn, "User.Created", {"n": "kept"})
    now = time.time()
    (claimed,) = SqliteQueue(connect_raw(url), "w1").claim(10, now, now + 30, per_hook=32)
    assert claimed.event_id == kept
    assert b'"n":"kept"' in claimed.body


def test_a_repeated_idempotency_key_stores_one_event(engine: Engine, url: str) -> None:
    hook(engine, "User.Created")
    with write(engine) as conn:
        first = emit(conn, "User.Created", {}, idempotency_key="k1")
    with write(engine) as conn:
        second = emit(conn, "User.Created", {"other": True}, idempotency_key="k1")
    assert first == second
    now = time.time()
    assert len(SqliteQueue(connect_raw(url), "w1").claim(10, now, now + 30, per_hook=32)) == 1


def test_a_locked_database_fails_fast_for_the_dispatcher(engine: Engine, url: str) -> None:
    """The dispatcher's connection never sleeps inside SQLite: it is told, and waits itself."""
    import sqlite3

    from hookline.db.engine import is_locked

    hook(engine, "User.Created")
    emit_many(engine, "User.Created", 1)
    other = connect_raw(url)
    other.execute("BEGIN IMMEDIATE")
    queue = SqliteQueue(connect_raw(url, wait_for_lock=False), "w1")
    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError) as raised:
        queue.claim(10, time.time(), time.time() + 30, per_hook=32)
    assert is_locked(raised.value)
    assert time.monotonic() - started < 0.5
    other.execute("COMMIT")
    assert len(queue.claim(10, time.time(), time.time() + 30, per_hook=32)) == 1
