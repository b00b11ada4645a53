"""Signing in and out. Five wrong passwords in a row lock the account for fifteen minutes
(auth.admins); an unknown name costs the same time as a known one (a decoy hash)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import Connection
from starlette.responses import RedirectResponse, Response

from hookline.auth import admins
from hookline.console import sessions
from hookline.console.guard import PREFIX, FormDep, RuntimeDep, current_session, same_token
from hookline.console.pages import render
from hookline.ids import now_ms

router = APIRouter()
_SIGN_IN_COOKIE_SECONDS = 3600


@router.get("/sign-in")
async def sign_in_page(request: Request) -> Response:
    if await current_session(request) is not None:
        return RedirectResponse(f"{PREFIX}/webhooks", 303)
    return _form(request)


@router.post("/sign-in")
async def sign_in(request: Request, rt: RuntimeDep) -> Response:
    form = await request.form()
    if not same_token(form.get("csrf"), request.cookies.get(sessions.SIGN_IN_COOKIE)):
        return render("refused.html", 403)
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    now = now_ms()
    admin = await rt.read(lambda conn: admins.find_admin(conn, username))
    if admin is not None and admin.locked_at(now):
        return _form(request, username, _locked(admin.locked_until or now, now), 429)
    # With no such admin a decoy hash is verified, which takes as long.
    if not await rt.passwords.verify(None if admin is None else admin.password_hash, password):
        if admin is None:
            return _form(request, username, "Wrong username or password.", 401)
        locked = await rt.committer.run(lambda conn: admins.record_failure(conn, username, now))
        message = _locked(now + admins.LOCKOUT_MS, now) if locked else "Wrong username or password."
        return _form(request, username, message, 429 if locked else 401)
    token = sessions.new_token()

    def open_session(conn: Connection) -> int | None:
        # Locked meanwhile by guesses sent beside this one: the lock wins.
        current = admins.find_admin(conn, username)
        if current is None or current.locked_at(now):
            return current.locked_until if current else now
        admins.record_success(conn, username)
        sessions.start(conn, token, username, now)
        return None

    locked_until = await rt.committer.run(open_session)
    if locked_until is not None:
        return _form(request, username, _locked(locked_until, now), 429)
    response = RedirectResponse(f"{PREFIX}/webhooks", 303)
    response.set_cookie(
        sessions.COOKIE,
        token,
        max_age=sessions.LIFETIME_MS // 1000,
        path=PREFIX,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    response.delete_cookie(sessions.SIGN_IN_COOKIE, path=PREFIX)
    return response


@router.post("/sign-out")
async def sign_out(request: Request, rt: RuntimeDep, form: FormDep) -> Response:
    token = request.cookies.get(sessions.COOKIE, "")
    await rt.committer.run(lambda conn: sessions.end(conn, token))
    response = RedirectResponse(f"{PREFIX}/sign-in", 303)
    response.delete_cookie(sessions.COOKIE, path=PREFIX)
    return response


def _form(request: Request, username: str = "", error: str = "", status: int = 200) -> Response:
    token = request.cookies.get(sessions.SIGN_IN_COOKIE) or sessions.new_token()
    response = render("sign_in.html", status, csrf=token, username=username, error=error)
    response.set_cookie(
        sessions.SIGN_IN_COOKIE,
        token,
        max_age=_SIGN_IN_COOKIE_SECONDS,
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


def _locked(until: int, now: int) -> str:
    minutes = max(1, -(-(until - now) // 60000))
    return f"Too many failed sign-ins: this account is locked for {minutes} more minute(s)."
