"""What an event is about: its subject, by which hooks may receive events in order. Pure.

A subject is `<kind>:<id>`: `user:<id>` for `User.*`, `TrustedDevice.*` and the interaction
events, `organization:<id>` for `Organization.*` (memberships included), `role:<id>`,
`scope:<id>`, `organizationRole:<id>` and `organizationScope:<id>` for theirs. The id is read
from the body as Logto shapes it: `data.id` where `data` is the object itself, else the route's
`params` (a deletion has no `data`), else the payload's own key. Other events (`Identifier.*`,
`Message.*`, `Grant.*`, hookline's own) have none, and so has an event whose body holds no id.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from hookline.events.catalog import is_interaction

# Where each family keeps the id of what it is about, tried in turn: ("data", "id") is
# payload["data"]["id"].
_USER: tuple[tuple[str, ...], ...] = (
    ("data", "id"),
    ("params", "userId"),
    ("userId",),
    ("user", "id"),
)
_RULES: dict[str, tuple[str, tuple[tuple[str, ...], ...]]] = {
    "User": ("user", _USER),
    "TrustedDevice": ("user", (("data", "userId"), ("params", "userId"), ("userId",))),
    "Organization": ("organization", (("data", "id"), ("params", "id"), ("organizationId",))),
    "Role": ("role", (("data", "id"), ("params", "id"))),
    "Scope": ("scope", (("data", "id"), ("params", "scopeId"))),
    "OrganizationRole": ("organizationRole", (("data", "id"), ("params", "id"))),
    "OrganizationScope": ("organizationScope", (("data", "id"), ("params", "id"))),
}

# Ids travel in an HTTP header (`hookline-subject`): printable ASCII without spaces only.
_ID = re.compile(r"[!-~]{1,200}")


def subject_of(event: str, payload: Mapping[str, Any]) -> str | None:
    """The subject of `event` with this payload (the body's keys), or None."""
    if is_interaction(event):
        kind, paths = "user", _USER
    else:
        rule = _RULES.get(event.partition(".")[0])
        if rule is None:
            return None
        kind, paths = rule
    for path in paths:
        value = _lookup(payload, path)
        if isinstance(value, str) and _ID.fullmatch(value):
            return f"{kind}:{value}"
    return None


def _lookup(payload: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = payload
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value
