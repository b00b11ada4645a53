"""hookline.events.subjects: what each event family is about, read from Logto's own bodies."""

from __future__ import annotations

import pytest

from hookline.events.catalog import EVENTS
from hookline.events.subjects import subject_of
from tests.support.logto_data import captures

# Real deliveries, not test sends (a test send's hookId comes second).
DELIVERED = [c for c in captures() if c.path != "/hook-test" and list(c.json())[1] != "hookId"]

USER, ROLE, SCOPE = "user:7osq385cblrt", "role:v5viz758fsy7ifwgq5p50", "scope:wkjej3qjt0l077s47vy5h"
ORGANIZATION = "organization:7e3h3nxvs4a9"
ORGANIZATION_ROLE = "organizationRole:midi9tsqhfoowoys1qzas"
ORGANIZATION_SCOPE = "organizationScope:644miks5df1fsg2dmko23"


def test_every_captured_family_names_its_subject() -> None:
    found = {(c.event, subject_of(c.event, c.json())) for c in DELIVERED}
    assert found == {
        ("User.Created", USER),  # data.id
        ("User.Data.Updated", USER),  # data.id, or params.userId where data is partial
        ("User.SuspensionStatus.Updated", USER),
        ("User.Deleted", USER),  # data first, as Logto sends it
        ("User.Created", "user:cmnlumxgcpqg"),  # registered through the Experience API
        ("PostRegister", "user:cmnlumxgcpqg"),  # the interaction's userId
        ("PostSignIn", "user:cmnlumxgcpqg"),
        ("User.Created", "user:1n7hbq1pdx79"),
        ("User.Created", "user:nir4anp3cvit"),
        ("User.Created", "user:yzvb17794ayk"),
        ("Role.Created", ROLE),
        ("Role.Created", "role:aupu8uym9l1dou2kym01n"),
        ("Role.Data.Updated", ROLE),
        ("Role.Scopes.Updated", ROLE),  # data is the list of scopes: the role is params.id
        ("Role.Deleted", ROLE),  # no data: params.id
        ("Scope.Created", SCOPE),
        ("Scope.Created", "scope:w8lnn794duq2f8x4t2xm6"),
        ("Scope.Data.Updated", SCOPE),
        ("Scope.Deleted", SCOPE),  # params.scopeId, not the resource
        ("Organization.Created", ORGANIZATION),
        ("Organization.Data.Updated", ORGANIZATION),
        ("Organization.Membership.Updated", ORGANIZATION),  # the organization, not the user
        ("Organization.Deleted", ORGANIZATION),
        ("OrganizationRole.Created", ORGANIZATION_ROLE),
        ("OrganizationRole.Data.Updated", ORGANIZATION_ROLE),
        ("OrganizationRole.Scopes.Updated", ORGANIZATION_ROLE),
        ("OrganizationRole.Deleted", ORGANIZATION_ROLE),
        ("OrganizationScope.Created", ORGANIZATION_SCOPE),
        ("OrganizationScope.Data.Updated", ORGANIZATION_SCOPE),
        ("OrganizationScope.Deleted", ORGANIZATION_SCOPE),
        ("Identifier.Lockout", None),  # about an identifier typed in, not a stored object
    }


@pytest.mark.parametrize(
    ("event", "payload", "subject"),
    [
        ("PostSignInAdaptiveMfaTriggered", {"userId": "u1"}, "user:u1"),
        ("PostResetPassword", {"user": {"id": "u1"}}, "user:u1"),
        ("TrustedDevice.Created", {"data": {"id": "d1", "userId": "u1"}}, "user:u1"),
        ("User.Roles.Updated", {"userId": "u1", "roleIds": ["r1"]}, "user:u1"),
        (
            "Organization.Membership.Roles.Updated",
            {"organizationId": "o1", "userId": "u1"},
            "organization:o1",
        ),
        ("Message.RateLimited", {"userId": "u1"}, None),
        ("Grant.LimitExceeded", {"data": {"id": "g1"}}, None),
        ("Invoice.Paid", {"data": {"id": "i1"}}, None),  # an ingested event of its own kind
        ("User.Data.Updated", {"data": {"id": 42}}, None),  # ids are strings
        ("User.Data.Updated", {"data": {"id": "a b"}}, None),  # ... that fit in a header
        ("User.Data.Updated", {"data": {"id": "x\r\nforged: 1"}}, None),
        ("User.Data.Updated", {"data": ["u1"], "params": {"userId": "u1"}}, "user:u1"),
        ("Role.Deleted", {"params": None}, None),
    ],
)
def test_subject_rule(event: str, payload: dict, subject: str | None) -> None:
    assert subject_of(event, payload) == subject


def test_every_catalogued_event_is_decided() -> None:
    """No event raises on an empty body: it is about nothing that the body does not name."""
    assert all(subject_of(event, {}) is None for event in EVENTS)
