"""Management API writes: the request as a `Context`, the write and its events committed
together with concurrent requests' (group commit)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

from fastapi import Request
from sqlalchemy import Connection

from hookline.events.context import Context

T = TypeVar("T")

_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


def matched_route(request: Request) -> str:
    """The route template as Logto names it: Koa's `:param` syntax, without `/api`."""
    template = request.scope["route"].path
    return _PARAM.sub(r":\1", template.removeprefix("/api"))


def context(request: Request, status: int) -> Context:
    """The request half of the data events a write fires, answered with `status`."""
    return Context(
        path=request.url.path.removeprefix("/api"),
        method=request.method,
        status=status,
        matched_route=matched_route(request),
        params=dict(request.path_params),
        ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )


async def commit(request: Request, status: int, write: Callable[[Connection, Context], T]) -> T:
    """Run `write(conn, context)` in a transaction shared with concurrent requests; the
    caller is answered once it has committed. Raising inside `write` rolls it back, with
    every event it emitted."""
    ctx = context(request, status)
    return await request.app.state.runtime.committer.run(lambda conn: write(conn, ctx))
