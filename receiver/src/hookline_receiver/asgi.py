"""The inbox behind an ASGI app (Starlette, FastAPI, any ASGI server): verify, store, answer
204. In FastAPI or Starlette: `app.add_route("/hook", webhook_app(inbox, secrets=[…]),
methods=["POST"])`; or serve it alone (`uvicorn module:app`)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from hookline_receiver.answer import (
    MAX_BODY,
    NOT_POST,
    TOO_LARGE,
    UNREADABLE,
    Answer,
    answer,
    check_options,
)
from hookline_receiver.inbox import Inbox

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class WebhookApp:
    """An ASGI app that stores in `inbox` each POST that `verify(headers, body, **options)`
    accepts (`secrets=[…]`, `public_keys=[…]`, `jwks=URL`, …; Logto's signature alone
    only with `allow_logto=True`), whatever its path. A class, not a function, so that
    Starlette's `Route` takes it for an ASGI app."""

    def __init__(self, inbox: Inbox, **options: Any) -> None:
        check_options(options)
        self.inbox = inbox
        self.options = options

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":  # served alone: nothing to start or stop
            return await _lifespan(receive, send)
        if scope["type"] != "http":
            return
        if scope["method"] != "POST":
            result = NOT_POST
        else:
            body = await _body(receive)
            if isinstance(body, Answer):
                result = body
            else:
                headers = {
                    k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]
                }
                # Storing waits for the disk, and a JWKS may be fetched: off the event loop.
                result = await asyncio.to_thread(answer, self.inbox, headers, body, self.options)
        raw = [(k.encode(), v.encode()) for k, v in result.headers.items()]
        raw.append((b"content-length", str(len(result.body)).encode()))
        await send({"type": "http.response.start", "status": result.status, "headers": raw})
        await send({"type": "http.response.body", "body": result.body})


def webhook_app(inbox: Inbox, **options: Any) -> WebhookApp:
    return WebhookApp(inbox, **options)


async def _body(receive: Receive) -> bytes | Answer:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return UNREADABLE
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return TOO_LARGE
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
