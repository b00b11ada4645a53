"""`GET /api/status`: without a token, whether the service is up and can deliver."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from hookline.errors import ApiError

router = APIRouter(tags=["Status"])


@router.get("/status", status_code=204)
async def status(request: Request) -> Response:
    """The service is up, and its dispatcher (or each of its dispatcher processes) has
    listened for new events once: a webhook of an event accepted from now on is sent at once,
    or, while a dead process is being replaced, as soon as its replacement starts."""
    if not request.app.state.delivering():
        raise ApiError(
            503,
            "dispatcher.not_ready",
            "The dispatcher processes are starting; try again.",
            headers={"retry-after": "1"},
        )
    return Response(status_code=204)
