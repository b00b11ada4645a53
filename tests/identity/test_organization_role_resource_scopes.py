"""`/organization-roles/:id/resource-scopes`: Logto's relation routes for the resource scopes an
organization role grants. They are not in Logto's event table, so none of them fires a webhook,
whether it succeeds or fails."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from hookline.events.catalog import DATA_EVENTS
from tests.support.organizations import fires_nothing, tag
from tests.support.roles_resources import new_resource, new_scope

FK = "entity.relation_foreign_key_not_found"


@pytest.fixture
def scopes(api: httpx.Client) -> list[dict[str, Any]]:
    """Two scopes of a new resource, the first one older."""
    resource = new_resource(api)
    return [new_scope(api, resource["id"], name) for name in ("read:a", "write:a")]


def make_role(api: httpx.Client, **fields: Any) -> dict[str, Any]:
    response = api.post("/organization-roles", json={"name": f"r-{tag()}", **fields})
    assert response.status_code == 201, response.text
    return response.json()


def granted(api: httpx.Client, role_id: str) -> list[str]:
    response = api.get(f"/organization-roles/{role_id}/resource-scopes")
    assert response.status_code == 200, response.text
    return sorted(scope["id"] for scope in response.json())


def test_list_resource_scopes(api, server, scopes, subscribe) -> None:
    role = make_role(api, resourceScopeIds=[scope["id"] for scope in scopes])
    hooked = subscribe(list(DATA_EVENTS))
    path = f"/organization-roles/{role['id']}/resource-scopes"
    listed = api.get(path)
    assert listed.status_code == 200, listed.text
    assert sorted(listed.json(), key=lambda s: s["id"]) == sorted(scopes, key=lambda s: s["id"])
    assert listed.headers["total-number"] == "2"
    one = api.get(path, params={"page": 2, "page_size": 1})
    assert len(one.json()) == 1 and one.headers["total-number"] == "2"
    first_page = api.get(path, params={"page_size": 1}).json()
    assert one.json()[0] in scopes and one.json() != first_page

    check = fires_nothing(server)
    check(api.get("/organization-roles/nope/resource-scopes"), 404, "entity.not_exists_with_id")
    check(api.get(path, params={"page": 0}), 400, "guard.invalid_input")
    hooked.assert_nothing()


def test_add_resource_scopes(api, server, scopes, subscribe) -> None:
    role = make_role(api)
    hooked = subscribe(list(DATA_EVENTS))
    path = f"/organization-roles/{role['id']}/resource-scopes"
    first, second = scopes
    response = api.post(path, json={"scopeIds": [first["id"]]})
    assert (response.status_code, response.text) == (201, "Created")
    assert granted(api, role["id"]) == [first["id"]]
    # Granting again keeps what is granted, as Logto does.
    again = api.post(path, json={"scopeIds": [first["id"], second["id"], second["id"]]})
    assert again.status_code == 201, again.text
    assert granted(api, role["id"]) == sorted([first["id"], second["id"]])
    listed = [r for r in api.get("/organization-roles").json() if r["id"] == role["id"]]
    assert {s["id"] for s in listed[0]["resourceScopes"]} == {first["id"], second["id"]}

    check = fires_nothing(server)
    check(api.post(path, json={"scopeIds": []}), 400, "guard.invalid_input")
    check(api.post(path, json={"scopeIds": [""]}), 400, "guard.invalid_input")
    check(api.post(path, json={"scopeIds": "x"}), 400, "guard.invalid_input")
    check(api.post(path, json={"organizationScopeIds": [first["id"]]}), 400, "guard.invalid_input")
    check(api.post(path, json={"scopeIds": ["nope"]}), 422, FK)
    unknown_role = "/organization-roles/nope/resource-scopes"
    check(api.post(unknown_role, json={"scopeIds": [first["id"]]}), 422, FK)
    hooked.assert_nothing()


def test_replace_resource_scopes(api, server, scopes, subscribe) -> None:
    first, second = scopes
    role = make_role(api, resourceScopeIds=[first["id"]])
    hooked = subscribe(list(DATA_EVENTS))
    path = f"/organization-roles/{role['id']}/resource-scopes"
    response = api.put(path, json={"scopeIds": [second["id"]]})
    assert (response.status_code, response.content) == (204, b"")
    assert granted(api, role["id"]) == [second["id"]]

    check = fires_nothing(server)
    check(api.put(path, json={"scopeIds": [first["id"], "nope"]}), 422, FK)
    assert granted(api, role["id"]) == [second["id"]]  # rolled back, nothing removed
    check(api.put(path, json={}), 400, "guard.invalid_input")
    check(api.put(path, json={"scopeIds": [3]}), 400, "guard.invalid_input")
    check(api.put("/organization-roles/nope/resource-scopes", json={"scopeIds": []}), 422, FK)

    assert api.put(path, json={"scopeIds": []}).status_code == 204
    assert granted(api, role["id"]) == []
    hooked.assert_nothing()


def test_remove_resource_scope(api, server, scopes, subscribe) -> None:
    first, second = scopes
    role = make_role(api, resourceScopeIds=[first["id"], second["id"]])
    hooked = subscribe(list(DATA_EVENTS))
    path = f"/organization-roles/{role['id']}/resource-scopes"
    response = api.delete(f"{path}/{first['id']}")
    assert (response.status_code, response.content) == (204, b"")
    assert granted(api, role["id"]) == [second["id"]]

    check = fires_nothing(server)
    check(api.delete(f"{path}/{first['id']}"), 404, "entity.not_found")
    check(
        api.delete(f"/organization-roles/nope/resource-scopes/{second['id']}"),
        404,
        "entity.not_found",
    )
    # An organization scope route does not reach resource scopes.
    organization_scope = f"/organization-roles/{role['id']}/scopes/{second['id']}"
    check(api.delete(organization_scope), 404, "entity.not_found")
    assert granted(api, role["id"]) == [second["id"]]
    hooked.assert_nothing()
