"""Mask secrets in logged bodies the way Logto's log sanitizer does (the delivery is untouched)."""

from __future__ import annotations

from typing import Any

_MASK = "******"
_CONTAINS = ("secret", "password", "apikey", "privatekey", "credential", "cookie")
_EQUALS = ("authorization", "xfunctionskey", "token")


def _normalize(key: str) -> str:
    return "".join(ch for ch in key.lower() if ch.isalnum())


def _sensitive(key: str) -> bool:
    name = _normalize(key)
    return any(part in name for part in _CONTAINS) or name in _EQUALS or name.endswith("token")


def _dropped(name: str) -> bool:
    # Scripts, not words that merely contain "script" (a `description` is kept).
    return name.startswith("script") or name.endswith("script") or name == "environmentvariables"


def sanitize(value: Any) -> Any:
    if isinstance(value, dict):
        clean = {}
        for key, item in value.items():
            if _dropped(_normalize(key)):
                continue
            # A flag such as `hasPassword` reveals nothing; Logto logs it as is.
            masked = _sensitive(key) and not isinstance(item, bool)
            clean[key] = _MASK if masked else sanitize(item)
        return clean
    if isinstance(value, list):
        return [sanitize(item) for item in value]
    return value
