"""The events, grouped as Logto's console groups them, with hookline's own after them."""

from __future__ import annotations

from hookline.events.catalog import (
    DENIED_EVENT,
    EVENTS,
    EXCEPTION_EVENTS,
    INTERACTION_EVENTS,
    PRE_EVENTS,
)

# By the schema before the event's first dot; Logto's console calls scopes permissions.
_BY_SCHEMA = {
    "User": "User",
    "TrustedDevice": "Trusted device",
    "Organization": "Organization",
    "Role": "Role",
    "OrganizationRole": "Organization role",
    "Scope": "Permission",
    "OrganizationScope": "Organization permission",
    "Hook": "hookline",
}
# hookline's blocking moments of the sign-in flows, and the news of a refusal at one of them.
GATES = "Sign-in flow gates"
_ORDER = (
    "User",
    "Trusted device",
    "Organization",
    "Role",
    "Organization role",
    "Permission",
    "Organization permission",
    "User interaction",
    "Security",
    GATES,
    "hookline",
    "Other",
)


def group_of(event: str) -> str:
    if event in INTERACTION_EVENTS:
        return "User interaction"
    if event in PRE_EVENTS or event == DENIED_EVENT:
        return GATES
    if event in EXCEPTION_EVENTS:
        return "Security"
    return _BY_SCHEMA.get(event.split(".", 1)[0], "Other")


def grouped() -> list[tuple[str, list[str]]]:
    """Every event a hook can subscribe to, in groups, each in the catalogue's order."""
    groups: dict[str, list[str]] = {name: [] for name in _ORDER}
    for event in EVENTS:
        groups[group_of(event)].append(event)
    return [(name, events) for name, events in groups.items() if events]
