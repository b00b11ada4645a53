"""Who may see a page and send a form: a signed-in admin, and forms carrying the session's
CSRF token. Without a session a page redirects to the sign-in page; a form without its
token is refused with 403."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData

from hookline.console import sessions
from hookline.console.sessions import Session
from hookline.ids import now_ms
from hookline.runtime import Runtime

PREFIX = "/console"


class SignInRequired(Exception):
    """No valid session: answered with a redirect to the sign-in page."""


class FormRefused(Exception):
    """A form without the right CSRF token: answered 403."""


def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


async def current_session(request: Request) -> Session | None:
    token = request.cookies.get(sessions.COOKIE)
    if not token:
        return None
    now = now_ms()
    return await runtime(request).read(lambda conn: sessions.find(conn, token, now))


async def signed_in(request: Request) -> Session:
    session = await current_session(request)
    if session is None:
        raise SignInRequired()
    return session


SessionDep = Annotated[Session, Depends(signed_in)]


async def checked_form(request: Request, session: SessionDep) -> FormData:
    """The posted form of a signed-in admin, once its CSRF token matches the session's."""
    form = await request.form()
    if not same_token(form.get("csrf"), session.csrf_token):
        raise FormRefused()
    return form


def same_token(given: object, expected: str | None) -> bool:
    return (
        isinstance(given, str)
        and expected is not None
        and secrets.compare_digest(given.encode(), expected.encode())
    )


FormDep = Annotated[FormData, Depends(checked_form)]
RuntimeDep = Annotated[Runtime, Depends(runtime)]
