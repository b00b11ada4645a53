"""hookline.events.catalog: Logto's 31 registrable events in Logto's order (SPEC §2.1), then
hookline's extensions, its operational events last."""

from __future__ import annotations

from hookline.events import catalog

SPEC_2_1 = [
    "PostRegister",
    "PostSignIn",
    "PostSignInAdaptiveMfaTriggered",
    "PostResetPassword",
    "User.Created",
    "User.Deleted",
    "User.Data.Updated",
    "User.SuspensionStatus.Updated",
    "TrustedDevice.Created",
    "TrustedDevice.Deleted",
    "Role.Created",
    "Role.Deleted",
    "Role.Data.Updated",
    "Role.Scopes.Updated",
    "Scope.Created",
    "Scope.Deleted",
    "Scope.Data.Updated",
    "Organization.Created",
    "Organization.Deleted",
    "Organization.Data.Updated",
    "Organization.Membership.Updated",
    "OrganizationRole.Created",
    "OrganizationRole.Deleted",
    "OrganizationRole.Data.Updated",
    "OrganizationRole.Scopes.Updated",
    "OrganizationScope.Created",
    "OrganizationScope.Deleted",
    "OrganizationScope.Data.Updated",
    "Identifier.Lockout",
    "Message.RateLimited",
    "Grant.LimitExceeded",
]


EXTENSIONS = [
    "User.Roles.Updated",
    "Organization.Membership.Roles.Updated",
    "Hook.Disabled",
    "Hook.Delivery.Exhausted",
    "Hook.Delivery.Recovered",
    "PreRegister",
    "PreSignIn",
    "PreResetPassword",
    "Interaction.Denied",
]


def test_exactly_the_spec_events_in_logto_order_then_hooklines() -> None:
    assert len(SPEC_2_1) == 31
    assert list(catalog.LOGTO_EVENTS) == SPEC_2_1
    assert list(catalog.EVENTS) == SPEC_2_1 + EXTENSIONS


def test_event_set_matches() -> None:
    assert catalog.EVENT_SET == frozenset(SPEC_2_1 + EXTENSIONS)
    for wrong in (
        "Role.Scope.Updated",
        "OrganizationRole.Scope.Updated",
        "Organization.Membership.Accepted",
        "user.created",
        "",
    ):
        assert wrong not in catalog.EVENT_SET


def test_families() -> None:
    assert list(catalog.INTERACTION_EVENTS) == SPEC_2_1[:4]
    assert list(catalog.DATA_EVENTS) == SPEC_2_1[4:28]
    assert list(catalog.EXCEPTION_EVENTS) == SPEC_2_1[28:]


def test_is_interaction() -> None:
    assert [e for e in SPEC_2_1 if catalog.is_interaction(e)] == SPEC_2_1[:4]
    assert not catalog.is_interaction("postsignin")


def test_management_route_table_is_logtos_26_entries() -> None:
    table = catalog.MANAGEMENT_API_EVENTS
    assert len(table) == 26
    assert set(table.values()) <= set(SPEC_2_1)
    assert table["DELETE /organization-roles/:id/scopes/:organizationScopeId"] == (
        "OrganizationRole.Scopes.Updated"
    )
