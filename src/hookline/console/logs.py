"""A hook's recent requests: filtered by event, result and time range; one entry's request,
response and error; a failed delivery sent again, or every one of a time range."""

from __future__ import annotations

import time

import orjson
from fastapi import APIRouter
from sqlalchemy import Connection
from starlette.responses import RedirectResponse, Response

from hookline.attempts.logs import log_entry, recent_logs
from hookline.console.guard import FormDep, RuntimeDep, SessionDep
from hookline.console.pages import counted, render
from hookline.console.webhooks import NOTICES, find_hook, hook_url
from hookline.errors import ApiError
from hookline.events.catalog import EVENTS
from hookline.hooks import service
from hookline.ids import now_ms
from hookline.outbox.deliveries import recover, replay

router = APIRouter()
PAGE_SIZE = 20
RANGES = {"1h": 3600_000, "24h": 86400_000, "7d": 7 * 86400_000, "30d": 30 * 86400_000}
RESULTS = {"success": "Success", "error": "Error"}


@router.get("/webhooks/{hook_id}/logs")
async def logs_page(
    hook_id: str,
    session: SessionDep,
    rt: RuntimeDep,
    event: str = "",
    status: str = "",
    range: str = "24h",
    page: int = 1,
    done: str = "",
    count: int | None = None,
) -> Response:
    hook = await find_hook(rt, hook_id)
    if hook is None:
        return render("missing.html", 404, session=session)
    # Only known values go back into the page's links and forms.
    range = range if range in RANGES else "24h"
    status = status if status in RESULTS else ""
    span = RANGES[range]
    page = max(1, page)
    key = f"TriggerHook.{event}" if event in EVENTS else None
    since = now_ms() - span
    entries, total = await rt.read(
        lambda conn: recent_logs(
            conn, hook_id, page, PAGE_SIZE, key, since, None, RESULTS.get(status)
        )
    )
    notice = NOTICES.get(done)
    if done == "recovered" and count is not None:
        notice = f"{counted(count, 'failed delivery')} of the time range sent again now."
    return render(
        "logs.html",
        session=session,
        hook=hook,
        entries=entries,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        filters={"event": event if key else "", "status": status, "range": range},
        events=EVENTS,
        ranges=list(RANGES),
        notice=notice,
        tab="logs",
        nav="webhooks",
    )


@router.get("/webhooks/{hook_id}/logs/{log_id}")
async def log_page(
    hook_id: str, log_id: str, session: SessionDep, rt: RuntimeDep, done: str = ""
) -> Response:
    hook = await find_hook(rt, hook_id)
    entry = await rt.read(lambda conn: log_entry(conn, hook_id, log_id))
    if hook is None or entry is None:
        return render("missing.html", 404, session=session)
    payload = entry["payload"]
    return render(
        "log.html",
        session=session,
        hook=hook,
        entry=entry,
        request=_pretty(payload.get("hookRequest", {}).get("body")),
        response=payload.get("response"),
        response_body=_pretty(payload.get("response", {}).get("body")),
        notice=NOTICES.get(done),
        tab="logs",
        nav="webhooks",
    )


@router.post("/webhooks/{hook_id}/logs/{log_id}/replay")
async def replay_delivery(
    hook_id: str, log_id: str, form: FormDep, session: SessionDep, rt: RuntimeDep
) -> Response:
    """Sends the delivery of this entry again, as `POST …/deliveries/:id/replay` does."""
    delivery_id = str(form.get("delivery", ""))

    def write(conn: Connection) -> bool | None:
        return replay(conn, hook_id, delivery_id, time.time())

    made_due = await rt.committer.run(write)
    if made_due is None:
        return render("missing.html", 404, session=session)
    done = "replayed" if made_due else "pending"
    return RedirectResponse(hook_url(hook_id, f"/logs/{log_id}?done={done}"), 303)


@router.post("/webhooks/{hook_id}/recover")
async def recover_range(
    hook_id: str, form: FormDep, session: SessionDep, rt: RuntimeDep
) -> Response:
    """Sends again every failed delivery created in the chosen range, as `POST …/recover`."""
    range = str(form.get("range", ""))
    range = range if range in RANGES else "24h"
    since = now_ms() - RANGES[range]

    def write(conn: Connection) -> int | None:
        try:
            service.get_hook(conn, hook_id)
        except ApiError:
            return None
        return recover(conn, hook_id, since, None, time.time())

    count = await rt.committer.run(write)
    if count is None:
        return render("missing.html", 404, session=session)
    return RedirectResponse(
        hook_url(hook_id, f"/logs?range={range}&done=recovered&count={count}"), 303
    )


def _pretty(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()
