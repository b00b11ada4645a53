"""Dependencies shared by the API routes."""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request

from hookline.auth.tokens import InvalidToken
from hookline.errors import ApiError, invalid_query
from hookline.runtime import Runtime


async def runtime(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(runtime)]


# `/api` paths open without a token (liveness, the API docs, and the end-user sign-in flows);
# every other one needs one.
PUBLIC_API_PATHS = frozenset({"/api/status", "/api/docs", "/api/swagger.json"})
PUBLIC_API_PREFIXES = ("/api/experience",)


def needs_token(path: str) -> bool:
    if not path.startswith("/api/") or path.startswith(PUBLIC_API_PREFIXES):
        return False
    return path.rstrip("/") not in PUBLIC_API_PATHS


async def require_token(request: Request) -> None:
    """The router's guard; async so that FastAPI does not hop to a thread for it."""
    check_token(request)


def check_token(request: Request) -> None:
    """Every Management API route needs a valid bearer token for the Management API."""
    header = request.headers.get("authorization")
    if not header:
        raise ApiError(401, "auth.authorization_header_missing", "Authorization header is missing.")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise ApiError(
            401,
            "auth.authorization_token_type_not_supported",
            "Authorization type is not supported.",
        )
    try:
        request.app.state.runtime.verifier.verify(token.strip())
    except InvalidToken as exc:
        raise ApiError(401, "auth.unauthorized", "Unauthorized. Please check credentials.") from exc


async def no_nul(request: Request) -> None:
    """Refuse a NUL character in a path parameter or the query. PostgreSQL cannot compare a
    value holding one (SQLite can, and finds nothing): both answer the same this way."""
    if any("\x00" in value for value in request.path_params.values()):
        raise ApiError(
            400,
            "guard.invalid_input",
            "The request params is invalid.",
            details="A path parameter holds a NUL character.",
        )
    if any("\x00" in item for pair in request.query_params.multi_items() for item in pair):
        raise invalid_query("A query parameter holds a NUL character.")


def truthy(value: str | None) -> bool:
    """Logto's yes-words for boolean query flags."""
    return value is not None and value.lower() in {"1", "true", "y", "yes", "yep", "yeah"}


_INTEGER = re.compile(r"\s*[+-]?[0-9]+\s*")


def query_int(value: str) -> int:
    """An integer as JavaScript's `Number()` reads one; Python's `int()` would also take
    other scripts' digits (`１`) and underscores (`1_0`). Raises ValueError."""
    if not _INTEGER.fullmatch(value):
        raise ValueError(value)
    return int(value)


def page_params(page: str | None, page_size: str | None, required: bool) -> tuple[int, int] | None:
    if not required and page is None and page_size is None:
        return None
    try:
        number = query_int(page) if page is not None else 1
        size = query_int(page_size) if page_size is not None else 20
    except ValueError as exc:
        raise invalid_query("page and page_size must be integers") from exc
    if not 1 <= number <= 2**31 or not 1 <= size <= 100:
        raise invalid_query("page must be between 1 and 2³¹ and page_size between 1 and 100")
    return number, size


def pagination_headers(request: Request, page: int, size: int, total: int) -> dict[str, str]:
    """`Total-Number` and a `Link` header with first/prev/next/last, as Logto sends them."""
    last = max(1, -(-total // size))
    # The path as sent, still percent-encoded: decoded, an id in it may hold characters a
    # header cannot (non-Latin-1 text, say).
    raw = request.scope.get("raw_path")
    url = request.url.replace(path=raw.decode("latin-1") if raw else quote(request.url.path))

    def link(number: int, rel: str) -> str:
        return f'<{url.include_query_params(page=number)}>; rel="{rel}"'

    links = [link(1, "first")]
    if page > 1:
        links.append(link(min(page - 1, last), "prev"))
    links.append(link(last, "last"))
    if page < last:
        links.append(link(page + 1, "next"))
    return {"Total-Number": str(total), "Link": ", ".join(links)}
