"""Which database errors mean "try again later" (503) and which are faults of the code,
told apart on real errors from both databases."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import psycopg
import pytest

from hookline.db.engine import CommitInDoubt, DatabaseBusy, is_unavailable
from hookline.db.errors import Kind, kind_of


def sqlite_error(path: Path, statement: str, hold_lock: bool = False) -> sqlite3.Error:
    with (
        closing(sqlite3.connect(path, isolation_level=None)) as holder,
        closing(sqlite3.connect(path, timeout=0, isolation_level=None)) as conn,
    ):
        holder.execute("CREATE TABLE IF NOT EXISTS t (x)")
        if hold_lock:
            holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(sqlite3.Error) as raised:
            conn.execute(statement)
        return raised.value


def test_sqlite_locked_is_unavailable_and_bad_sql_is_not(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    assert is_unavailable(sqlite_error(path, "INSERT INTO t VALUES (1)", hold_lock=True))
    assert not is_unavailable(sqlite_error(path, "SELECT * FROM missing"))
    assert not is_unavailable(sqlite_error(path, "SELEC 1"))
    assert is_unavailable(DatabaseBusy("stuck"))


def test_postgres_lock_timeout_is_unavailable_and_bad_sql_is_not(postgres_url: str) -> None:
    with psycopg.connect(postgres_url) as holder, psycopg.connect(postgres_url) as conn:
        holder.execute("CREATE TABLE t (x int)")
        holder.commit()
        holder.execute("LOCK TABLE t IN ACCESS EXCLUSIVE MODE")
        conn.execute("SET lock_timeout = 50")
        with pytest.raises(psycopg.Error) as locked:
            conn.execute("SELECT * FROM t")
        assert is_unavailable(locked.value)
        conn.rollback()
        with pytest.raises(psycopg.Error) as missing:
            conn.execute("SELECT * FROM missing")
        assert not is_unavailable(missing.value)
        conn.rollback()
        holder.rollback()


def test_each_kind_of_error_is_told_from_the_drivers_own_exceptions(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.executescript("CREATE TABLE u (x UNIQUE); INSERT INTO u VALUES (1)")
    assert kind_of(sqlite_error(path, "INSERT INTO u VALUES (1)")) is Kind.REFUSED
    assert kind_of(sqlite_error(path, "INSERT INTO t VALUES (1)", hold_lock=True)) is (
        Kind.UNAVAILABLE
    )
    assert kind_of(sqlite_error(path, "SELECT * FROM missing")) is None
    assert kind_of(DatabaseBusy("stuck")) is Kind.UNAVAILABLE
    assert kind_of(CommitInDoubt("lost")) is Kind.IN_DOUBT
    assert kind_of(ValueError("not the database's")) is None
