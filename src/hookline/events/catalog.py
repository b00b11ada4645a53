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

LOGTO_EVENTS: tuple[str, ...] = INTERACTION_EVENTS + DATA_EVENTS + EXCEPTION_EVENTS

# hookline's additions, for changes Logto users ask to hear about and Logto never reports.
EXTENSION_EVENTS = ("User.Roles.Updated", "Organization.Membership.Roles.Updated")

# hookline's own news of its hooks, emitted by the dispatchers (events.operational); never
# delivered to the hook they are about.
OPERATIONAL_EVENTS = ("Hook.Disabled", "Hook.Delivery.Exhausted", "Hook.Delivery.Recovered")

# hookline's blocking moments, each before its Post… event, with the same fields: a
# synchronous hook (`config.mode: "sync"`) is called at them and may allow, deny or patch the
# change; asynchronous hooks are only told. `Interaction.Denied` tells of a refusal.
PRE_EVENTS = ("PreRegister", "PreSignIn", "PreResetPassword")
DENIED_EVENT = "Interaction.Denied"

EVENTS: tuple[str, ...] = (
    LOGTO_EVENTS + EXTENSION_EVENTS + OPERATIONAL_EVENTS + PRE_EVENTS + (DENIED_EVENT,)
)
EVENT_SET = frozenset(EVENTS)

# A successful Management API call whose `METHOD /route` (Koa style, no `/api`) is listed here
# emits the event, with the response body as `data`: Logto's `managementApiHooksRegistration`.
# hookline's identity writes name their events themselves, so that a change made without a
# route fires too; this table is what the tests hold every route's events to.
MANAGEMENT_API_EVENTS: dict[str, str] = {
    "POST /users": "User.Created",
    "PATCH /users/:userId": "User.Data.Updated",
    "PATCH /users/:userId/custom-data": "User.Data.Updated",
    "PATCH /users/:userId/profile": "User.Data.Updated",
    "PATCH /users/:userId/password": "User.Data.Updated",
    "PATCH /users/:userId/is-suspended": "User.SuspensionStatus.Updated",
    "POST /roles": "Role.Created",
    "DELETE /roles/:id": "Role.Deleted",
    "PATCH /roles/:id": "Role.Data.Updated",
    "POST /roles/:id/scopes": "Role.Scopes.Updated",
    "DELETE /roles/:id/scopes/:scopeId": "Role.Scopes.Updated",
    "POST /resources/:resourceId/scopes": "Scope.Created",
    "DELETE /resources/:resourceId/scopes/:scopeId": "Scope.Deleted",
    "PATCH /resources/:resourceId/scopes/:scopeId": "Scope.Data.Updated",
    "POST /organizations": "Organization.Created",
    "DELETE /organizations/:id": "Organization.Deleted",
    "PATCH /organizations/:id": "Organization.Data.Updated",
    "POST /organization-roles": "OrganizationRole.Created",
    "DELETE /organization-roles/:id": "OrganizationRole.Deleted",
    "PATCH /organization-roles/:id": "OrganizationRole.Data.Updated",
    "POST /organization-scopes": "OrganizationScope.Created",
    "DELETE /organization-scopes/:id": "OrganizationScope.Deleted",
    "PATCH /organization-scopes/:id": "OrganizationScope.Data.Updated",
    "PUT /organization-roles/:id/scopes": "OrganizationRole.Scopes.Updated",
    "POST /organization-roles/:id/scopes": "OrganizationRole.Scopes.Updated",
    "DELETE /organization-roles/:id/scopes/:organizationScopeId": "OrganizationRole.Scopes.Updated",
}


def is_interaction(event: str) -> bool:
    """An event shaped as Logto's interaction events (`user`, `userIp`, `sessionId`)."""
    return event in INTERACTION_EVENTS or event in PRE_EVENTS


def is_pre(event: str) -> bool:
    return event in PRE_EVENTS
