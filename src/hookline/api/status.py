"""`GET /api/status`: liveness, without a token."""

from __future__ import annotations

from fastapi import APIRouter, Response

router = APIRouter(tags=["Status"])


@router.get("/status", status_code=204)
async def status() -> Response:
    """The service is up."""
    return Response(status_code=204)
