"""`/oidc/token` (client credentials) and `/oidc/jwks`."""

from __future__ import annotations

import base64
import binascii
import logging
from typing import Any
from urllib.parse import unquote_plus

from fastapi import APIRouter, Request

from hookline.api.deps import RuntimeDep, token_issuer
from hookline.api.responses import JSON
from hookline.auth import access
from hookline.auth.applications import verify_secret
from hookline.auth.tokens import issue
from hookline.config import MANAGEMENT_API_RESOURCE

router = APIRouter(prefix="/oidc", tags=["OIDC"])
log = logging.getLogger("hookline.auth")


def _oauth_error(status: int, error: str, description: str) -> JSON:
    return JSON({"error": error, "error_description": description}, status_code=status)


def _basic_credentials(header: str | None) -> tuple[str | None, str | None]:
    if not header or not header.lower().startswith("basic "):
        return None, None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    client_id, _, secret = decoded.partition(":")
    return unquote_plus(client_id), unquote_plus(secret)


@router.post("/token")
async def token(request: Request, rt: RuntimeDep) -> Any:
    """Client credentials grant: a token for one API resource (the Management API unless
    `resource` names another), with the scopes asked for that the application's
    machine-to-machine roles hold there (every one of them when `scope` is not given)."""
    form = await request.form()
    basic_id, basic_secret = _basic_credentials(request.headers.get("authorization"))
    client_id = basic_id or form.get("client_id")
    secret = basic_secret or form.get("client_secret")
    if form.get("grant_type") != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type", "unsupported grant_type requested")
    if not isinstance(client_id, str) or not isinstance(secret, str):
        return _refused(request, None, "no client credentials")
    valid = await rt.read(lambda conn: verify_secret(conn, client_id, secret))
    if not valid:
        return _refused(request, client_id, "unknown client or wrong secret")
    resource = form.get("resource") or MANAGEMENT_API_RESOURCE
    if not isinstance(resource, str):
        return _oauth_error(400, "invalid_request", "resource must be a string")
    held = await rt.read(lambda conn: access.grant(conn, client_id, resource))
    if held is None:
        return _oauth_error(400, "invalid_target", "resource indicator is missing, or unknown")
    asked = form.get("scope")
    if not isinstance(asked, str | None):
        return _oauth_error(400, "invalid_request", "scope must be a string")
    wanted = dict.fromkeys(asked.split()) if asked else sorted(held.scopes)
    scope = " ".join(name for name in wanted if name in held.scopes)
    # The Management API's tokens live HOOKLINE_TOKEN_TTL; others as their resource says.
    ttl = rt.settings.token_ttl if resource == MANAGEMENT_API_RESOURCE else held.ttl
    access_token = issue(rt.key, token_issuer(request), client_id, resource, scope, ttl)
    body = {"access_token": access_token, "expires_in": ttl, "token_type": "Bearer"}
    if scope:  # none granted: no `scope`, as Logto answers
        body["scope"] = scope
    return JSON(body)


def _refused(request: Request, client_id: str | None, reason: str) -> JSON:
    log.warning(
        "token refused",
        extra={
            "action": "token",
            "reason": reason,
            "client_id": client_id[:64] if client_id else None,
            "ip": request.client.host if request.client else None,
        },
    )
    return _oauth_error(401, "invalid_client", "client authentication failed")


@router.get("/jwks")
async def jwks(rt: RuntimeDep) -> Any:
    """The public key that signs access tokens."""
    return JSON({"keys": [rt.key.jwk]})
