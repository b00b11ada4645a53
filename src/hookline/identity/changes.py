"""The data events identity writes fire, written to the outbox in the writer's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from hookline.events.context import Context
from hookline.events.payloads import NO_DATA, management_payload
from hookline.outbox.emit import emit


def emit_change(
    conn: Connection,
    context: Context,
    event: str,
    data: Any = NO_DATA,
    data_first: bool = False,
    **extra: Any,
) -> None:
    """Store `event` about a change with `context`'s request fields; `extra` keys (such as
    `roleId`) go between them and `data`, as in Logto's hand-made events."""
    emit(conn, event, management_payload(context, data, data_first, **extra))
