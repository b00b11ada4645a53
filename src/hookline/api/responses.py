"""JSON responses serialised by orjson: compact, UTF-8, key order kept."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response


class JSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def created() -> Response:
    """A 201 without a body, answered as Koa does."""
    return Response("Created", status_code=201, media_type="text/plain; charset=utf-8")
