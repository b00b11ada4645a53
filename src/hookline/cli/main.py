"""The `hookline` command."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
from typing import NoReturn

import typer
from pydantic import ValidationError

from hookline import __version__, heap, logs
from hookline.cli import admin, deliveries, hooks, listen
from hookline.config import Settings

app = typer.Typer(help="hookline: webhooks for identity events.", no_args_is_help=True)
app.add_typer(hooks.app, name="hooks")
app.add_typer(deliveries.app, name="deliveries")
app.add_typer(deliveries.events, name="events")
app.add_typer(admin.app, name="admin")
app.command()(listen.listen)
log = logging.getLogger("hookline")


def _print_version(asked: bool) -> None:
    if asked:
        typer.echo(f"hookline {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """hookline: webhooks for identity events."""


def load_settings() -> Settings:
    """The settings, or a line per bad variable and exit status 2 instead of a traceback."""
    try:
        return Settings()
    except ValidationError as error:
        for problem in error.errors():
            # Not the value itself: it could be a secret.
            name = "HOOKLINE_" + "_".join(str(part).upper() for part in problem["loc"])
            typer.echo(f"hookline: {name}: {problem['msg']}", err=True)
        raise typer.Exit(2) from None


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(3001, help="Port to listen on."),
    dispatchers: int = typer.Option(
        None,
        min=0,
        help="Dispatcher processes beside the API (0: the dispatcher runs inside it). Default:"
        " HOOKLINE_DISPATCHERS, or unset one per core, at most 4, and 0 on a single core.",
    ),
    dispatch: bool = typer.Option(
        None,
        "--dispatch/--no-dispatch",
        help="Deliver webhooks from this process; --no-dispatch leaves it to `hookline worker`"
        " processes. Default: HOOKLINE_DISPATCH (true).",
    ),
) -> None:
    """Run the API, the console and the dispatcher; migrations are applied at start."""
    import uvicorn

    from hookline.app import create_app

    settings = load_settings()
    logs.configure(settings.log_level, settings.log_format)
    # The port first: a server that cannot listen creates nothing and prints no credentials.
    sock = bind(host, port, settings)
    check_database(settings)
    if dispatchers is not None:
        settings.dispatchers = dispatchers
    if dispatch is not None:
        settings.dispatch = dispatch
    log.info(
        "serving",
        extra={
            "action": "serve",
            "address": f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}",
            "database": logs.mask_url(settings.database_url),
            "dispatches": settings.dispatch and settings.dispatchers == 0,
            "dispatcher_processes": settings.dispatchers if settings.dispatch else 0,
        },
    )
    if settings.allow_private_networks:
        log.warning(
            "webhooks may reach these networks despite the SSRF guard",
            extra={"action": "allow_private_networks", "networks": settings.allow_private_networks},
        )
    config = uvicorn.Config(
        create_app(settings),
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
        # uvicorn's own records go through the handler logs.configure installed.
        log_config=None,
        timeout_graceful_shutdown=15,
        # Forwarded headers only from the proxies named: anyone else could pick the client
        # address that events report, and the scheme that decides the cookie's `Secure`.
        proxy_headers=bool(settings.trusted_proxy_list),
        forwarded_allow_ips=settings.trusted_proxy_list,
    )
    server = uvicorn.Server(config)
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[sock])
    if not server.started:
        raise typer.Exit(3)  # uvicorn's status for an application that failed to start


def bind(host: str, port: int, settings: Settings) -> socket.socket:
    """The listening socket, or one line and exit status 1 (a port in use, say)."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    # As uvicorn does: a restart need not wait for the last connections' TIME_WAIT.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        cannot_start(settings, "serve_fail", f"cannot listen on {host}:{port}: {error.strerror}")
    return sock


def check_database(settings: Settings) -> None:
    """One line and exit status 1 if the database cannot be opened and written."""
    from hookline.db.reachable import DatabaseUnreachable, check_reachable

    url = settings.database_url
    try:
        check_reachable(url)
    except DatabaseUnreachable as error:
        cannot_start(
            settings, "database_fail", f"cannot open the database {logs.mask_url(url)}: {error}"
        )


def cannot_start(settings: Settings, action: str, message: str) -> NoReturn:
    """Exit status 1 after one line on stderr: `hookline: message`, or under
    HOOKLINE_LOG_FORMAT=json a JSON line, for the collectors that read only those."""
    if settings.log_format == "json":
        logs.configure(settings.log_level, settings.log_format)
        log.error(message, extra={"action": action})
    else:
        typer.echo(f"hookline: {message}", err=True)
    raise typer.Exit(1)


@app.command()
def worker() -> None:
    """Run a dispatcher only: claim due deliveries and send them."""
    from hookline.dispatcher.processes import PARENT_PID, die_with_parent

    parent = os.environ.get(PARENT_PID)
    if parent:  # started by `hookline serve`
        die_with_parent(int(parent))
    settings = load_settings()
    logs.configure(settings.log_level, settings.log_format)
    if not parent:
        check_database(settings)
    try:
        # Started by `hookline serve`, which migrated the database before starting it.
        _work(settings, migrate=not parent)
    except Exception:
        # Through the configured handler: a bare traceback would break JSON-lines collectors.
        log.exception("worker failed", extra={"action": "worker_fail"})
        raise typer.Exit(1) from None
    log.info("worker stopped", extra={"action": "worker_stop"})


def _work(settings: Settings, migrate: bool) -> None:
    import uvloop

    from hookline.dispatcher.loop import Dispatcher
    from hookline.dispatcher.processes import report_ready

    log.info(
        "worker starting",
        extra={"action": "worker_start", "database": logs.mask_url(settings.database_url)},
    )
    if migrate:
        from hookline.db.engine import make_engine
        from hookline.db.migrate import upgrade

        engine = make_engine(settings.database_url)
        upgrade(engine)
        engine.dispose()

    async def main() -> None:
        dispatcher = Dispatcher(settings)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, dispatcher.stop)
        reporting = asyncio.create_task(report_ready(dispatcher.ready))
        try:
            await dispatcher.run()
        finally:
            reporting.cancel()

    heap.settle()
    uvloop.run(main())


@app.command()
def migrate() -> None:
    """Apply database migrations and exit."""
    from hookline.db.engine import make_engine
    from hookline.db.migrate import upgrade

    settings = load_settings()
    check_database(settings)
    upgrade(make_engine(settings.database_url))
