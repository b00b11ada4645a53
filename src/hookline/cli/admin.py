"""`hookline admin create USERNAME`: an account for the web console, in the database the
server uses (HOOKLINE_DATABASE_URL), which is created and migrated if it is not yet.

The database layer is imported by the commands that use it, not here: every `hookline`
command loads this module, and the client ones need none of it."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn, TypeVar

import typer

if TYPE_CHECKING:
    from sqlalchemy import Connection

T = TypeVar("T")

app = typer.Typer(help="Manage the console's admin accounts.", no_args_is_help=True)


@app.command()
def create(username: str) -> None:
    """Create a console admin. The password is asked twice on a terminal, or read as the
    first line of standard input when that is not a terminal (`… < password-file`)."""
    from hookline.auth import admins
    from hookline.ids import now_ms

    if not admins.USERNAME.fullmatch(username):
        _fail("the username must be 1 to 128 letters, digits or . _ @ + -")
    password_hash = _new_password_hash()
    try:
        _write(lambda conn: admins.create_admin(conn, username, password_hash, now_ms()))
    except admins.AdminExists:
        _fail(f"an admin named {username!r} exists already")
    typer.echo(f"hookline: created the console admin {username!r}")


@app.command()
def password(username: str) -> None:
    """Set a new password for a console admin (asked, or read from standard input as for
    `create`); this also lifts a lockout and signs the admin out everywhere."""
    from hookline.auth import admins

    password_hash = _new_password_hash()
    if not _write(lambda conn: admins.set_password(conn, username, password_hash)):
        _fail(f"there is no admin named {username!r}")
    typer.echo(f"hookline: set a new password for the console admin {username!r}")


def _new_password_hash() -> str:
    from hookline.auth import admins
    from hookline.identity.passwords import hash_password

    password = _password()
    if len(password) < admins.MIN_PASSWORD_LENGTH:
        _fail(f"the password must have at least {admins.MIN_PASSWORD_LENGTH} characters")
    return hash_password(password)


def _write(work: Callable[[Connection], T]) -> T:
    """`work` in a transaction on the server's database, migrated first if need be."""
    from hookline.cli.main import load_settings
    from hookline.db.engine import make_engine, write
    from hookline.db.migrate import upgrade

    engine = make_engine(load_settings().database_url)
    try:
        upgrade(engine)
        with write(engine) as conn:
            return work(conn)
    finally:
        engine.dispose()


def _password() -> str:
    if sys.stdin.isatty():
        return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))
    # One line, without its line break: `echo secret | hookline admin create alice`.
    return sys.stdin.readline().rstrip("\r\n")


def _fail(message: str) -> NoReturn:
    typer.echo(f"hookline: {message}", err=True)
    raise typer.Exit(1)
