"""One of each kind of thing the Management API holds, linked to each other, for the tests
that sweep every route of the OpenAPI document with real ids in its paths."""

from __future__ import annotations

import time
import uuid

import httpx

# Which kind of thing a path parameter names: by its own name, else (`id`) by the collection.
PARAM_KINDS = {
    "userId": "user",
    "roleId": "role",
    "scopeId": "scope",
    "resourceId": "resource",
    "applicationId": "application",
    "organizationRoleId": "organization-role",
    "organizationScopeId": "organization-scope",
    "deliveryId": "delivery",
}
COLLECTION_KINDS = {
    "hooks": "hook",
    "users": "user",
    "roles": "role",
    "resources": "resource",
    "applications": "application",
    "organizations": "organization",
    "organization-roles": "organization-role",
    "organization-scopes": "organization-scope",
    "organization-invitations": "invitation",
}
# A hook no event reaches once it has one delivery: disabled, at an address that never answers.
HOOK_URL = "http://127.0.0.1:9/never-delivered"
WEEK_MS = 7 * 24 * 3600 * 1000


def one_of_each(api: httpx.Client) -> dict[str, str]:
    """Make one of each kind (`api` on the server's `/api`), and their relations: the user
    a member of the organization with a role, and so on, so that the routes on a relation
    find one. Returns their ids by kind (PARAM_KINDS' names, and `m2m-role`)."""

    def made(path: str, body: dict[str, object]) -> str:
        response = api.post(path, json=body)
        assert response.status_code in (200, 201), response.text
        return response.json()["id"]

    def linked(path: str, body: dict[str, object]) -> None:
        response = api.post(path, json=body)
        assert response.status_code in (200, 201), response.text

    tag = uuid.uuid4().hex[:8]
    hook = {"events": ["User.Created"], "config": {"url": HOOK_URL}}
    ids = {"hook": made("/hooks", hook)}
    # One delivery of the hook, made while it is enabled; disabled, it gets no other.
    sent = api.post("/hook-events", json={"event": "User.Created", "payload": {}})
    assert sent.status_code == 202, sent.text
    (delivery,) = api.get(f"/hooks/{ids['hook']}/deliveries").json()
    disabled = api.patch(f"/hooks/{ids['hook']}", json={"enabled": False})
    assert disabled.status_code == 200, disabled.text
    ids |= {
        "delivery": delivery["id"],
        "user": made("/users", {"username": f"member_{tag}"}),
        "role": made("/roles", {"name": f"role {tag}", "description": "r"}),
        "m2m-role": made(
            "/roles", {"name": f"m2m {tag}", "description": "r", "type": "MachineToMachine"}
        ),
        "resource": made("/resources", {"name": "r", "indicator": f"https://{tag}.test"}),
        "application": made("/applications", {"name": "m2m", "type": "MachineToMachine"}),
        "organization": made("/organizations", {"name": f"org {tag}"}),
        "organization-role": made("/organization-roles", {"name": f"orgrole {tag}"}),
        "organization-scope": made("/organization-scopes", {"name": f"orgscope {tag}"}),
    }
    ids["scope"] = made(f"/resources/{ids['resource']}/scopes", {"name": "read"})
    org, user, org_role = ids["organization"], ids["user"], ids["organization-role"]
    ids["invitation"] = made(
        "/organization-invitations",
        {
            "organizationId": org,
            "invitee": "invitee@example.com",
            "expiresAt": int(time.time() * 1000) + WEEK_MS,
        },
    )
    linked(f"/users/{user}/roles", {"roleIds": [ids["role"]]})
    linked(f"/roles/{ids['role']}/scopes", {"scopeIds": [ids["scope"]]})
    linked(f"/applications/{ids['application']}/roles", {"roleIds": [ids["m2m-role"]]})
    linked(f"/organizations/{org}/users", {"userIds": [user]})
    linked(f"/organizations/{org}/users/{user}/roles", {"organizationRoleIds": [org_role]})
    linked(f"/organizations/{org}/applications", {"applicationIds": [ids["application"]]})
    linked(
        f"/organization-roles/{org_role}/scopes",
        {"organizationScopeIds": [ids["organization-scope"]]},
    )
    linked(f"/organization-roles/{org_role}/resource-scopes", {"scopeIds": [ids["scope"]]})
    return ids
