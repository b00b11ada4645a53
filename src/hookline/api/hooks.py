"""`/api/hooks`: Logto's hooks Management API."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from hookline.api.bodies import JSONRoute
from hookline.api.deps import RuntimeDep, query_int, truthy
from hookline.api.paging import MaybePaged, Paged, paged
from hookline.api.responses import JSON
from hookline.attempts.logs import recent_logs
from hookline.errors import ApiError, invalid_query
from hookline.hooks import service
from hookline.hooks.testing import dry_run, send_test
from hookline.hooks.validation import (
    MAX_EPOCH_MS,
    HookCreate,
    HookTest,
    HookUpdate,
    KeyRotation,
)

router = APIRouter(prefix="/hooks", tags=["Hooks"], route_class=JSONRoute)


@router.get("")
async def list_hooks(
    request: Request,
    rt: RuntimeDep,
    page: MaybePaged,
    includeExecutionStats: str | None = None,
) -> Any:
    """List hooks, newest first; paginated only when `page` or `page_size` is given."""
    items, total = await rt.read(
        lambda conn: service.list_hooks(conn, truthy(includeExecutionStats), page)
    )
    return paged(request, items, total, page)


@router.post("", status_code=201)
async def create_hook(body: HookCreate, rt: RuntimeDep) -> Any:
    """Create a hook; its signing key is generated here."""
    return JSON(
        await rt.committer.run(lambda conn: service.create_hook(conn, body)), status_code=201
    )


@router.get("/{id}")
async def get_hook(id: str, rt: RuntimeDep, includeExecutionStats: str | None = None) -> Any:
    """Get a hook; any non-empty `includeExecutionStats` adds its 24 h counts, as in Logto."""
    return JSON(await rt.read(lambda conn: service.get_hook(conn, id, bool(includeExecutionStats))))


@router.patch("/{id}")
async def update_hook(id: str, body: HookUpdate, rt: RuntimeDep) -> Any:
    """Update a hook; a given `config` replaces the stored one whole."""
    return JSON(await rt.committer.run(lambda conn: service.update_hook(conn, id, body)))


@router.delete("/{id}", status_code=204)
async def delete_hook(id: str, rt: RuntimeDep) -> Response:
    """Delete a hook; its logs stay."""
    await rt.committer.run(lambda conn: service.delete_hook(conn, id))
    return Response(status_code=204)


@router.post(
    "/{id}/test",
    status_code=204,
    responses={200: {"description": "A synchronous hook's dry run: each event's decision."}},
)
async def test_hook(id: str, body: HookTest, rt: RuntimeDep) -> Response:
    """Send test payloads to the URL and headers given, signed with the stored keys. A
    synchronous hook's (`config.mode: "sync"`) is a dry run, answered 200 with what its
    receiver decided for each event's sample context: `[{event, decision, attempts,
    responseStatus, durationMs}]`."""
    keys = await rt.read(lambda conn: service.stored_signing_keys(conn, id))
    if body.config.mode == "sync":
        return JSON(await dry_run(rt.transport, id, keys, body, rt.settings.user_agent))
    await send_test(rt.transport, id, keys, body, rt.settings.user_agent)
    return Response(status_code=204)


@router.patch("/{id}/signing-key")
async def rotate_signing_key(id: str, rt: RuntimeDep, body: KeyRotation | None = None) -> Any:
    """Replace the signing key; every later request is signed with the new one, and with the
    replaced one too for `graceSeconds` (default `HOOKLINE_KEY_GRACE`). Logto's client sends
    no body."""
    grace = rt.settings.key_grace
    if body is not None and body.graceSeconds is not None:
        grace = body.graceSeconds
    return JSON(await rt.committer.run(lambda conn: service.rotate_signing_key(conn, id, grace)))


@router.get("/{id}/recent-logs")
async def hook_recent_logs(
    id: str,
    request: Request,
    rt: RuntimeDep,
    page: Paged,
    logKey: str | None = None,
    start_time: str | None = None,
    end_time: str | None = None,
) -> Any:
    """Delivery attempts of a hook, newest first (default window: the last 24 hours)."""
    start, end = _epoch_ms(start_time), _epoch_ms(end_time)
    if start is not None and end is not None and start > end:
        raise ApiError(
            400, "log.invalid_time_window", "The start time must not be after the end time."
        )
    entries, total = await rt.read(lambda conn: recent_logs(conn, id, *page, logKey, start, end))
    return paged(request, entries, total, page)


def _epoch_ms(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        number = query_int(value)
        if abs(number) > MAX_EPOCH_MS:
            raise ValueError(value)
        return number
    except ValueError as exc:
        raise invalid_query("start_time and end_time must be Unix times in milliseconds") from exc
