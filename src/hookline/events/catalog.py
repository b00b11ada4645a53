"""The event names hooks can subscribe to, in Logto's order."""

from __future__ import annotations

INTERACTION_EVENTS = (
    "PostRegister",
    "PostSignIn",
    "PostSignInAdaptiveMfaTriggered",
    "PostResetPassword",
)

DATA_EVENTS = (
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
)

EXCEPTION_EVENTS = ("Identifier.Lockout", "Message.RateLimited", "Grant.LimitExceeded")

EVENTS: tuple[str, ...] = INTERACTION_EVENTS + DATA_EVENTS + EXCEPTION_EVENTS
EVENT_SET = frozenset(EVENTS)


def is_interaction(event: str) -> bool:
    return event in INTERACTION_EVENTS
