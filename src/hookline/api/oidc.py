"""`/oidc/token` (client credentials) and `/oidc/jwks`."""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import unquote_plus

from fastapi import APIRouter, Request

from hookline.api.deps import RuntimeDep
from hookline.api.responses import JSON
from hookline.auth.applications import verify_secret
from hookline.auth.tokens import issue
from hookline.config import MANAGEMENT_API_RESOURCE

router = APIRouter(prefix="/oidc", tags=["OIDC"])


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
    """Client credentials grant for the Management API resource."""
    form = await request.form()
    basic_id, basic_secret = _basic_credentials(request.headers.get("authorization"))
    client_id = basic_id or form.get("client_id")
    secret = basic_secret or form.get("client_secret")
    if form.get("grant_type") != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type", "unsupported grant_type requested")
    if not isinstance(client_id, str) or not isinstance(secret, str):
        return _oauth_error(401, "invalid_client", "client authentication failed")
    valid = await rt.read(lambda conn: verify_secret(conn, client_id, secret))
    if not valid:
        return _oauth_error(401, "invalid_client", "client authentication failed")
    resource = form.get("resource") or MANAGEMENT_API_RESOURCE
    if resource != MANAGEMENT_API_RESOURCE:
        return _oauth_error(400, "invalid_target", "resource indicator is missing, or unknown")
    scope = form.get("scope") or "all"
    if scope != "all":
        return _oauth_error(400, "invalid_scope", "requested scope is not allowed")
    issuer = str(request.base_url).rstrip("/") + "/oidc"
    ttl = rt.settings.token_ttl
    access_token = issue(rt.key, issuer, client_id, resource, scope, ttl)
    return JSON(
        {"access_token": access_token, "expires_in": ttl, "token_type": "Bearer", "scope": scope}
    )


@router.get("/jwks")
async def jwks(rt: RuntimeDep) -> Any:
    """The public key that signs access tokens."""
    return JSON({"keys": [rt.key.jwk]})
