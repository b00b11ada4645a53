"""Request bodies, bounded before they are read.

A body larger than its route allows is answered 413 as soon as its `Content-Length` says
so, or, sent in chunks, as soon as the bytes received pass the limit: the rest is never
read. A body that stops arriving is answered 408 once nothing has come for
`HOOKLINE_BODY_TIMEOUT` seconds. Either way the connection is closed, so that the rest of the
body is not read (and thrown away) for as long as the client goes on sending it.

Limits: `HOOKLINE_MAX_PAYLOAD_BYTES` for ingest (`POST /api/hook-events`), a few KiB for
what end users send (the Experience API, `/oidc/token`), and 1 MiB, the default of Logto's
body parser, for the rest of the Management API. Logto has no error code of its own for a
body too large (its parser answers a bare 413), so hookline names one.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hookline.api.responses import JSON

# Events from other systems: ingest and the Logto relay, bounded by HOOKLINE_MAX_PAYLOAD_BYTES.
INGEST_PATHS = frozenset({"/api/hook-events", "/api/hook-events/logto"})
# Sign-in forms and token requests hold a few short strings.
END_USER_LIMIT = 16 * 1024
END_USER_PATHS = ("/api/experience",)
END_USER_PREFIXES = ("/api/experience/", "/oidc/")
MANAGEMENT_LIMIT = 1024 * 1024


class BodyLimits:
    """Pure ASGI, and cheap on the hot path: a counter per read of the body, one timer for
    all the bodies being waited for (not one per read), nothing per response."""

    def __init__(self, app: ASGIApp, ingest_limit: int, idle_timeout: float) -> None:
        self.app = app
        self.ingest_limit = ingest_limit
        self.watch = _IdleWatch(idle_timeout)

    def limit(self, method: str, path: str) -> int:
        if path in INGEST_PATHS and method == "POST":
            return self.ingest_limit
        if path in END_USER_PATHS or path.startswith(END_USER_PREFIXES):
            return END_USER_LIMIT
        return MANAGEMENT_LIMIT

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit(scope["method"], scope["path"])
        if _content_length(scope) > limit:
            await _too_large(limit)(scope, receive, send)
            return
        body = _BoundedBody(scope, receive, send, limit, self.watch)
        try:
            await self.app(scope, body.receive, body.send)
        except Exception:
            # What the application makes of a body cut short, once it has been answered.
            if not body.refused:
                raise


class _BodyRefused(Exception):
    """Raised to the application reading a body that has been answered 413 or 408."""


class _BoundedBody:
    __slots__ = (
        "scope",
        "_receive",
        "_send",
        "limit",
        "watch",
        "received",
        "complete",
        "started",
        "refused",
        "task",
        "deadline",
        "stalled",
    )

    def __init__(
        self, scope: Scope, receive: Receive, send: Send, limit: int, watch: _IdleWatch
    ) -> None:
        self.scope = scope
        self._receive = receive
        self._send = send
        self.limit = limit
        self.watch = watch
        self.received = 0
        self.complete = False
        self.started = False
        self.refused = False
        self.task: asyncio.Task | None = None
        self.deadline = 0.0
        self.stalled = False

    async def receive(self) -> Message:
        if self.complete:
            # Past the body, the application only waits for the client to leave: no limit.
            return await self._receive()
        self.watch.add(self)
        try:
            message = await self._receive()
        except asyncio.CancelledError:
            if not self.stalled:
                raise
            assert self.task is not None
            self.task.uncancel()
            await self._refuse(_timed_out(self.watch.timeout))
            raise _BodyRefused from None
        finally:
            self.watch.discard(self)
        if message["type"] != "http.request":
            self.complete = True
            return message
        self.received += len(message.get("body", b""))
        if self.received > self.limit:
            await self._refuse(_too_large(self.limit))
            raise _BodyRefused
        self.complete = not message.get("more_body", False)
        return message

    async def send(self, message: Message) -> None:
        if self.refused:
            return  # the answer is ours already; the application's own comes too late
        self.started = True
        await self._send(message)

    async def _refuse(self, response: JSON) -> None:
        if self.started:
            return  # too late to answer: the exception ends the response and the connection
        self.refused = True
        await response(self.scope, self._receive, self._send)


class _IdleWatch:
    """The bodies being waited for; while there are any, a sweep every quarter of `timeout`
    cancels the reads that have waited `timeout` seconds (so at most a quarter longer)."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.waiting: set[_BoundedBody] = set()
        # The loop the sweep runs on, if one does: an application served again on another
        # loop (one after the other, as tests do) starts a sweep there.
        self.sweeping: asyncio.AbstractEventLoop | None = None

    def add(self, body: _BoundedBody) -> None:
        loop = asyncio.get_running_loop()
        body.task = asyncio.current_task()
        body.deadline = loop.time() + self.timeout
        self.waiting.add(body)
        if self.sweeping is not loop:
            self.sweeping = loop
            loop.call_later(self.timeout / 4, self._sweep, loop)

    def discard(self, body: _BoundedBody) -> None:
        self.waiting.discard(body)

    def _sweep(self, loop: asyncio.AbstractEventLoop) -> None:
        now = loop.time()
        for body in [body for body in self.waiting if body.deadline <= now]:
            self.waiting.discard(body)
            body.stalled = True
            assert body.task is not None
            body.task.cancel()
        if self.waiting:
            loop.call_later(self.timeout / 4, self._sweep, loop)
        else:
            self.sweeping = None


def _content_length(scope: Scope) -> int:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0  # the HTTP parser refuses these; the count below still holds
    return 0


def _too_large(limit: int) -> JSON:
    return _closing(
        413,
        "request.payload_too_large",
        f"The request body is too large: at most {limit} bytes are accepted.",
    )


def _timed_out(idle_timeout: float) -> JSON:
    return _closing(
        408,
        "request.timeout",
        f"The request body stopped arriving: nothing came for {idle_timeout:g} seconds.",
    )


def _closing(status: int, code: str, message: str) -> JSON:
    # `connection: close`: the server stops reading what is left of the body.
    return JSON({"code": code, "message": message}, status, headers={"connection": "close"})
