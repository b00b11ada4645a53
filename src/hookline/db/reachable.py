"""Can the database be opened and written? Asked once at start, so that a wrong URL, a
server that is down or a directory that cannot be written is one line, not a traceback."""

from __future__ import annotations

from sqlalchemy import exc

from hookline.db.engine import make_engine, write


class DatabaseUnreachable(Exception):
    """The database cannot be opened or written; the message says why in one line."""


def check_reachable(url: str) -> None:
    """Connects and opens a write transaction (on SQLite, creating the file and its directory
    as the server would), then lets go. Raises DatabaseUnreachable."""
    try:
        engine = make_engine(url)
    except (ValueError, OSError, exc.ArgumentError) as error:
        raise DatabaseUnreachable(_first_line(error)) from None
    try:
        with write(engine) as conn:
            conn.exec_driver_sql("SELECT 1")
    except exc.DBAPIError as error:
        raise DatabaseUnreachable(_first_line(error.orig or error)) from None
    except OSError as error:
        raise DatabaseUnreachable(_first_line(error)) from None
    finally:
        engine.dispose()


def _first_line(error: BaseException) -> str:
    # libpq's messages go on with hints on further lines ("Is the server running…").
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__
