"""`GET /api/hooks/:id/jwks`: without a token, the public keys that sign a hook's `v1a`
signatures, so that receivers verify with no shared secret."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from hookline.api.deps import RuntimeDep, no_nul
from hookline.api.responses import JSON
from hookline.hooks import service

router = APIRouter(prefix="/hooks", tags=["Hooks"], dependencies=[Depends(no_nul)])


@router.get(
    "/{id}/jwks",
    responses={404: {"description": "No hook has this id."}},
)
async def hook_jwks(id: str, rt: RuntimeDep) -> Any:
    """The hook's Ed25519 public keys as a JWKS (RFC 8037: `kty` OKP, `crv` Ed25519), newest
    first: the current one, and during a rotation's grace period the one it replaced.
    `{"keys": []}` for a hook without `config.asymmetricSignature` ever turned on."""
    return JSON(await rt.read(lambda conn: service.public_keys(conn, id)))
