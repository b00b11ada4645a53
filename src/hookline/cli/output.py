"""What the client commands print: tables for people, JSON for scripts, and errors as one
line on standard error."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import typer

from hookline.cli.client import ClientError

if TYPE_CHECKING:
    # Imported when a client command prints: `serve` and `worker` start without rich.
    from rich.console import Console

P = ParamSpec("P")
R = TypeVar("R")


@functools.cache
def console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True, stderr=stderr)


def handled(command: Callable[P, R]) -> Callable[P, R]:
    """A client error ends the command with its line and exit status, not a traceback."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except ClientError as error:
            typer.echo(f"hookline: {error}", err=True)
            raise typer.Exit(error.exit_code) from None

    return run


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


def table(columns: Sequence[str], rows: Sequence[Sequence[Any]], caption: str = "") -> None:
    from rich.table import Table

    grid = Table(*columns, caption=caption or None, show_edge=False, pad_edge=False)
    for row in rows:
        grid.add_row(*("–" if cell is None else str(cell) for cell in row))
    console().print(grid)


def fields(pairs: Sequence[tuple[str, Any]]) -> None:
    """One record, a field per line."""
    width = max(len(name) for name, _ in pairs)
    for name, value in pairs:
        console().print(f"[bold]{name:<{width}}[/]  {'–' if value is None else value}")


def when(epoch_ms: int | None) -> str | None:
    if epoch_ms is None:
        return None
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")


def shown(total: int, count: int, one: str, many: str) -> str:
    """`3 hooks`, `1 hook`, `50 of 120 deliveries`: the caption under a listing."""
    what = one if total == 1 else many
    return f"{count} of {total} {what}" if total > count else f"{total} {what}"
