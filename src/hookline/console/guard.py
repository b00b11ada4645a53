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


async def signed_in(request: Request) -> Session:
    token = request.cookies.get(sessions.COOKIE)
    if not token:
        raise SignInRequired()
    now = now_ms()
    session = await runtime(request).read(lambda conn: sessions.find(conn, token, now))
    if session is None:
        raise SignInRequired()
    return session


async def checked_form(request: Request) -> FormData:
    """The posted form of a signed-in admin, once its CSRF token matches the session's."""
    session = await signed_in(request)
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


SessionDep = Annotated[Session, Depends(signed_in)]
FormDep = Annotated[FormData, Depends(checked_form)]
RuntimeDep = Annotated[Runtime, Depends(runtime)]
