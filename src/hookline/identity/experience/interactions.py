"""The interaction: one sign-in, registration or password reset in progress.

An interaction is a row of `interactions`; its `state` holds `userId` (once identified),
`identified` (Register: the new user's profile was accepted), `profile` (API field names;
a new password only as its hash, `passwordHash`) and `verifications` (records with an `id`,
a `type`, the `identifier` and `verified`).

The client holds the interaction by the `_interaction` cookie: a random secret, of which the
row keeps only the SHA-256 (`secret_hash`). The id is public (webhook payloads send it as
`sessionId`), so it never opens the interaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, insert, select, update

from hookline.db.tables import applications, interactions
from hookline.errors import not_exists_with_id
from hookline.identity import sign_in_experience as sie
from hookline.identity.experience import errors
from hookline.identity.users import get_user
from hookline.ids import cookie_token, now_ms, random_id, token_hash

INTERACTION_TTL_MS = 3_600_000


@dataclass
class Interaction:
    id: str
    event: str
    application_id: str | None
    state: dict[str, Any]

    def record(self, verification_id: str | None) -> dict[str, Any]:
        for record in self.state["verifications"]:
            if record["id"] == verification_id:
                return record
        raise errors.verification_not_found()

    def add_record(self, record: dict[str, Any]) -> None:
        # One record per type, as Logto: a new one replaces the old.
        kept = [r for r in self.state["verifications"] if r["type"] != record["type"]]
        self.state["verifications"] = [*kept, record]


@dataclass(frozen=True)
class Client:
    """Who is signing in, as the webhook payloads name them."""

    user_agent: str | None
    ip: str | None


def start(conn: Connection, event: str, application_id: str | None) -> tuple[Interaction, str]:
    """`PUT /experience`: a new interaction, for `application_id` if given, and the secret
    its cookie carries."""
    _guard_event(sie.get_sign_in_experience(conn), event)
    if application_id is not None:
        _require_application(conn, application_id)
    now = now_ms()
    secret = cookie_token()
    interaction = Interaction(
        random_id(21), event, application_id, {"profile": {}, "verifications": []}
    )
    conn.execute(
        insert(interactions).values(
            id=interaction.id,
            secret_hash=token_hash(secret),
            interaction_event=event,
            application_id=application_id,
            state=interaction.state,
            created_at=now,
            expires_at=now + INTERACTION_TTL_MS,
        )
    )
    return interaction, secret


def get_interaction(conn: Connection, secret: str | None) -> Interaction:
    """The open interaction whose cookie holds `secret`."""
    if not secret:
        raise errors.interaction_not_found()
    return _open_interaction(conn, interactions.c.secret_hash == token_hash(secret))


def reload_interaction(conn: Connection, interaction: Interaction) -> Interaction:
    """`interaction` as it is now, in this transaction; found by its (public) id, as it was
    found by its secret before."""
    return _open_interaction(conn, interactions.c.id == interaction.id)


def _open_interaction(conn: Connection, match: ColumnElement[bool]) -> Interaction:
    row = conn.execute(
        select(interactions).where(match, interactions.c.expires_at > now_ms())
    ).first()
    if row is None:
        raise errors.interaction_not_found()
    return Interaction(row.id, row.interaction_event, row.application_id, dict(row.state))


def save_interaction(conn: Connection, interaction: Interaction) -> None:
    conn.execute(
        update(interactions)
        .where(interactions.c.id == interaction.id)
        .values(interaction_event=interaction.event, state=interaction.state)
    )


def change_event(conn: Connection, secret: str | None, event: str) -> None:
    """`PUT /experience/interaction-event`: ForgotPassword cannot swap with the others."""
    interaction = get_interaction(conn, secret)
    _guard_event(sie.get_sign_in_experience(conn), event)
    if (event == "ForgotPassword") != (interaction.event == "ForgotPassword"):
        raise errors.not_for_forgot_password()
    interaction.event = event
    save_interaction(conn, interaction)


def identified_user(conn: Connection, interaction: Interaction) -> Mapping[str, Any] | None:
    user_id = interaction.state.get("userId")
    return get_user(conn, user_id) if user_id else None


def _guard_event(settings: dict[str, Any], event: str) -> None:
    mode = settings["signInMode"]
    if (event == "Register" and mode == "SignIn") or (event == "SignIn" and mode == "Register"):
        raise errors.forbidden()


def _require_application(conn: Connection, application_id: str) -> None:
    found = conn.execute(
        select(applications.c.id).where(
            applications.c.id == application_id, applications.c.is_bootstrap.is_(False)
        )
    ).first()
    if found is None:
        raise not_exists_with_id("application", application_id)
