"""Who asked for a change, and how: the request half of a data event. Pure: no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_PARAM = re.compile(r":(\w+)")


@dataclass(frozen=True)
class Context:
    """The fields Logto puts beside `data`: a change made over the Management API carries
    its request's; one made from Python names the route it stands for (`for_route`), so
    that its events are the same as over HTTP."""

    path: str
    method: str
    status: int
    matched_route: str
    params: dict[str, str] = field(default_factory=dict)
    ip: str | None = None
    user_agent: str | None = None

    @classmethod
    def for_route(cls, route: str, status: int, **params: str) -> Context:
        """`Context.for_route("PATCH /users/:userId", 200, userId="u1")`."""
        method, matched_route = route.split(" ", 1)
        path = _PARAM.sub(lambda m: params[m.group(1)], matched_route)
        return cls(path, method, status, matched_route, dict(params))

    def fields(self) -> dict[str, Any]:
        """In Logto's order; `userAgent` only when the client sent one."""
        head: dict[str, Any] = {} if self.user_agent is None else {"userAgent": self.user_agent}
        return head | {"ip": self.ip}

    def route_fields(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "method": self.method,
            "status": self.status,
            "params": self.params,
            "matchedRoute": self.matched_route,
        }
