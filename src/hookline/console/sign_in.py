"""Signing in and out. Five wrong passwords in a row lock the account for fifteen minutes
(auth.admins), and each client IP has a budget of attempts per minute (the password gate's);
an unknown name or a locked account costs the same time as a wrong password (a decoy hash)
and is answered the same."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Request
from sqlalchemy import Connection
from starlette.responses import RedirectResponse, Response

from hookline.auth import admins
from hookline.console import sessions
from hookline.console.guard import PREFIX, FormDep, RuntimeDep, current_session, same_token
from hookline.console.pages import render
from hookline.errors import ApiError
from hookline.ids import now_ms

router = APIRouter()
_SIGN_IN_COOKIE_SECONDS = 3600
# One answer for a wrong name, a wrong password and a locked account, so that neither the
# names of the admins nor which guess was right can be told from it.
_REFUSED = (
    "Wrong username or password. After five failed sign-ins in a row an account is locked "
    "for 15 minutes."
)
_TOO_MANY = "Too many sign-in attempts. Please try again later."


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
    try:
        rt.passwords.spend(request.client.host if request.client else None)
        # The attempt is spent before the password is checked (see admins.reserve_attempt).
        password_hash = await rt.committer.run(
            lambda conn: admins.reserve_attempt(conn, username, now)
        )
        # With no such admin, or a locked one, a decoy hash is verified: it takes as long,
        # and the answer is a wrong password's, whatever the password.
        matched = await rt.passwords.verify(password_hash, password)
    except ApiError as refused:  # no attempts left for this address, or no free hashing slot
        return _form(request, username, _TOO_MANY, 429, refused.headers)
    if password_hash is None or not matched:
        return _form(request, username, _REFUSED, 401)
    token = sessions.new_token()

    def open_session(conn: Connection) -> None:
        admins.record_success(conn, username)
        sessions.start(conn, token, username, now)

    await rt.committer.run(open_session)
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


def _form(
    request: Request,
    username: str = "",
    error: str = "",
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    token = request.cookies.get(sessions.SIGN_IN_COOKIE) or sessions.new_token()
    response = render("sign_in.html", status, csrf=token, username=username, error=error)
    response.headers.update(headers or {})
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
