"""`hookline listen PORT`: the receiver kit's local receiver, printing with rich."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from hookline.cli.output import console

if TYPE_CHECKING:
    from hookline_receiver.listen import Arrival


def listen(
    port: Annotated[int, typer.Argument(help="Port to receive webhooks on (0: any free one).")],
    secret: Annotated[
        list[str] | None,
        typer.Option(
            "--secret",
            help="A hook's signingKey, or its whsec_ secret, to verify with (repeat for more,"
            " say both keys during a rotation). Without one, webhooks show as unverified.",
        ),
    ] = None,
    forward_to: Annotated[
        str | None,
        typer.Option(help="A URL to POST each accepted webhook to, body and headers unchanged."),
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    allow_logto: Annotated[
        bool,
        typer.Option(
            "--allow-logto",
            help="Accept Logto's signature alone (webhooks from Logto itself). It signs no"
            " time, so an old body passes it again; hookline always signs with one.",
        ),
    ] = False,
) -> None:
    """Receive webhooks: verify and print each, answer 204, and forward it if asked.

    With --secret, a webhook no secret verifies is answered 401. Ctrl-C stops."""
    try:
        from hookline_receiver.listen import run
    except ImportError:
        typer.echo("hookline: listen needs the receiver kit: pip install ./receiver", err=True)
        raise typer.Exit(2) from None
    raise typer.Exit(
        run(
            port,
            host=host,
            secrets=secret or (),
            forward_to=forward_to,
            show=show,
            program="hookline",
            allow_logto=allow_logto,
        )
    )


def show(arrival: Arrival) -> None:
    """In one print, so that a reader of the output finds an arrival whole."""
    from rich.console import RenderableType
    from rich.json import JSON
    from rich.text import Text

    colour = "green" if arrival.webhook else "red" if arrival.refusal else "yellow"
    parts: list[RenderableType] = [Text(arrival.summary(), style=colour)]
    if arrival.json() is None:
        parts.append(Text(arrival.body.decode("utf-8", "replace")))
    else:
        parts.append(JSON(arrival.body.decode("utf-8", "replace")))
    forwarded = arrival.forward_line()
    if forwarded is not None:
        parts.append(Text(forwarded))
    console().print(*parts, sep="\n")
    console().file.flush()
