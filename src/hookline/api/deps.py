"""Dependencies shared by the API routes."""

from __future__ import annotations

import logging
import re
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.types import Scope

from hookline.auth import access
from hookline.auth.tokens import InvalidToken, issuer
from hookline.errors import ApiError, invalid_query
from hookline.runtime import Runtime


async def runtime(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(runtime)]
log = logging.getLogger("hookline.auth")


# `/api` paths open without a token (liveness, the API docs, the Logto relay, which checks
# Logto's signature instead, the end-user sign-in flows and hooks' public keys); every other
# one needs one.
PUBLIC_API_PATHS = frozenset(
    {"/api/status", "/api/docs", "/api/swagger.json", "/api/hook-events/logto"}
)
PUBLIC_API_PREFIXES = ("/api/experience",)
PUBLIC_API_PATTERN = re.compile(r"/api/hooks/[^/]+/jwks")


def needs_token(path: str) -> bool:
    if not path.startswith("/api/") or path.startswith(PUBLIC_API_PREFIXES):
        return False
    path = path.rstrip("/")
    return path not in PUBLIC_API_PATHS and not PUBLIC_API_PATTERN.fullmatch(path)


async def require_token(request: Request) -> None:
    """The Management API's guard: a valid token of this server for the Management API,
    with the `all` scope, of an application that still holds that scope (one read)."""
    client_id = None
    try:
        claims = check_token(request)
        client_id = claims["client_id"]
        if access.ALL not in str(claims.get("scope", "")).split(" "):
            raise forbidden()
        rt: Runtime = request.app.state.runtime
        if not await rt.gate.may_manage(client_id):
            still_there = await rt.read(lambda conn: access.exists(conn, client_id))
            raise forbidden() if still_there else unauthorized()
    except ApiError as refused:
        _log_refusal(request, refused, client_id)
        raise


def check_token(request: Request) -> dict[str, Any]:
    """The claims of the request's bearer token, once it is known to be this server's, for
    the Management API, and not expired."""
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
        claims = request.app.state.runtime.verifier.verify(token.strip())
    except InvalidToken as exc:
        raise unauthorized() from exc
    if claims["iss"] != token_issuer(request):
        raise unauthorized()
    return claims


def token_issuer(request: Request) -> str:
    """HOOKLINE_PUBLIC_URL's issuer, shared by every process behind it; without it, the
    origin the request came to (a token is then good on the origin that issued it)."""
    public_url = request.app.state.runtime.settings.public_url
    return issuer(public_url or _origin(request.scope))


def _origin(scope: Scope) -> str:
    """`scheme://host` as the client named it; read from the scope, since building
    `request.base_url` costs more than the rest of the guard."""
    host = next((value for name, value in scope["headers"] if name == b"host"), None)
    if host is not None:
        return f"{scope['scheme']}://{host.decode('latin-1')}"
    server = scope.get("server")  # no Host header: HTTP/1.0, or a Unix socket
    return f"{scope['scheme']}://{server[0]}:{server[1]}" if server else f"{scope['scheme']}://"


def unauthorized() -> ApiError:
    return ApiError(401, "auth.unauthorized", "Unauthorized. Please check credentials.")


def forbidden() -> ApiError:
    return ApiError(
        403, "auth.forbidden", "Forbidden. Please check your user roles and permissions."
    )


def _log_refusal(request: Request, refused: ApiError, client_id: str | None) -> None:
    """One line per refused request: what was refused and why, never the token."""
    log.warning(
        "request refused",
        extra={
            "action": "auth",
            "code": refused.code,
            "method": request.method,
            "path": request.url.path,
            "client_id": client_id,
            "ip": request.client.host if request.client else None,
        },
    )


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
