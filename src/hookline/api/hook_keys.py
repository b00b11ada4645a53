"""`GET /api/hooks/:id/jwks`: without a token, the public keys that sign a hook's `v1a`
signatures, so that receivers verify with no shared secret."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from hookline.api.deps import RuntimeDep, no_nul
from hookline.api.responses import JSON
from hookline.hooks import service

router = APIRouter(prefix="/hooks", tags=["Hooks"], dependencies=[Depends(no_nul)])


class Jwk(BaseModel):
    """An Ed25519 public key (RFC 8037)."""

    kty: Literal["OKP"]
    crv: Literal["Ed25519"]
    x: str  # the 32-byte key, base64url without padding
    kid: str  # the start of the key's SHA-256, in hex
    use: Literal["sig"]
    alg: Literal["EdDSA"]


class JwkSet(BaseModel):
    keys: list[Jwk]


@router.get(
    "/{id}/jwks",
    response_model=JwkSet,
    responses={404: {"description": "No hook has this id (`entity.not_exists_with_id`)."}},
)
async def hook_jwks(id: str, rt: RuntimeDep) -> Any:
    """The hook's Ed25519 public keys as a JWKS, newest first: the current one, and during a
    rotation's grace period the one it replaced. `{"keys": []}` for a hook that never had
    `config.asymmetricSignature` turned on. No token needed."""
    return JSON(await rt.read(lambda conn: service.public_keys(conn, id)))
