"""Management API changes and the data events they fire, in one transaction."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request
from sqlalchemy import Connection

from hookline.events.catalog import MANAGEMENT_API_EVENTS
from hookline.events.payloads import NO_DATA, management_payload
from hookline.outbox.emit import emit

T = TypeVar("T")

_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


def matched_route(request: Request) -> str:
    """The route template as Logto names it: Koa's `:param` syntax, without `/api`."""
    template = request.scope["route"].path
    return _PARAM.sub(r":\1", template.removeprefix("/api"))


def context(request: Request, status: int) -> dict[str, Any]:
    """The request half of a Management API payload."""
    return {
        "user_agent": request.headers.get("user-agent"),
        "ip": request.client.host if request.client else None,
        "path": request.url.path.removeprefix("/api"),
        "method": request.method,
        "status": status,
        "params": dict(request.path_params),
        "matched_route": matched_route(request),
    }


def route_event(conn: Connection, request: Request, status: int, data: Any = NO_DATA) -> None:
    """Emit the event Logto's route table lists for this route, if any, with `data`."""
    event = MANAGEMENT_API_EVENTS.get(f"{request.method} {matched_route(request)}")
    if event is not None:
        emit(conn, event, management_payload(**context(request, status), data=data))


def emit_change(
    conn: Connection,
    request: Request,
    status: int,
    event: str,
    data: Any = NO_DATA,
    data_first: bool = False,
    **extra: Any,
) -> None:
    """Emit a hand-made data event (not in the route table) with the request's context."""
    payload = management_payload(
        **context(request, status), data=data, data_first=data_first, **extra
    )
    emit(conn, event, payload)


async def change(request: Request, status: int, work: Callable[[Connection], T]) -> T:
    """Run `work` and fire the route's event in one transaction, shared with concurrent
    requests (group commit); its result is the `data`: none for a 204 or a `work` that
    returns nothing, as Logto sends none for a response without a body. Raising inside
    `work` rolls both back."""

    def unit(conn: Connection) -> T:
        result = work(conn)
        route_event(conn, request, status, NO_DATA if status == 204 or result is None else result)
        return result

    return await request.app.state.runtime.committer.run(unit)
