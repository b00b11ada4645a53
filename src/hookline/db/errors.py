"""What a database error means, whichever driver raised it: the rest of hookline asks here
instead of knowing sqlite3's, psycopg's and SQLAlchemy's exception types."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum

import psycopg
from sqlalchemy import exc

from hookline.db.engine import CommitInDoubt, DatabaseBusy, is_unavailable
from hookline.errors import constraint_violated


class Kind(Enum):
    REFUSED = "refused"  # a constraint refused the row: a check before the write missed it
    UNSTORABLE = "unstorable"  # a value the database cannot hold (a NUL character for PostgreSQL)
    UNAVAILABLE = "unavailable"  # away, full or locked: nothing was written; try again later
    IN_DOUBT = "in_doubt"  # the connection failed during COMMIT: the change may be there


_REFUSED = (exc.IntegrityError, sqlite3.IntegrityError, psycopg.IntegrityError)
_UNSTORABLE = (exc.DataError, psycopg.DataError)
_FAILED = (DatabaseBusy, exc.OperationalError, sqlite3.OperationalError, psycopg.OperationalError)

# The exception types `kind_of` can say something about.
KNOWN_ERRORS: tuple[type[Exception], ...] = (CommitInDoubt, *_REFUSED, *_UNSTORABLE, *_FAILED)


def kind_of(error: BaseException) -> Kind | None:
    """What `error` says about the database; None when it says the code is wrong instead
    (a syntax error, a missing table)."""
    if isinstance(error, CommitInDoubt):
        return Kind.IN_DOUBT
    if isinstance(error, _REFUSED):
        return Kind.REFUSED
    if isinstance(error, _UNSTORABLE):
        return Kind.UNSTORABLE
    if isinstance(error, _FAILED) and is_unavailable(error):
        return Kind.UNAVAILABLE
    return None


def driver_message(error: BaseException) -> str:
    """The driver's own words, which SQLAlchemy wraps; never the statement or its values."""
    return str(getattr(error, "orig", None) or error)


@contextmanager
def integrity() -> Iterator[None]:
    """Answer a row a constraint refused as Logto does (422), for writes whose callers are
    not all behind the API's error handler."""
    try:
        yield
    except _REFUSED as error:
        raise constraint_violated(driver_message(error)) from error
