"""Sign-in identifiers (username, email, phone): their formats and the users they find."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, func, select

from hookline.db.tables import users
from hookline.errors import ApiError
from hookline.identity.users import IN_USE

# Logto's expressions with JavaScript's ASCII-only `\w` and `\d` spelled out; a username has
# at most 128 characters, the width of the column it is stored in at submit.
USERNAME = re.compile(r"^[A-Z_a-z][0-9A-Z_a-z]{0,127}$")
EMAIL = re.compile(r"^\S+@\S+\.\S+$")
PHONE = re.compile(r"^[0-9]+$")
FORMATS = {"username": USERNAME, "email": EMAIL, "phone": PHONE}
PROFILE_FIELDS = {"username": "username", "email": "primaryEmail", "phone": "primaryPhone"}
_KIND = {field: kind for kind, field in PROFILE_FIELDS.items()}


def find_user(conn: Connection, identifier: dict[str, str]) -> Mapping[str, Any] | None:
    """The user `identifier` (`{type, value}`) names: an email in any case."""
    kind, value = identifier["type"], identifier["value"]
    if kind == "username":
        condition = users.c.username == value
    elif kind == "email":
        condition = func.lower(users.c.primary_email) == value.lower()
    else:
        condition = users.c.primary_phone == value
    return conn.execute(select(users).where(condition).limit(1)).mappings().first()


def check_free(conn: Connection, field: str, value: str, own_id: str | None = None) -> None:
    """422 when another user already holds this username, email or phone."""
    holder = find_user(conn, {"type": _KIND[field], "value": value})
    if holder is not None and holder["id"] != own_id:
        raise ApiError(422, *IN_USE[field])


def user_info(profile: dict[str, Any], user: Mapping[str, Any] | None) -> dict[str, Any]:
    """The personal values a password must not contain."""
    user = user or {}
    return {
        "username": profile.get("username") or user.get("username"),
        "email": profile.get("primaryEmail") or user.get("primary_email"),
        "phoneNumber": profile.get("primaryPhone") or user.get("primary_phone"),
        "name": user.get("name"),
    }
