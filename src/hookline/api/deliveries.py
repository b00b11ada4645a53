"""`/api/deliveries` and `/api/hooks/:id/deliveries`: what was sent, and sending it again."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Annotated, Any, Literal, Self

from fastapi import APIRouter, Depends, Request
from pydantic import Field, StrictInt, model_validator
from sqlalchemy import Connection

from hookline.api.bodies import Body, JSONRoute
from hookline.api.deps import RuntimeDep, query_int
from hookline.api.paging import Paged, paged
from hookline.api.responses import JSON
from hookline.errors import ApiError, invalid_query, not_exists_with_id
from hookline.hooks import service
from hookline.hooks.validation import MAX_EPOCH_MS
from hookline.outbox.deliveries import DeliveryFilter, list_deliveries, recover, replay

router = APIRouter(tags=["Deliveries"], route_class=JSONRoute)

Status = Literal["pending", "succeeded", "failed", "cancelled"]
EpochMs = Annotated[StrictInt, Field(ge=-MAX_EPOCH_MS, le=MAX_EPOCH_MS)]


class RecoverBody(Body):
    since: EpochMs
    until: EpochMs | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.until is not None and self.since > self.until:
            raise ValueError("since must not be after until")
        return self


def _filter(
    status: Status | None = None,
    event: str | None = None,
    start_time: str | None = None,
    end_time: str | None = None,
) -> DeliveryFilter:
    """The query's filters; `start_time`/`end_time` bound the deliveries' creation."""
    return DeliveryFilter(None, status, event, *_window(start_time, end_time))


Filtered = Annotated[DeliveryFilter, Depends(_filter)]


@router.get("/deliveries")
async def list_all(request: Request, rt: RuntimeDep, page: Paged, where: Filtered) -> Any:
    """Deliveries of every hook, newest first."""
    items, total = await rt.read(lambda conn: list_deliveries(conn, where, *page))
    return paged(request, items, total, page)


@router.get("/hooks/{id}/deliveries")
async def list_of_hook(
    id: str, request: Request, rt: RuntimeDep, page: Paged, where: Filtered
) -> Any:
    """Deliveries of a hook, newest first; filtered as `GET /api/deliveries`."""
    of_hook = replace(where, hook_id=id)

    def listed(conn: Connection) -> tuple[list[dict[str, Any]], int]:
        service.get_hook(conn, id)  # a 404 for an unknown hook, as its other routes answer
        return list_deliveries(conn, of_hook, *page)

    items, total = await rt.read(listed)
    return paged(request, items, total, page)


@router.post("/hooks/{id}/deliveries/{deliveryId}/replay", status_code=202)
async def replay_delivery(id: str, deliveryId: str, rt: RuntimeDep) -> Any:
    """Send a finished delivery again now, under the same id (the same `webhook-id`)."""

    def write(conn: Connection) -> None:
        service.get_hook(conn, id)
        made_due = replay(conn, id, deliveryId, time.time())
        if made_due is None:
            raise not_exists_with_id("delivery", deliveryId)
        if not made_due:
            raise ApiError(
                409,
                "delivery.pending",
                "The delivery is still pending: it will be sent without a replay.",
            )

    await rt.committer.run(write)
    return JSON({"id": deliveryId}, status_code=202)


@router.post("/hooks/{id}/recover", status_code=202)
async def recover_hook(id: str, body: RecoverBody, rt: RuntimeDep) -> Any:
    """Send again now every failed delivery of the hook created from `since` to `until`
    (Unix ms, inclusive; no `until`: up to now)."""

    def write(conn: Connection) -> int:
        service.get_hook(conn, id)
        return recover(conn, id, body.since, body.until, time.time())

    return JSON({"count": await rt.committer.run(write)}, status_code=202)


def _window(start_time: str | None, end_time: str | None) -> tuple[int | None, int | None]:
    start, end = _epoch_ms(start_time), _epoch_ms(end_time)
    if start is not None and end is not None and start > end:
        raise ApiError(
            400, "delivery.invalid_time_window", "The start time must not be after the end time."
        )
    return start, end


def _epoch_ms(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        number = query_int(value)
    except ValueError:
        number = None
    if number is None or abs(number) > MAX_EPOCH_MS:
        raise invalid_query("start_time and end_time must be Unix times in milliseconds")
    return number
