"""The inbox behind a WSGI app (Flask, Django's WSGI handler, any WSGI server): verify, store,
answer 204. Mount it at the webhook's path, e.g. with werkzeug's `DispatcherMiddleware`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
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

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

_REASONS = {
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Content Too Large",
    503: "Service Unavailable",
}


def webhook_app(inbox: Inbox, **options: Any) -> WSGIApp:
    """A WSGI app that stores in `inbox` each POST that `verify(headers, body, **options)`
    accepts (`secrets=[…]`, `public_keys=[…]`, `jwks=URL`, …; Logto's signature alone
    only with `allow_logto=True`), whatever its path."""
    check_options(options)

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            result = NOT_POST
        else:
            body = _body(environ)
            if isinstance(body, Answer):
                result = body
            else:
                result = answer(inbox, _headers(environ), body, options)
        headers = [*result.headers.items(), ("content-length", str(len(result.body)))]
        start_response(f"{result.status} {_REASONS[result.status]}", headers)
        return [result.body]

    return app


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    headers = {
        key[5:].replace("_", "-").lower(): value
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    return headers


def _body(environ: dict[str, Any]) -> bytes | Answer:
    length = (environ.get("CONTENT_LENGTH") or "0").strip()
    if not (length.isascii() and length.isdecimal()):
        return UNREADABLE
    if int(length) > MAX_BODY:
        return TOO_LARGE
    try:
        body: bytes = environ["wsgi.input"].read(int(length))
    except OSError:
        return UNREADABLE
    return body if len(body) == int(length) else UNREADABLE
