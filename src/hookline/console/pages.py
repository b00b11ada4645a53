"""Rendering: the Jinja2 templates shipped in the package, HTML-escaped by default."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.responses import HTMLResponse

_templates = Environment(
    loader=PackageLoader("hookline.console", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def utc(epoch_ms: int | None) -> str:
    if epoch_ms is None:
        return "-"
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def counted(number: int, noun: str) -> str:
    """`1 request`, `2 requests`, `3 deliveries`."""
    if number == 1:
        return f"1 {noun}"
    return f"{number} {noun[:-1] + 'ies' if noun.endswith('y') else noun + 's'}"


_templates.filters["utc"] = utc
_templates.filters["counted"] = counted


def render(name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    response = HTMLResponse(_templates.get_template(name).render(**context), status_code)
    # Pages hold signing keys and CSRF tokens: neither cached nor framed elsewhere.
    response.headers["cache-control"] = "no-store"
    response.headers["x-frame-options"] = "DENY"
    response.headers["content-security-policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'"
    )
    return response
