"""The Experience API's identifiers, `{type, value}` with a type of `username`, `email` or
`phone`: their forms, the users they find, the user fields they fill."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from hookline.db.tables import users
from hookline.errors import ApiError
from hookline.identity.identifiers import (
    EMAIL_RE,
    MAX_LENGTH,
    PHONE_RE,
    PROFILE_FIELDS,
    USERNAME_RE,
)
from hookline.identity.users import IN_USE, UserRow

_FORMATS = {"username": USERNAME_RE, "email": EMAIL_RE, "phone": PHONE_RE}
_KIND = {field: kind for kind, field in PROFILE_FIELDS.items()}


def well_formed(kind: str, value: str) -> bool:
    """`value` is a `kind` identifier that fits the user columns."""
    return len(value) <= MAX_LENGTH and _FORMATS[kind].fullmatch(value) is not None


def find_user(conn: Connection, identifier: dict[str, str]) -> UserRow | None:
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
