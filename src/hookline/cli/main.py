"""The `hookline` command."""

from __future__ import annotations

import asyncio
import signal

import typer

from hookline.config import Settings

app = typer.Typer(help="hookline: webhooks for identity events.", no_args_is_help=True)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(3001, help="Port to listen on."),
    dispatchers: int = typer.Option(
        None,
        help="Dispatcher processes beside the API (0: inside it). Default: HOOKLINE_DISPATCHERS.",
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

    settings = Settings()
    if dispatchers is not None:
        settings.dispatchers = dispatchers
    if dispatch is not None:
        settings.dispatch = dispatch
    if settings.allow_private_networks:
        typer.echo(f"hookline: webhooks may reach {settings.allow_private_networks}", err=True)
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
        timeout_graceful_shutdown=15,
    )


@app.command()
def worker() -> None:
    """Run a dispatcher only: claim due deliveries and send them."""
    import uvloop

    from hookline.db.engine import make_engine
    from hookline.db.migrate import upgrade
    from hookline.dispatcher.loop import Dispatcher

    settings = Settings()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    engine.dispose()

    async def main() -> None:
        dispatcher = Dispatcher(settings)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, dispatcher.stop)
        await dispatcher.run()

    uvloop.run(main())


@app.command()
def migrate() -> None:
    """Apply database migrations and exit."""
    from hookline.db.engine import make_engine
    from hookline.db.migrate import upgrade

    upgrade(make_engine(Settings().database_url))
