"""JSON request bodies, read as Logto reads them (JavaScript's `JSON.parse`, then PostgreSQL).

Python's `json` accepts what neither does: `NaN` and `Infinity` and lone surrogates
(`"\\ud800"`, which no UTF-8 column, and no JSON answer, can hold); and it fails with a
RecursionError, not a parse error, on deeply nested arrays. Both databases must also refuse
the same values, and only PostgreSQL refuses a NUL character. So every body is parsed by
orjson (which refuses all of these, and nests at most 1024 levels) and refused if a string in
it holds a NUL: answered 400 `guard.invalid_input`, before any route sees it. Integers wider
than 64 bits become floats, as in JavaScript; the fields that take integers bound them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any, ClassVar

import orjson
from fastapi import Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, model_validator

_ESCAPED_NUL = b"\\u0000"


def parse_json(raw: bytes) -> Any:
    """The body's value; raises `json.JSONDecodeError` for a body Logto would refuse."""
    value = orjson.loads(raw)
    # A NUL can only be written `\u0000` in JSON text: without one, no walk is needed.
    if _ESCAPED_NUL in raw and _holds_nul(value):
        text = raw.decode("utf-8", "replace")
        raise json.JSONDecodeError("a string holds a NUL character", text, text.find("\\u0000"))
    return value


def _holds_nul(value: Any) -> bool:
    # Iterative: a body may nest deeper than Python's recursion limit.
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class _JSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = parse_json(await self.body())
        return self._json


class JSONRoute(APIRoute):
    """A route whose JSON body is read by `parse_json`; FastAPI answers its parse errors as
    any invalid body (see hookline.api.errors)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            return await handler(_JSONRequest(request.scope, request.receive))

        return handle


# JavaScript's exact integers, the largest number a Logto client can send as such.
MAX_SAFE_INT = 2**53 - 1


class Body(BaseModel):
    """A request body: unknown keys dropped (as zod does); `null` only where Logto allows it."""

    model_config = ConfigDict(extra="ignore")
    NULLABLE: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key, value in data.items():
                if value is None and key in cls.model_fields and key not in cls.NULLABLE:
                    raise ValueError(f"{key} must not be null")
        return data

    def changes(self, columns: dict[str, str]) -> dict[str, Any]:
        """The fields the caller sent, keyed by their column names."""
        sent = self.model_dump(exclude_unset=True)
        return {columns[key]: value for key, value in sent.items() if key in columns}
