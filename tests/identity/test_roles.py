"""`/api/roles` and their scopes: Logto's answers, and the Role.* webhooks."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.support.roles_resources import (
    assert_like_logto,
    error,
    logto_capture,
    new_resource,
    new_scope,
    shape,
)

ROLE_EVENTS = ["Role.Created", "Role.Data.Updated", "Role.Deleted", "Role.Scopes.Updated"]
ROLE_KEYS = ["tenantId", "id", "name", "description", "type", "isDefault"]


def unique(prefix: str = "role") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def new_role(api: httpx.Client, **extra: Any) -> dict[str, Any]:
    response = api.post("/roles", json={"name": unique(), "description": "A role", **extra})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def two_scopes(api) -> list[dict[str, Any]]:
    resource = new_resource(api)
    return [new_scope(api, resource["id"], "read:x"), new_scope(api, resource["id"], "write:x")]


def test_create_update_delete_fire_logto_events(api, subscribe) -> None:
    hooked = subscribe(ROLE_EVENTS)
    name = unique("editor")
    created = api.post("/roles", json={"name": name, "description": "Editor", "type": "User"})
    assert created.status_code == 200, created.text
    role = created.json()
    assert list(role) == ROLE_KEYS
    assert (role["tenantId"], role["name"], role["type"], role["isDefault"]) == (
        "default",
        name,
        "User",
        False,
    )
    body = hooked.one()
    assert_like_logto(body, "Role.Created", "POST /roles")
    assert (body["data"], body["status"], body["params"], body["path"]) == (
        role,
        200,
        {},
        "/roles",
    )
    assert api.get(f"/roles/{role['id']}").json() == role

    patched = api.patch(f"/roles/{role['id']}", json={"description": "Updated", "isDefault": True})
    assert patched.status_code == 200, patched.text
    assert patched.json() == {**role, "description": "Updated", "isDefault": True}
    body = hooked.one()
    assert_like_logto(body, "Role.Data.Updated", "PATCH /roles/:id")
    # No `"0"` param: Logto's quirk on /roles routes is not reproduced.
    assert body["params"] == {"id": role["id"]}
    assert body["data"] == patched.json()

    assert api.delete(f"/roles/{role['id']}").status_code == 204
    body = hooked.one()
    assert_like_logto(body, "Role.Deleted", "DELETE /roles/:id")
    assert "data" not in body and body["status"] == 204
    error(api.get(f"/roles/{role['id']}"), 404, "entity.not_exists_with_id")
    hooked.assert_nothing()


def test_role_scopes_assign_and_remove(api, subscribe, two_scopes) -> None:
    hooked = subscribe(ROLE_EVENTS)
    role = new_role(api)
    hooked.next(1)
    read, write = two_scopes
    rid = role["id"]

    added = api.post(f"/roles/{rid}/scopes", json={"scopeIds": [read["id"]]})
    assert added.status_code == 201, added.text
    assert added.json() == [read]
    hooked.next(1)
    added = api.post(f"/roles/{rid}/scopes", json={"scopeIds": [write["id"]]})
    assert added.status_code == 201, added.text
    # The answer (and the event) hold all the role's scopes.
    assert added.json() == [read, write]
    body = hooked.one()
    assert_like_logto(body, "Role.Scopes.Updated", "POST /roles/:id/scopes")
    assert (body["data"], body["status"], body["params"]) == (added.json(), 201, {"id": rid})

    listed = api.get(f"/roles/{rid}/scopes").json()
    assert [item["id"] for item in listed] == [read["id"], write["id"]]
    assert listed[0]["resource"]["id"] == read["resourceId"]
    assert list(listed[0]) == [*read, "resource"]
    paged = api.get(f"/roles/{rid}/scopes", params={"page_size": 1})
    assert len(paged.json()) == 1 and paged.headers["total-number"] == "2"

    removed = api.delete(f"/roles/{rid}/scopes/{write['id']}")
    assert removed.status_code == 204
    body = hooked.one()
    assert_like_logto(body, "Role.Scopes.Updated", "DELETE /roles/:id/scopes/:scopeId")
    assert "data" not in body
    assert body["params"] == {"id": rid, "scopeId": write["id"]}
    assert [item["id"] for item in api.get(f"/roles/{rid}/scopes").json()] == [read["id"]]
    hooked.assert_nothing()


def test_create_with_scope_ids_also_fires_role_scopes_updated(api, subscribe, two_scopes) -> None:
    hooked = subscribe(ROLE_EVENTS)
    ids = [scope["id"] for scope in two_scopes]
    created = api.post(
        "/roles", json={"name": unique(), "description": "d", "scopeIds": list(reversed(ids))}
    )
    assert created.status_code == 200, created.text
    role = created.json()
    bodies = {body["event"]: body for body in hooked.next(2)}
    assert set(bodies) == {"Role.Created", "Role.Scopes.Updated"}
    assert_like_logto(bodies["Role.Created"], "Role.Created", "POST /roles")

    scopes_updated = bodies["Role.Scopes.Updated"]
    # SPEC §2.4/§3.5: the creation's context, then roleId, then data (the assigned scopes).
    assert list(scopes_updated) == [
        "event",
        "createdAt",
        "userAgent",
        "ip",
        "path",
        "method",
        "status",
        "params",
        "matchedRoute",
        "roleId",
        "data",
        "hookId",
    ]
    assert (scopes_updated["path"], scopes_updated["method"], scopes_updated["status"]) == (
        "/roles",
        "POST",
        200,
    )
    assert (scopes_updated["params"], scopes_updated["matchedRoute"]) == ({}, "/roles")
    assert scopes_updated["roleId"] == role["id"]
    assert scopes_updated["data"] == two_scopes
    scope_shape = shape(logto_capture("Scope.Created")["data"])
    assert [shape(item) for item in scopes_updated["data"]] == [scope_shape] * 2
    listed = api.get(f"/roles/{role['id']}/scopes").json()
    assert sorted(item["id"] for item in listed) == sorted(ids)


def test_create_with_empty_scope_ids_fires_it_too(api, subscribe) -> None:
    """Logto tests `if (scopeIds)`, and an empty array is truthy in JavaScript."""
    hooked = subscribe(["Role.Scopes.Updated"])
    role = new_role(api, scopeIds=[])
    body = hooked.one()
    assert (body["event"], body["roleId"], body["data"]) == ("Role.Scopes.Updated", role["id"], [])
    new_role(api)
    hooked.assert_nothing()


def test_list_roles_paginates_with_counts(api) -> None:
    role = new_role(api, type="MachineToMachine")
    listed = api.get("/roles", params={"page_size": 100})
    assert listed.status_code == 200
    assert int(listed.headers["total-number"]) >= 1
    mine = next(item for item in listed.json() if item["id"] == role["id"])
    assert mine == {
        **role,
        "usersCount": 0,
        "featuredUsers": [],
        "applicationsCount": 0,
        "featuredApplications": [],
    }
    machine = api.get("/roles", params={"type": "MachineToMachine", "page_size": 100}).json()
    assert role["id"] in [item["id"] for item in machine]
    assert all(item["type"] == "MachineToMachine" for item in machine)
    assert len(api.get("/roles", params={"page_size": 1}).json()) == 1
    error(api.get("/roles", params={"type": "Robot"}), 400, "guard.invalid_input")
    error(api.get("/roles", params={"page_size": 0}), 400, "guard.invalid_input")


BAD_ROLE_BODIES = [
    {"description": "no name"},
    {"name": "no_description"},
    {"name": "", "description": "d"},
    {"name": 5, "description": "d"},
    {"name": "x" * 129, "description": "d"},
    {"name": "n", "description": None},
    {"name": "n", "description": "d", "type": "Robot"},
    {"name": "n", "description": "d", "isDefault": "yes"},
    {"name": "n", "description": "d", "scopeIds": "s"},
    {"name": "n", "description": "d", "scopeIds": [""]},
    {"name": "n", "description": "d", "scopeIds": [1]},
    ["n"],
]


def test_bad_role_bodies_are_400_and_fire_nothing(api, subscribe) -> None:
    hooked = subscribe(ROLE_EVENTS)
    for body in BAD_ROLE_BODIES:
        error(api.post("/roles", json=body), 400, "guard.invalid_input")
    hooked.assert_nothing()


def test_conflicts_and_unknown_ids_answer_logto_codes_and_fire_nothing(
    api, subscribe, two_scopes
) -> None:
    hooked = subscribe(ROLE_EVENTS)
    role = new_role(api)
    other = new_role(api)
    hooked.next(2)
    read, write = two_scopes
    rid = role["id"]

    dup = {"name": role["name"], "description": "d"}
    error(api.post("/roles", json=dup), 422, "role.name_in_use")
    error(api.patch(f"/roles/{other['id']}", json={"name": role["name"]}), 422, "role.name_in_use")
    # Unknown scope ids: 404, and the role is not left behind.
    fresh = unique()
    with_unknown = {"name": fresh, "description": "d", "scopeIds": [read["id"], "nope"]}
    error(api.post("/roles", json=with_unknown), 404, "entity.not_exists_with_id")
    names = [item["name"] for item in api.get("/roles", params={"page_size": 100}).json()]
    assert fresh not in names

    error(api.get("/roles/nope"), 404, "entity.not_exists_with_id")
    error(api.patch("/roles/nope", json={"description": "x"}), 404, "entity.not_exists_with_id")
    error(api.delete("/roles/nope"), 404, "entity.not_exists_with_id")
    error(api.patch(f"/roles/{rid}", json={"isDefault": 1}), 400, "guard.invalid_input")
    error(api.patch(f"/roles/{rid}", json={"name": None}), 400, "guard.invalid_input")

    scopes_url = f"/roles/{rid}/scopes"
    error(api.post(scopes_url, json={"scopeIds": []}), 400, "guard.invalid_input")
    error(api.post(scopes_url, json={}), 400, "guard.invalid_input")
    error(api.post(scopes_url, json={"scopeIds": ["nope"]}), 404, "entity.not_exists_with_id")
    error(
        api.post("/roles/nope/scopes", json={"scopeIds": [read["id"]]}),
        404,
        "entity.not_exists_with_id",
    )
    error(api.get("/roles/nope/scopes"), 404, "entity.not_exists_with_id")
    error(api.delete(f"{scopes_url}/{read['id']}"), 404, "entity.not_found")
    hooked.assert_nothing()

    assert api.post(scopes_url, json={"scopeIds": [read["id"]]}).status_code == 201
    hooked.next(1)
    again = api.post(scopes_url, json={"scopeIds": [write["id"], read["id"]]})
    error(again, 422, "role.scope_exists")
    # Nothing of the failed call stayed: write:x is still unassigned.
    assert [item["id"] for item in api.get(scopes_url).json()] == [read["id"]]
    hooked.assert_nothing()


def test_deleting_a_scope_or_role_drops_assignments(api, two_scopes) -> None:
    read, write = two_scopes
    role = new_role(api, scopeIds=[read["id"], write["id"]])
    deleted = api.delete(f"/resources/{read['resourceId']}/scopes/{read['id']}")
    assert deleted.status_code == 204
    assert [item["id"] for item in api.get(f"/roles/{role['id']}/scopes").json()] == [write["id"]]
    assert api.delete(f"/roles/{role['id']}").status_code == 204
    # The name is free again.
    assert api.post("/roles", json={"name": role["name"], "description": "d"}).status_code == 200
