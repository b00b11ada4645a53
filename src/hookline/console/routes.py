"""The console mounted on the application: its pages under `/console`, its stylesheet and
script under `/console/static`, and the answers to a missing session or CSRF token."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from starlette.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from hookline.console import logs, sign_in, webhooks
from hookline.console.guard import PREFIX, FormRefused, SessionDep, SignInRequired
from hookline.console.pages import render


def mount(app: FastAPI) -> None:
    # Not in the OpenAPI document: the console is pages, not API.
    console = APIRouter(prefix=PREFIX, include_in_schema=False)
    console.add_api_route("", _home, methods=["GET"])
    console.add_api_route("/", _home, methods=["GET"])
    for pages in (sign_in, webhooks, logs):
        console.include_router(pages.router)
    app.include_router(console)
    app.mount(
        f"{PREFIX}/static",
        StaticFiles(packages=[("hookline.console", "static")]),
        name="console-static",
    )
    app.add_exception_handler(SignInRequired, _to_sign_in)
    app.add_exception_handler(FormRefused, _refused)


async def _home(session: SessionDep) -> Response:
    return RedirectResponse(f"{PREFIX}/webhooks", 303)


async def _to_sign_in(request: Request, exc: Exception) -> Response:
    return RedirectResponse(f"{PREFIX}/sign-in", 303)


async def _refused(request: Request, exc: Exception) -> Response:
    return render("refused.html", 403)
