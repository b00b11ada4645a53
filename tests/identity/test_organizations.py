"""Organizations, their members (users and applications), members' roles and invitations:
Logto's routes, the events they fire, and bad inputs that answer Logto's error and fire nothing."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from hookline.events.catalog import MANAGEMENT_API_EVENTS
from tests.support.organizations import (
    assert_like,
    capture,
    fires_nothing,
    hook,
    insert_application,
    insert_user,
    received,
    route_of,
    tag,
)
from tests.support.quiet import settle
from tests.support.receiver import Receiver

__all__ = ["hook"]  # the fixture

MEMBERSHIP_MODEL = capture("Organization.Membership.Updated", "POST /organizations/:id/users")


def nth(receiver: Receiver, n: int) -> dict[str, Any]:
    """The n-th delivery (each test waits for one event before causing the next)."""
    return received(receiver, n)[n - 1]


def make_org(api: httpx.Client, **fields: Any) -> dict[str, Any]:
    response = api.post("/organizations", json={"name": f"Acme {tag()}", **fields})
    assert response.status_code == 201, response.text
    return response.json()


def membership(body: dict[str, Any], route: str, org_id: str, **delta: list[str]) -> None:
    """A hand-added `Organization.Membership.Updated`: capture keys, then the delta, no data."""
    assert body["event"] == "Organization.Membership.Updated"
    assert route_of(body) == route and route not in MANAGEMENT_API_EVENTS
    assert_like(body, MEMBERSHIP_MODEL, extra=tuple(delta))
    assert body["organizationId"] == org_id and "data" not in body
    assert {key: body[key] for key in delta} == delta


@pytest.mark.usefixtures("hook")
def test_organization_routes_fire_logto_bodies(api, receiver: Receiver) -> None:
    name = f"Acme {tag()}"
    response = api.post("/organizations", json={"name": name, "description": "Acme Inc"})
    assert response.status_code == 201, response.text
    org = response.json()
    assert list(org) == [
        "tenantId",
        "id",
        "name",
        "description",
        "customData",
        "isMfaRequired",
        "color",
        "branding",
        "customCss",
        "createdAt",
    ]
    assert len(org["id"]) == 12 and org["customData"] == {} and org["isMfaRequired"] is False
    created = nth(receiver, 1)
    assert route_of(created) == "POST /organizations"
    assert_like(created, capture("Organization.Created", "POST /organizations"))
    assert created["data"] == org and created["status"] == 201

    assert api.get(f"/organizations/{org['id']}").json() == org
    listed = api.get("/organizations", params={"q": name, "showFeatured": "true"})
    assert listed.json() == [org | {"usersCount": 0, "featuredUsers": []}]
    assert listed.headers["total-number"] == "1"

    patch = {"description": "Acme Corp", "customData": {"plan": "pro"}, "isMfaRequired": True}
    response = api.patch(f"/organizations/{org['id']}", json=patch)
    assert response.status_code == 200 and response.json() == org | patch
    updated = nth(receiver, 2)
    assert route_of(updated) == "PATCH /organizations/:id"
    model = capture("Organization.Data.Updated", "PATCH /organizations/:id")
    model["data"] |= patch  # the captured update changed only the description
    assert_like(updated, model)
    assert updated["data"] == response.json() and updated["params"] == {"id": org["id"]}

    assert api.delete(f"/organizations/{org['id']}").status_code == 204
    deleted = nth(receiver, 3)
    assert route_of(deleted) == "DELETE /organizations/:id"
    assert_like(deleted, capture("Organization.Deleted", "DELETE /organizations/:id"))
    gone = api.get(f"/organizations/{org['id']}")
    assert (gone.status_code, gone.json()["code"]) == (404, "entity.not_exists_with_id")


@pytest.mark.usefixtures("hook")
def test_user_membership_fires_true_deltas(api, server, receiver: Receiver) -> None:
    org = make_org(api)
    users_path = f"/organizations/{org['id']}/users"
    one, two, three = (insert_user(server) for _ in range(3))
    received(receiver, 1)

    response = api.post(users_path, json={"userIds": [one, two, one]})
    assert (response.status_code, response.text) == (201, "Created")
    membership(
        nth(receiver, 2), "POST /organizations/:id/users", org["id"], addedUserIds=[one, two]
    )

    # Re-adding members is a no-op: the event shrinks to Logto 1.37.1's exact keys.
    assert api.post(users_path, json={"userIds": [two]}).status_code == 201
    noop = nth(receiver, 3)
    membership(noop, "POST /organizations/:id/users", org["id"])
    assert (noop["status"], noop["path"]) == (201, users_path)

    assert api.put(users_path, json={"userIds": [two, three]}).status_code == 204
    replaced = nth(receiver, 4)
    membership(
        replaced,
        "PUT /organizations/:id/users",
        org["id"],
        addedUserIds=[three],
        removedUserIds=[one],
    )
    model = capture("Organization.Membership.Updated", "PUT /organizations/:id/users")
    assert_like(replaced, model, extra=("addedUserIds", "removedUserIds"))
    assert replaced["status"] == 204
    assert sorted(u["id"] for u in api.get(users_path).json()) == sorted([two, three])

    assert api.delete(f"{users_path}/{three}").status_code == 204
    removed = nth(receiver, 5)
    route = "DELETE /organizations/:id/users/:userId"
    membership(removed, route, org["id"], removedUserIds=[three])
    assert_like(
        removed, capture("Organization.Membership.Updated", route), extra=("removedUserIds",)
    )
    assert removed["params"] == {"id": org["id"], "userId": three}

    assert api.put(users_path, json={"userIds": []}).status_code == 204
    membership(nth(receiver, 6), "PUT /organizations/:id/users", org["id"], removedUserIds=[two])
    listed = api.get(users_path)
    assert listed.json() == [] and listed.headers["total-number"] == "0"


@pytest.mark.usefixtures("hook")
def test_application_membership_fires_true_deltas(api, server, receiver: Receiver) -> None:
    org = make_org(api)
    path = f"/organizations/{org['id']}/applications"
    first, second = insert_application(server), insert_application(server)
    received(receiver, 1)

    assert api.post(path, json={"applicationIds": [first]}).status_code == 201
    route = "POST /organizations/:id/applications"
    membership(nth(receiver, 2), route, org["id"], addedApplicationIds=[first])
    assert [a["id"] for a in api.get(path).json()] == [first]

    assert api.put(path, json={"applicationIds": [second]}).status_code == 204
    membership(
        nth(receiver, 3),
        "PUT /organizations/:id/applications",
        org["id"],
        addedApplicationIds=[second],
        removedApplicationIds=[first],
    )

    assert api.delete(f"{path}/{second}").status_code == 204
    removed = nth(receiver, 4)
    route = "DELETE /organizations/:id/applications/:applicationId"
    membership(removed, route, org["id"], removedApplicationIds=[second])
    assert removed["params"] == {"id": org["id"], "applicationId": second}
    assert api.get(path).json() == []


def roles_event(body: dict[str, Any], route: str, org_id: str, **fields: Any) -> None:
    """hookline's `Organization.Membership.Roles.Updated`: context, organizationId, who, delta."""
    assert body["event"] == "Organization.Membership.Roles.Updated"
    assert route_of(body) == route
    assert_like(body, MEMBERSHIP_MODEL, extra=tuple(fields))
    assert body["organizationId"] == org_id and "data" not in body
    assert {key: body[key] for key in fields} == fields


@pytest.mark.usefixtures("hook")
def test_member_roles_fire_the_extension_event(api, server, receiver: Receiver) -> None:
    org = make_org(api)
    admin = api.post("/organization-roles", json={"name": f"admin-{tag()}"}).json()
    viewer = api.post("/organization-roles", json={"name": f"viewer-{tag()}"}).json()
    one, two = insert_user(server), insert_user(server)
    received(receiver, 3)
    assert api.post(f"/organizations/{org['id']}/users", json={"userIds": [one, two]}).status_code
    received(receiver, 4)

    body = {"userIds": [one, two], "organizationRoleIds": [admin["id"]]}
    response = api.post(f"/organizations/{org['id']}/users/roles", json=body)
    assert (response.status_code, response.text) == (201, "Created")
    roles_event(
        nth(receiver, 5),
        "POST /organizations/:id/users/roles",
        org["id"],
        userIds=[one, two],
        addedOrganizationRoleIds=[admin["id"]],
    )

    path = f"/organizations/{org['id']}/users/{one}/roles"
    response = api.post(path, json={"organizationRoleNames": [viewer["name"]]})
    assert response.status_code == 201 and response.json() == {
        "organizationRoleIds": [viewer["id"]]
    }
    route = "POST /organizations/:id/users/:userId/roles"
    roles_event(
        nth(receiver, 6), route, org["id"], userId=one, addedOrganizationRoleIds=[viewer["id"]]
    )
    assert sorted(r["id"] for r in api.get(path).json()) == sorted([admin["id"], viewer["id"]])
    members = {m["id"]: m for m in api.get(f"/organizations/{org['id']}/users").json()}
    assert [r["id"] for r in members[two]["organizationRoles"]] == [admin["id"]]

    assert api.put(path, json={"organizationRoleIds": [viewer["id"]]}).status_code == 204
    route = "PUT /organizations/:id/users/:userId/roles"
    roles_event(
        nth(receiver, 7), route, org["id"], userId=one, removedOrganizationRoleIds=[admin["id"]]
    )

    assert api.delete(f"{path}/{viewer['id']}").status_code == 204
    route = "DELETE /organizations/:id/users/:userId/roles/:organizationRoleId"
    removed = nth(receiver, 8)
    roles_event(removed, route, org["id"], userId=one, removedOrganizationRoleIds=[viewer["id"]])
    assert removed["params"] == {"id": org["id"], "userId": one, "organizationRoleId": viewer["id"]}
    assert api.get(path).json() == []

    # A no-op still reports who was touched.
    assert api.put(path, json={"organizationRoleIds": []}).status_code == 204
    roles_event(
        nth(receiver, 9), "PUT /organizations/:id/users/:userId/roles", org["id"], userId=one
    )


@pytest.mark.usefixtures("hook")
def test_organization_bad_input_fires_nothing(api, server) -> None:
    org = make_org(api)
    user, outsider = insert_user(server), insert_user(server)
    assert api.post(f"/organizations/{org['id']}/users", json={"userIds": [user]}).status_code
    role = api.post("/organization-roles", json={"name": f"r-{tag()}"}).json()
    check = fires_nothing(server)

    check(api.post("/organizations", json={}), 400, "guard.invalid_input")
    check(api.post("/organizations", json={"name": 1}), 400, "guard.invalid_input")
    bad = {"name": "x", "customData": None}
    check(api.post("/organizations", json=bad), 400, "guard.invalid_input")
    bad = {"name": "x", "isMfaRequired": "yes"}
    check(api.post("/organizations", json=bad), 400, "guard.invalid_input")
    check(api.patch("/organizations/nope", json={"name": "y"}), 404, "entity.not_exists_with_id")
    check(api.delete("/organizations/nope"), 404, "entity.not_exists_with_id")

    users = f"/organizations/{org['id']}/users"
    fk = "entity.relation_foreign_key_not_found"
    check(api.post(users, json={"userIds": ["nope"]}), 422, fk)
    check(api.put(users, json={"userIds": [user, "nope"]}), 422, fk)
    check(api.post("/organizations/nope/users", json={"userIds": [user]}), 422, fk)
    check(api.put("/organizations/nope/users", json={"userIds": []}), 422, fk)
    check(api.post(users, json={"userIds": []}), 400, "guard.invalid_input")
    check(api.post(users, json={"userIds": [3]}), 400, "guard.invalid_input")
    check(api.delete(f"{users}/{outsider}"), 404, "entity.not_found")
    check(api.get("/organizations/nope/users"), 404, "entity.not_exists_with_id")
    apps = f"/organizations/{org['id']}/applications"
    check(api.post(apps, json={"applicationIds": ["nope"]}), 422, fk)
    check(api.delete(f"{apps}/nope"), 404, "entity.not_found")

    both = {"userIds": [outsider], "organizationRoleIds": [role["id"]]}
    check(api.post(f"{users}/roles", json=both), 422, fk)
    both = {"userIds": [user], "organizationRoleIds": ["nope"]}
    check(api.post(f"{users}/roles", json=both), 422, fk)
    member_roles = f"{users}/{user}/roles"
    check(api.post(member_roles, json={"organizationRoleIds": ["nope"]}), 422, fk)
    check(
        api.post(member_roles, json={"organizationRoleNames": ["nope"]}),
        422,
        "organization.role_names_not_found",
    )
    outsider_roles = f"{users}/{outsider}/roles"
    required = "organization.require_membership"
    check(api.get(outsider_roles), 422, required)
    check(api.post(outsider_roles, json={"organizationRoleIds": [role["id"]]}), 422, required)
    check(api.put(outsider_roles, json={"organizationRoleIds": []}), 422, required)
    check(api.delete(f"{outsider_roles}/{role['id']}"), 422, required)
    check(api.delete(f"{member_roles}/{role['id']}"), 404, "entity.not_found")
    assert [u["id"] for u in api.get(users).json()] == [user]  # nothing changed


def invite(api: httpx.Client, org_id: str, email: str, **fields: Any) -> httpx.Response:
    expires = int(time.time() * 1000) + 3_600_000
    body = {"organizationId": org_id, "invitee": email, "expiresAt": expires, **fields}
    return api.post("/organization-invitations", json=body)


@pytest.mark.usefixtures("hook")
def test_accepting_an_invitation_fires_membership(api, server, receiver: Receiver) -> None:
    org = make_org(api)
    role = api.post("/organization-roles", json={"name": f"guest-{tag()}"}).json()
    email = f"alice-{tag()}@example.com"
    user = insert_user(server, email)
    received(receiver, 2)

    response = invite(api, org["id"], email, organizationRoleIds=[role["id"]])
    assert response.status_code == 201, response.text
    invitation = response.json()
    assert invitation["status"] == "Pending" and invitation["acceptedUserId"] is None
    assert invitation["organizationRoles"] == [{"id": role["id"], "name": role["name"]}]
    assert api.get(f"/organization-invitations/{invitation['id']}").json() == invitation
    listed = api.get("/organization-invitations", params={"organizationId": org["id"]})
    assert listed.json() == [invitation]

    status = f"/organization-invitations/{invitation['id']}/status"
    response = api.put(status, json={"status": "Accepted", "acceptedUserId": user})
    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["acceptedUserId"]) == ("Accepted", user)
    accepted = nth(receiver, 3)
    membership(accepted, "PUT /organization-invitations/:id/status", org["id"], addedUserIds=[user])
    assert (accepted["status"], accepted["path"]) == (200, status)
    member_roles = api.get(f"/organizations/{org['id']}/users/{user}/roles").json()
    assert [r["id"] for r in member_roles] == [role["id"]]

    check = fires_nothing(server)
    again = {"status": "Revoked"}
    check(api.put(status, json=again), 422, "request.invalid_input")
    check(invite(api, org["id"], email.upper()), 422, "request.invalid_input")  # a member


def test_accepting_as_a_member_and_revoking(api, server, hook, receiver: Receiver) -> None:
    org = make_org(api)
    email = f"bob-{tag()}@example.com"
    user = insert_user(server, email)
    first = invite(api, org["id"], email).json()
    assert api.post(f"/organizations/{org['id']}/users", json={"userIds": [user]}).status_code
    received(receiver, 2)

    status = f"/organization-invitations/{first['id']}/status"
    assert api.put(status, json={"status": "Accepted", "acceptedUserId": user}).status_code == 200
    membership(nth(receiver, 3), "PUT /organization-invitations/:id/status", org["id"])

    other = f"carol-{tag()}@example.com"
    second = invite(api, org["id"], other).json()
    revoked = api.put(
        f"/organization-invitations/{second['id']}/status", json={"status": "Revoked"}
    )
    assert revoked.status_code == 200 and revoked.json()["status"] == "Revoked"
    assert api.delete(f"/organization-invitations/{second['id']}").status_code == 204
    assert api.get(f"/organization-invitations/{second['id']}").status_code == 404
    settle(server, hook["id"])
    assert len(receiver.requests) == 3  # revoking, inviting and deleting fire nothing


@pytest.mark.usefixtures("hook")
def test_invitation_bad_input_fires_nothing(api, server) -> None:
    org = make_org(api)
    email = f"dave-{tag()}@example.com"
    user, stranger = insert_user(server, email), insert_user(server, f"x-{tag()}@example.com")
    pending = invite(api, org["id"], email).json()
    status = f"/organization-invitations/{pending['id']}/status"
    check = fires_nothing(server)

    fk = "entity.relation_foreign_key_not_found"
    check(invite(api, "nope", email), 422, fk)
    check(invite(api, org["id"], f"e-{tag()}@example.com", organizationRoleIds=["nope"]), 422, fk)
    check(invite(api, org["id"], f"e-{tag()}@example.com", inviterId="nope"), 422, fk)
    check(invite(api, org["id"], email), 422, "entity.unique_integrity_violation")
    check(invite(api, org["id"], "not-an-email"), 400, "guard.invalid_input")
    check(invite(api, org["id"], email, expiresAt="soon"), 400, "guard.invalid_input")
    check(invite(api, org["id"], f"e-{tag()}@x.com", expiresAt=1), 400, "request.invalid_input")

    check(api.put(status, json={"status": "Accepted"}), 422, "request.invalid_input")
    accept = {"status": "Accepted", "acceptedUserId": stranger}
    check(api.put(status, json=accept), 422, "request.invalid_input")
    accept = {"status": "Accepted", "acceptedUserId": "nope"}
    check(api.put(status, json=accept), 404, "entity.not_exists_with_id")
    check(api.put(status, json={"status": "Expired"}), 400, "guard.invalid_input")
    accept = {"status": "Accepted", "acceptedUserId": user}
    check(
        api.put("/organization-invitations/nope/status", json=accept),
        404,
        "entity.not_exists_with_id",
    )
    check(api.get("/organization-invitations/nope"), 404, "entity.not_exists_with_id")
    check(api.delete("/organization-invitations/nope"), 404, "entity.not_exists_with_id")
    assert api.get(f"/organization-invitations/{pending['id']}").json()["status"] == "Pending"
    assert api.get(f"/organizations/{org['id']}/users").json() == []
