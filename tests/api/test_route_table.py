"""Every entry of Logto's route → event table is a route hookline serves and documents."""

from __future__ import annotations

import re

from hookline.app import create_app
from hookline.config import Settings
from hookline.events.catalog import MANAGEMENT_API_EVENTS

PARAM = re.compile(r"\{(\w+)\}")


def koa(path: str) -> str:
    return PARAM.sub(r":\1", path.removeprefix("/api"))


def test_every_table_route_exists() -> None:
    app = create_app(Settings(database_url="sqlite:////nonexistent/never-opened.db"))
    # The OpenAPI document lists every served route, included routers' too.
    served = {
        f"{method.upper()} {koa(path)}"
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }
    missing = sorted(set(MANAGEMENT_API_EVENTS) - served)
    assert missing == []
