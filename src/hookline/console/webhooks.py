"""The webhooks pages: the list, creation, and a hook's settings, key, test and state."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter
from sqlalchemy import Connection
from starlette.responses import JSONResponse, RedirectResponse, Response

from hookline.attempts.timeline import Hour, last_day, last_days
from hookline.console import chart
from hookline.console.events import grouped
from hookline.console.forms import FormErrors, HookForm
from hookline.console.guard import PREFIX, FormDep, RuntimeDep, SessionDep
from hookline.console.pages import render
from hookline.console.sessions import Session
from hookline.errors import ApiError
from hookline.hooks import service
from hookline.hooks.testing import dry_run, send_test
from hookline.hooks.validation import HookCreate, HookTest, HookUpdate
from hookline.ids import now_ms
from hookline.runtime import Runtime

router = APIRouter()

# What a redirect after a change says on the page it lands on: fixed texts, chosen by a
# short code, so that a link cannot put words of its own on the page.
NOTICES = {
    "created": "The webhook has been created.",
    "saved": "Saved.",
    "key-regenerated": "Signing key has been regenerated.",
    "disabled": "The webhook has been disabled.",
    "enabled": "The webhook has been reactivated.",
    "deleted": "The webhook has been deleted.",
    "replayed": "The delivery will be sent again now, under the same webhook-id.",
    "pending": "The delivery is still pending: it will be sent without a replay.",
    "recovered": "The failed deliveries of the time range will be sent again now.",
}


def hook_url(hook_id: str, tail: str = "") -> str:
    return f"{PREFIX}/webhooks/{hook_id}{tail}"


@router.get("/webhooks")
async def webhooks(session: SessionDep, rt: RuntimeDep, done: str = "") -> Response:
    now = now_ms()

    def listed(conn: Connection) -> tuple[list[dict[str, Any]], dict[str, list[Hour]]]:
        hooks, _ = service.list_hooks(conn, True)
        return hooks, last_days(conn, [hook["id"] for hook in hooks], now)

    hooks, days = await rt.read(listed)
    return render(
        "webhooks.html",
        session=session,
        hooks=hooks,
        sparks={hook_id: chart.sparkline(hours) for hook_id, hours in days.items()},
        notice=NOTICES.get(done),
        nav="webhooks",
    )


@router.get("/webhooks/create")
async def create_page(session: SessionDep) -> Response:
    return _create_form(session, HookForm())


@router.post("/webhooks/create")
async def create(form: FormDep, session: SessionDep, rt: RuntimeDep) -> Response:
    posted = HookForm.posted(form)
    try:
        body = posted.body(HookCreate)
    except FormErrors as errors:
        return _create_form(session, posted, errors.messages, 400)
    hook = await rt.committer.run(lambda conn: service.create_hook(conn, body))
    return RedirectResponse(hook_url(hook["id"], "?done=created"), 303)


def _create_form(
    session: Session, form: HookForm, errors: list[str] | None = None, status: int = 200
) -> Response:
    return render(
        "create.html",
        status,
        session=session,
        form=form,
        groups=grouped(),
        errors=errors or [],
        nav="webhooks",
    )


@router.get("/webhooks/{hook_id}")
async def hook_page(hook_id: str, session: SessionDep, rt: RuntimeDep, done: str = "") -> Response:
    hook = await find_hook(rt, hook_id)
    if hook is None:
        return _missing(session)
    return await _settings(rt, session, hook, HookForm.of_hook(hook), notice=NOTICES.get(done))


@router.post("/webhooks/{hook_id}")
async def save(hook_id: str, form: FormDep, session: SessionDep, rt: RuntimeDep) -> Response:
    hook = await find_hook(rt, hook_id)
    if hook is None:
        return _missing(session)
    posted = HookForm.posted(form, HookForm.of_hook(hook).rest)
    try:
        body = posted.body(HookUpdate)
    except FormErrors as errors:
        return await _settings(rt, session, hook, posted, errors=errors.messages, status=400)
    await rt.committer.run(lambda conn: service.update_hook(conn, hook_id, body))
    return RedirectResponse(hook_url(hook_id, "?done=saved"), 303)


@router.post("/webhooks/{hook_id}/test")
async def test(hook_id: str, form: FormDep, session: SessionDep, rt: RuntimeDep) -> Response:
    """Sends the events and config of the form as it is, saved or not, as Logto's console."""
    hook = await find_hook(rt, hook_id)
    if hook is None:
        return _missing(session)
    posted = HookForm.posted(form, HookForm.of_hook(hook).rest)
    try:
        body = posted.body(HookTest, named=False)
    except FormErrors as errors:
        return await _settings(rt, session, hook, posted, errors=errors.messages, status=400)
    keys = await rt.read(lambda conn: service.stored_signing_keys(conn, hook_id))
    started = time.monotonic()
    result: dict[str, Any] = {"url": body.config.url, "ok": True}
    try:
        if body.config.mode == "sync":
            # A dry run, as the Management API's test: what each gate's call decided.
            result["decisions"] = await dry_run(
                rt.transport, hook_id, keys, body, rt.settings.user_agent
            )
        else:
            await send_test(rt.transport, hook_id, keys, body, rt.settings.user_agent)
    except ApiError as error:
        result.update(ok=False, message=error.message, **(error.data or {}))
    result["ms"] = round((time.monotonic() - started) * 1000)
    return await _settings(rt, session, hook, posted, test_result=result)


@router.post("/webhooks/{hook_id}/enabled")
async def set_enabled(hook_id: str, form: FormDep, session: SessionDep, rt: RuntimeDep) -> Response:
    enabled = form.get("enabled") == "true"
    body = HookUpdate(enabled=enabled)
    try:
        await rt.committer.run(lambda conn: service.update_hook(conn, hook_id, body))
    except ApiError:
        return _missing(session)
    return RedirectResponse(hook_url(hook_id, f"?done={'enabled' if enabled else 'disabled'}"), 303)


@router.post("/webhooks/{hook_id}/signing-key")
async def signing_key(hook_id: str, form: FormDep, session: SessionDep, rt: RuntimeDep) -> Response:
    """The key, for the page's Show and Copy: not in the page itself, and asked for with the
    session's CSRF token, so that no other site can have a signed-in admin's browser read it."""
    hook = await find_hook(rt, hook_id)
    if hook is None:
        return _missing(session)
    return JSONResponse(
        {"signingKey": hook["signingKey"]},
        headers={"cache-control": "no-store", "x-content-type-options": "nosniff"},
    )


@router.get("/webhooks/{hook_id}/regenerate-key")
async def regenerate_page(hook_id: str, session: SessionDep, rt: RuntimeDep) -> Response:
    hook = await find_hook(rt, hook_id)
    if hook is None:
        return _missing(session)
    hours = rt.settings.key_grace / 3600
    return render("regenerate.html", session=session, hook=hook, grace_hours=f"{hours:g}")


@router.post("/webhooks/{hook_id}/regenerate-key")
async def regenerate(hook_id: str, form: FormDep, session: SessionDep, rt: RuntimeDep) -> Response:
    # The replaced key goes on signing for the server's grace period, unless asked not to.
    grace = 0.0 if form.get("grace") == "none" else rt.settings.key_grace
    try:
        await rt.committer.run(lambda conn: service.rotate_signing_key(conn, hook_id, grace))
    except ApiError:
        return _missing(session)
    return RedirectResponse(hook_url(hook_id, "?done=key-regenerated"), 303)


@router.get("/webhooks/{hook_id}/delete")
async def delete_page(hook_id: str, session: SessionDep, rt: RuntimeDep) -> Response:
    hook = await find_hook(rt, hook_id)
    if hook is None:
        return _missing(session)
    return render("delete.html", session=session, hook=hook)


@router.post("/webhooks/{hook_id}/delete")
async def delete(hook_id: str, form: FormDep, rt: RuntimeDep) -> Response:
    def deleted(conn: Connection) -> None:
        try:
            service.delete_hook(conn, hook_id)
        except ApiError:
            pass  # deleted meanwhile: what was asked is done

    await rt.committer.run(deleted)
    return RedirectResponse(f"{PREFIX}/webhooks?done=deleted", 303)


async def find_hook(rt: Runtime, hook_id: str) -> dict[str, Any] | None:
    def found(conn: Connection) -> dict[str, Any] | None:
        try:
            return service.get_hook(conn, hook_id, with_stats=True)
        except ApiError:
            return None

    return await rt.read(found)


def _missing(session: Session) -> Response:
    return render("missing.html", 404, session=session)


async def _settings(
    rt: Runtime,
    session: Session,
    hook: dict[str, Any],
    form: HookForm,
    *,
    notice: str | None = None,
    errors: list[str] | None = None,
    test_result: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    now = now_ms()
    hours = await rt.read(lambda conn: last_day(conn, hook["id"], now))
    return render(
        "webhook.html",
        status,
        session=session,
        hook=hook,
        form=form,
        groups=grouped(),
        chart=chart.day_chart(hours),
        totals={
            "succeeded": sum(h.successes for h in hours),
            "failed": sum(h.failures for h in hours),
        },
        notice=notice,
        errors=errors or [],
        test_result=test_result,
        tab="settings",
        nav="webhooks",
    )
