"""Header lookup by lowercase name, whatever the framework's headers object."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol


class Headers(Protocol):
    """A plain dict, or a framework's headers (Starlette, Flask, Django, aiohttp)."""

    def get(self, key: str, /) -> str | None: ...

    def items(self) -> Iterable[tuple[str, str]]: ...


def header(headers: Headers, name: str) -> str | None:
    """`name` is lowercase. Frameworks' headers find any case themselves; a plain dict keeps
    its keys as they were written, so those are compared case-insensitively."""
    value = headers.get(name)
    if value is not None:
        return value
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None
