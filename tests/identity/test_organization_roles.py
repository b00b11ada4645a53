"""Organization scopes and roles: Logto's routes, the events they fire, and the bad inputs
that answer Logto's error and fire nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from hookline.events.catalog import MANAGEMENT_API_EVENTS
from tests.support.organizations import (
    assert_like,
    capture,
    fires_nothing,
    hook,
    insert_user,
    received,
    route_of,
    tag,
)
from tests.support.receiver import Receiver

__all__ = ["hook"]  # the fixture


def one_event(receiver: Receiver, n: int, route: str) -> dict[str, Any]:
    """The n-th delivery; it was fired by `route`, which is in Logto's table."""
    body = received(receiver, n)[n - 1]
    assert route_of(body) == route
    assert MANAGEMENT_API_EVENTS[route] == body["event"]
    return body


def make_scope(api: httpx.Client, **fields: Any) -> dict[str, Any]:
    response = api.post("/organization-scopes", json={"name": f"read:{tag()}", **fields})
    assert response.status_code == 201, response.text
    return response.json()


def make_role(api: httpx.Client, **fields: Any) -> dict[str, Any]:
    response = api.post("/organization-roles", json={"name": f"member-{tag()}", **fields})
    assert response.status_code == 201, response.text
    return response.json()


@pytest.mark.usefixtures("hook")
def test_organization_scope_routes_fire_logto_bodies(api, receiver: Receiver) -> None:
    name = f"read:docs_{tag()}"
    response = api.post("/organization-scopes", json={"name": name, "description": "Read docs"})
    assert response.status_code == 201, response.text
    scope = response.json()
    assert list(scope) == ["tenantId", "id", "name", "description"]
    assert (scope["tenantId"], scope["name"], scope["description"]) == (
        "default",
        name,
        "Read docs",
    )
    created = one_event(receiver, 1, "POST /organization-scopes")
    assert_like(created, capture("OrganizationScope.Created", "POST /organization-scopes"))
    assert created["data"] == scope and created["status"] == 201 and created["params"] == {}

    assert api.get(f"/organization-scopes/{scope['id']}").json() == scope
    listed = api.get("/organization-scopes", params={"q": name})
    assert listed.json() == [scope] and listed.headers["total-number"] == "1"

    response = api.patch(f"/organization-scopes/{scope['id']}", json={"description": "All docs"})
    assert response.status_code == 200 and response.json()["description"] == "All docs"
    updated = one_event(receiver, 2, "PATCH /organization-scopes/:id")
    assert_like(
        updated, capture("OrganizationScope.Data.Updated", "PATCH /organization-scopes/:id")
    )
    assert updated["data"] == response.json()
    assert updated["path"] == f"/organization-scopes/{scope['id']}"
    assert updated["params"] == {"id": scope["id"]}

    assert api.delete(f"/organization-scopes/{scope['id']}").status_code == 204
    deleted = one_event(receiver, 3, "DELETE /organization-scopes/:id")
    assert_like(deleted, capture("OrganizationScope.Deleted", "DELETE /organization-scopes/:id"))
    assert "data" not in deleted and deleted["status"] == 204
    gone = api.get(f"/organization-scopes/{scope['id']}")
    assert (gone.status_code, gone.json()["code"]) == (404, "entity.not_exists_with_id")


@pytest.mark.usefixtures("hook")
def test_organization_scope_bad_input_fires_nothing(api, server) -> None:
    scope, other = make_scope(api), make_scope(api)
    check = fires_nothing(server)
    duplicate = {"name": scope["name"]}
    check(
        api.post("/organization-scopes", json=duplicate), 422, "entity.unique_integrity_violation"
    )
    check(
        api.patch(f"/organization-scopes/{other['id']}", json=duplicate),
        422,
        "entity.unique_integrity_violation",
    )
    check(api.post("/organization-scopes", json={}), 400, "guard.invalid_input")
    check(api.post("/organization-scopes", json={"name": ""}), 400, "guard.invalid_input")
    check(api.post("/organization-scopes", json={"name": 7}), 400, "guard.invalid_input")
    check(api.post("/organization-scopes", json={"name": "x" * 129}), 400, "guard.invalid_input")
    check(
        api.patch(f"/organization-scopes/{scope['id']}", json={"name": None}),
        400,
        "guard.invalid_input",
    )
    check(api.patch("/organization-scopes/nope", json={}), 404, "entity.not_exists_with_id")
    check(api.delete("/organization-scopes/nope"), 404, "entity.not_exists_with_id")
    check(api.get("/organization-scopes/nope"), 404, "entity.not_exists_with_id")


@pytest.mark.usefixtures("hook")
def test_organization_role_routes_fire_logto_bodies(api, receiver: Receiver) -> None:
    scope = make_scope(api)
    received(receiver, 1)
    response = api.post("/organization-roles", json={"name": f"m_{tag()}", "description": "M"})
    assert response.status_code == 201, response.text
    role = response.json()
    assert list(role) == ["tenantId", "id", "name", "description", "type"]
    assert role["type"] == "User"
    created = one_event(receiver, 2, "POST /organization-roles")
    assert_like(created, capture("OrganizationRole.Created", "POST /organization-roles"))
    assert created["data"] == role

    assert api.get(f"/organization-roles/{role['id']}").json() == role
    response = api.patch(f"/organization-roles/{role['id']}", json={"description": "Updated"})
    assert response.status_code == 200 and response.json() == role | {"description": "Updated"}
    updated = one_event(receiver, 3, "PATCH /organization-roles/:id")
    assert_like(updated, capture("OrganizationRole.Data.Updated", "PATCH /organization-roles/:id"))
    assert updated["data"] == response.json()

    scopes_path = f"/organization-roles/{role['id']}/scopes"
    response = api.post(scopes_path, json={"organizationScopeIds": [scope["id"]]})
    assert (response.status_code, response.text) == (201, "Created")
    added = one_event(receiver, 4, "POST /organization-roles/:id/scopes")
    assert_like(
        added, capture("OrganizationRole.Scopes.Updated", "POST /organization-roles/:id/scopes")
    )
    assert added["status"] == 201 and added["params"] == {"id": role["id"]}
    assert api.get(scopes_path).json() == [scope]
    # Adding a granted scope again is fine and still fires.
    assert api.post(scopes_path, json={"organizationScopeIds": [scope["id"]]}).status_code == 201
    one_event(receiver, 5, "POST /organization-roles/:id/scopes")

    second = make_scope(api)
    received(receiver, 6)
    response = api.put(scopes_path, json={"organizationScopeIds": [second["id"], scope["id"]]})
    assert response.status_code == 204
    replaced = one_event(receiver, 7, "PUT /organization-roles/:id/scopes")
    assert_like(
        replaced, capture("OrganizationRole.Scopes.Updated", "PUT /organization-roles/:id/scopes")
    )
    assert sorted(s["id"] for s in api.get(scopes_path).json()) == sorted(
        [scope["id"], second["id"]]
    )
    listed = [r for r in api.get("/organization-roles").json() if r["id"] == role["id"]]
    assert {s["id"] for s in listed[0]["scopes"]} == {scope["id"], second["id"]}
    assert listed[0]["resourceScopes"] == []

    assert api.delete(f"{scopes_path}/{scope['id']}").status_code == 204
    route = "DELETE /organization-roles/:id/scopes/:organizationScopeId"
    removed = one_event(receiver, 8, route)
    assert_like(removed, capture("OrganizationRole.Scopes.Updated", route))
    assert removed["params"] == {"id": role["id"], "organizationScopeId": scope["id"]}
    assert api.get(scopes_path).json() == [second]

    assert api.delete(f"/organization-roles/{role['id']}").status_code == 204
    deleted = one_event(receiver, 9, "DELETE /organization-roles/:id")
    assert_like(deleted, capture("OrganizationRole.Deleted", "DELETE /organization-roles/:id"))
    assert api.get(f"/organization-roles/{role['id']}").status_code == 404


@pytest.mark.usefixtures("hook")
def test_role_created_with_scopes_also_fires_scopes_updated(api, receiver: Receiver) -> None:
    scope = make_scope(api)
    received(receiver, 1)
    role = make_role(api, organizationScopeIds=[scope["id"], scope["id"]], type="MachineToMachine")
    assert role["type"] == "MachineToMachine"
    bodies = sorted(received(receiver, 3)[1:], key=lambda b: b["event"])
    created, scopes_updated = bodies
    assert created["event"] == "OrganizationRole.Created" and created["data"] == role
    assert scopes_updated["event"] == "OrganizationRole.Scopes.Updated"
    model = capture("OrganizationRole.Created", "POST /organization-roles")
    del model["data"]
    assert_like(scopes_updated, model, extra=("organizationRoleId",))
    assert scopes_updated["organizationRoleId"] == role["id"]
    assert (scopes_updated["path"], scopes_updated["status"]) == ("/organization-roles", 201)
    assert route_of(scopes_updated) == "POST /organization-roles"
    assert api.get(f"/organization-roles/{role['id']}/scopes").json() == [scope]

    make_role(api, organizationScopeIds=[], resourceScopeIds=[])
    (fourth,) = received(receiver, 4)[3:]
    assert fourth["event"] == "OrganizationRole.Created"  # no scopes, no second event
    assert len(receiver.requests) == 4


@pytest.mark.usefixtures("hook")
def test_organization_role_bad_input_fires_nothing(api, server) -> None:
    role, scope = make_role(api), make_scope(api)
    other = make_role(api)
    user_id = insert_user(server)
    check = fires_nothing(server)
    name = {"name": role["name"]}
    check(api.post("/organization-roles", json=name), 422, "entity.unique_integrity_violation")
    check(
        api.patch(f"/organization-roles/{other['id']}", json=name),
        422,
        "entity.unique_integrity_violation",
    )
    check(
        api.post("/organization-roles", json={"name": tag(), "type": "Admin"}),
        400,
        "guard.invalid_input",
    )
    unlinked = f"unlinked-{tag()}"
    check(
        api.post("/organization-roles", json={"name": unlinked, "organizationScopeIds": ["nope"]}),
        422,
        "entity.relation_foreign_key_not_found",
    )
    check(
        api.post("/organization-roles", json={"name": unlinked, "resourceScopeIds": [user_id]}),
        422,
        "entity.relation_foreign_key_not_found",
    )
    assert api.get("/organization-roles", params={"q": unlinked}).json() == []  # rolled back
    scopes = f"/organization-roles/{role['id']}/scopes"
    check(api.post(scopes, json={"organizationScopeIds": []}), 400, "guard.invalid_input")
    check(api.post(scopes, json={"organizationScopeIds": "x"}), 400, "guard.invalid_input")
    check(
        api.post(scopes, json={"organizationScopeIds": [scope["id"], "nope"]}),
        422,
        "entity.relation_foreign_key_not_found",
    )
    check(
        api.put(scopes, json={"organizationScopeIds": ["nope"]}),
        422,
        "entity.relation_foreign_key_not_found",
    )
    check(
        api.post("/organization-roles/nope/scopes", json={"organizationScopeIds": [scope["id"]]}),
        422,
        "entity.relation_foreign_key_not_found",
    )
    check(api.delete(f"{scopes}/{scope['id']}"), 404, "entity.not_found")
    check(api.get("/organization-roles/nope/scopes"), 404, "entity.not_exists_with_id")
    check(api.get("/organization-roles/nope"), 404, "entity.not_exists_with_id")
    check(api.patch("/organization-roles/nope", json={}), 404, "entity.not_exists_with_id")
    check(api.delete("/organization-roles/nope"), 404, "entity.not_exists_with_id")
    assert api.get(scopes).json() == []  # the failed calls changed nothing
