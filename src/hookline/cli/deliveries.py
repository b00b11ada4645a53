"""`hookline deliveries …` and `hookline events emit`: what was sent, sending it again, and
events from the command line."""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from hookline.cli.client import AsJson, Client, ClientError, Server

if TYPE_CHECKING:
    from rich.progress import Progress

from hookline.cli.output import console, handled, print_json, shown, table, when

app = typer.Typer(help="See deliveries, replay and recover them.", no_args_is_help=True)
events = typer.Typer(help="Send events into a running server.", no_args_is_help=True)

Status = Literal["pending", "succeeded", "failed", "cancelled"]
Hook = Annotated[str | None, typer.Option("--hook", help="Only this hook's deliveries.")]


@app.command("list")
@handled
def list_deliveries(
    hook: Hook = None,
    status: Annotated[Status | None, typer.Option(help="Only deliveries in this state.")] = None,
    event: Annotated[str | None, typer.Option(help="Only deliveries of this event.")] = None,
    since: Annotated[str | None, typer.Option(help="Created at or after (see `recover`).")] = None,
    page_size: Annotated[int, typer.Option("--limit", min=1, max=100)] = 20,
    server: Server = None,
    as_json: AsJson = False,
) -> None:
    """Deliveries, newest first."""
    path = f"/hooks/{hook}/deliveries" if hook else "/deliveries"
    with Client.connect(server) as client:
        items, total = client.list(
            path,
            status=status,
            event=event,
            start_time=None if since is None else epoch_ms(since),
            page_size=page_size,
        )
    if as_json:
        return print_json(items)
    table(
        ("id", "hook", "event", "status", "attempts", "created", "last status", "error"),
        [
            (
                item["id"],
                item["hookId"],
                item["event"],
                item["status"],
                item["attempts"],
                when(item["createdAt"]),
                item["lastStatusCode"],
                item["error"],
            )
            for item in items
        ],
        caption=shown(total, len(items), "delivery", "deliveries"),
    )


@app.command()
@handled
def replay(
    hook_id: str,
    delivery_ids: Annotated[list[str], typer.Argument(help="One or more delivery ids.")],
    server: Server = None,
) -> None:
    """Send finished deliveries again now, under the same ids."""
    failed = []
    with Client.connect(server) as client, _progress() as progress:
        task = progress.add_task("replaying", total=len(delivery_ids))
        for delivery_id in delivery_ids:
            try:
                client.call("POST", f"/hooks/{hook_id}/deliveries/{delivery_id}/replay")
            except ClientError as error:
                failed.append(f"{delivery_id}: {error}")
            progress.advance(task)
    for line in failed:
        typer.echo(f"hookline: {line}", err=True)
    typer.echo(f"replaying {len(delivery_ids) - len(failed)} of {len(delivery_ids)}")
    if failed:
        raise typer.Exit(1)


@app.command()
@handled
def recover(
    hook_id: str,
    since: Annotated[
        str, typer.Option(help="From: Unix ms, an ISO time, or an age such as 2h, 30m, 1d.")
    ],
    until: Annotated[
        str | None, typer.Option(help="To, written as --since (default: now).")
    ] = None,
    server: Server = None,
) -> None:
    """Send again every failed delivery of a hook created in a time window."""
    body: dict[str, Any] = {"since": epoch_ms(since)}
    if until is not None:
        body["until"] = epoch_ms(until)
    with Client.connect(server) as client:
        count = client.call("POST", f"/hooks/{hook_id}/recover", json=body)["count"]
    typer.echo(f"recovering {count} failed {'delivery' if count == 1 else 'deliveries'}")


@events.command()
@handled
def emit(
    event: str,
    data: Annotated[
        str, typer.Option(help="The payload as JSON, or @FILE to read it from a file.")
    ] = "{}",
    idempotency_key: Annotated[
        str | None, typer.Option(help="The same key stores the event once.")
    ] = None,
    server: Server = None,
    as_json: AsJson = False,
) -> None:
    """Store an event for delivery to every hook subscribed to it."""
    body: dict[str, Any] = {"event": event, "payload": _payload(data)}
    if idempotency_key is not None:
        body["idempotencyKey"] = idempotency_key
    with Client.connect(server) as client:
        stored = client.call("POST", "/hook-events", json=body)
    if as_json:
        return print_json(stored)
    typer.echo(f"stored {event} as {stored['id']}")


def _payload(data: str) -> Any:
    try:
        if data.startswith("@"):
            with open(data[1:], encoding="utf-8") as file:
                return json.load(file)
        return json.loads(data)
    except OSError as exc:
        raise ClientError(f"--data {data}: {exc.strerror}", 2) from None
    except ValueError as exc:
        raise ClientError(f"--data is not JSON: {exc}", 2) from None


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def epoch_ms(value: str, now: float | None = None) -> int:
    """Unix ms as the API takes them, from Unix ms, an ISO 8601 time or an age (`90m`)."""
    text = value.strip()
    if text.isdigit():
        return int(text)
    unit = _UNITS.get(text[-1:])
    if unit and text[:-1].isdigit():
        return int(((time.time() if now is None else now) - int(text[:-1]) * unit) * 1000)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ClientError(
            f"{value!r} is not a time: write Unix ms, an ISO time or an age such as 2h", 2
        ) from None
    return int(moment.astimezone().timestamp() * 1000)


def _progress() -> Progress:
    from rich.progress import Progress

    # On standard error: standard output stays the command's result.
    return Progress(console=console(stderr=True), transient=True)
