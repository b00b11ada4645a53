"""The sign-in experience's password policy (Logto's checker without the pwned look-up and
the repetition/sequence rule)."""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

from hookline.errors import ApiError
from hookline.identity.sign_in_experience import (
    DEFAULT_CHARACTER_TYPES,
    DEFAULT_LENGTH,
    DEFAULT_REJECTS,
)

_CLASSES = (
    set(string.ascii_lowercase),
    set(string.ascii_uppercase),
    set(string.digits),
    set(string.punctuation + " "),
)


def check_password(
    settings: dict[str, Any],
    password: str,
    profile: dict[str, Any],
    user: Mapping[str, Any] | None,
) -> None:
    """422 `password.rejected` with every issue, for a password that would belong to `user`
    with the `profile` fields (API names) the interaction adds."""
    issues = _issues(settings["passwordPolicy"], password, _personal_values(profile, user))
    if issues:
        raise ApiError(
            422,
            "password.rejected",
            "Password rejected. Please check if your password meets the requirements.",
            {"issues": issues},
        )


def _issues(policy: dict[str, Any], password: str, personal: list[str]) -> list[dict[str, Any]]:
    length = {**DEFAULT_LENGTH, **policy.get("length", {})}
    types = {**DEFAULT_CHARACTER_TYPES, **policy.get("characterTypes", {})}
    rejects = {**DEFAULT_REJECTS, **policy.get("rejects", {})}
    issues: list[dict[str, Any]] = []
    if len(password) < length["min"]:
        issues.append(
            {"code": "password_rejected.too_short", "interpolation": {"min": length["min"]}}
        )
    if len(password) > length["max"]:
        issues.append(
            {"code": "password_rejected.too_long", "interpolation": {"max": length["max"]}}
        )
    if any(not any(ch in cls for cls in _CLASSES) for ch in password):
        issues.append({"code": "password_rejected.unsupported_characters"})
    used = sum(1 for cls in _CLASSES if any(ch in cls for ch in password))
    if used < types["min"]:
        issues.append(
            {"code": "password_rejected.character_types", "interpolation": {"min": types["min"]}}
        )
    lowered = password.lower()
    if rejects["userInfo"] and any(
        len(value) >= 3 and value.lower() in lowered for value in personal
    ):
        issues.append({"code": "password_rejected.restricted.user_info"})
    bad_words = [w for w in rejects["words"] if w.lower() in lowered]
    if bad_words:
        issues.append(
            {
                "code": "password_rejected.restricted.words",
                "interpolation": {"words": "\n".join(bad_words), "count": len(bad_words)},
            }
        )
    return issues


def _personal_values(profile: dict[str, Any], user: Mapping[str, Any] | None) -> list[str]:
    """What a password must not contain: the username, name, phone and the email's local
    part, the profile's before the user's."""
    user = user or {}
    email = profile.get("primaryEmail") or user.get("primary_email")
    values = [
        profile.get("username") or user.get("username"),
        user.get("name"),
        profile.get("primaryPhone") or user.get("primary_phone"),
        email.split("@")[0] if email else None,
    ]
    return [v for v in values if v]
