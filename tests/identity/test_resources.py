"""`/api/resources` and their scopes: Logto's answers, and the Scope.* webhooks."""

from __future__ import annotations

import pytest

from hookline.events.catalog import DATA_EVENTS
from tests.support.roles_resources import (
    assert_like_logto,
    error,
    new_resource,
    new_scope,
)

SCOPE_EVENTS = ["Scope.Created", "Scope.Data.Updated", "Scope.Deleted"]


def test_resource_crud_answers_as_logto_and_fires_nothing(api, subscribe) -> None:
    hooked = subscribe(SCOPE_EVENTS)
    created = new_resource(api, accessTokenTtl=7200, isDefault=True)
    assert list(created) == [
        "tenantId",
        "id",
        "name",
        "indicator",
        "isDefault",
        "accessTokenTtl",
        "scopes",
    ]
    assert created["tenantId"] == "default"
    assert len(created["id"]) == 21
    # isDefault is not settable on creation (Logto drops it); TTL is.
    assert (created["isDefault"], created["accessTokenTtl"], created["scopes"]) == (
        False,
        7200,
        [],
    )
    rid = created["id"]
    expected = {k: v for k, v in created.items() if k != "scopes"}
    assert api.get(f"/resources/{rid}").json() == expected

    patched = api.patch(
        f"/resources/{rid}", json={"name": "Renamed", "indicator": "https://other.example/"}
    )
    assert patched.status_code == 200, patched.text
    assert patched.json() == {**expected, "name": "Renamed"}

    listed = api.get("/resources").json()
    assert {**expected, "name": "Renamed"} in listed

    assert api.delete(f"/resources/{rid}").status_code == 204
    error(api.get(f"/resources/{rid}"), 404, "entity.not_exists_with_id")
    hooked.assert_nothing()


def test_default_ttl_and_list_with_scopes_and_pages(api) -> None:
    resource = new_resource(api)
    assert resource["accessTokenTtl"] == 3600
    scope = new_scope(api, resource["id"])
    listed = api.get("/resources", params={"includeScopes": "true"}).json()
    mine = next(item for item in listed if item["id"] == resource["id"])
    assert mine["scopes"] == [scope]
    assert all("scopes" not in item for item in api.get("/resources").json())

    paged = api.get("/resources", params={"page": 1, "page_size": 1})
    assert paged.status_code == 200
    assert len(paged.json()) == 1
    assert int(paged.headers["total-number"]) >= 1


@pytest.mark.parametrize(
    "body",
    [
        {"indicator": "https://x.example"},
        {"name": "x"},
        {"name": "", "indicator": "https://x.example"},
        {"name": 5, "indicator": "https://x.example"},
        {"name": "x", "indicator": None},
        {"name": "x", "indicator": "https://x.example", "accessTokenTtl": "60"},
        {"name": "x", "indicator": "https://x.example", "accessTokenTtl": -1},
        {"name": "x", "indicator": "https://x.example", "accessTokenTtl": None},
    ],
)
def test_bad_resource_bodies_are_400(api, body) -> None:
    error(api.post("/resources", json=body), 400, "guard.invalid_input")


def test_indicator_in_use_is_422(api) -> None:
    resource = new_resource(api)
    again = api.post("/resources", json={"name": "y", "indicator": resource["indicator"]})
    error(again, 422, "resource.resource_identifier_in_use")
    management = {"name": "y", "indicator": "https://default.logto.app/api"}
    error(api.post("/resources", json=management), 422, "resource.resource_identifier_in_use")


def test_unknown_resource_is_404(api) -> None:
    for response in (
        api.get("/resources/nope"),
        api.patch("/resources/nope", json={"name": "x"}),
        api.delete("/resources/nope"),
    ):
        error(response, 404, "entity.not_exists_with_id")
    error(api.patch("/resources/nope", json={"name": 1}), 400, "guard.invalid_input")


def test_scope_lifecycle_fires_logto_events(api, subscribe) -> None:
    hooked = subscribe(SCOPE_EVENTS)
    resource = new_resource(api)
    rid = resource["id"]

    created = api.post(
        f"/resources/{rid}/scopes", json={"name": "read:photos", "description": "Read photos"}
    )
    assert created.status_code == 201, created.text
    scope = created.json()
    assert list(scope) == ["tenantId", "id", "resourceId", "name", "description", "createdAt"]
    assert (scope["resourceId"], scope["name"], scope["description"]) == (
        rid,
        "read:photos",
        "Read photos",
    )
    body = hooked.one()
    assert_like_logto(body, "Scope.Created", "POST /resources/:resourceId/scopes")
    assert body["data"] == scope
    assert (body["path"], body["status"], body["params"]) == (
        f"/resources/{rid}/scopes",
        201,
        {"resourceId": rid},
    )

    sid = scope["id"]
    patched = api.patch(f"/resources/{rid}/scopes/{sid}", json={"description": "Read all"})
    assert patched.status_code == 200, patched.text
    assert patched.json() == {**scope, "description": "Read all"}
    body = hooked.one()
    assert_like_logto(body, "Scope.Data.Updated", "PATCH /resources/:resourceId/scopes/:scopeId")
    assert body["data"] == patched.json()
    assert body["params"] == {"resourceId": rid, "scopeId": sid}

    listed = api.get(f"/resources/{rid}/scopes")
    assert listed.json() == [patched.json()]
    assert listed.headers["total-number"] == "1"

    assert api.delete(f"/resources/{rid}/scopes/{sid}").status_code == 204
    body = hooked.one()
    assert_like_logto(body, "Scope.Deleted", "DELETE /resources/:resourceId/scopes/:scopeId")
    assert "data" not in body
    assert (body["status"], body["path"]) == (204, f"/resources/{rid}/scopes/{sid}")
    assert api.get(f"/resources/{rid}/scopes").json() == []
    hooked.assert_nothing()


def test_deleting_a_resource_drops_its_scopes_silently(api, subscribe) -> None:
    hooked = subscribe(SCOPE_EVENTS)
    resource = new_resource(api)
    new_scope(api, resource["id"])
    hooked.next(1)
    assert api.delete(f"/resources/{resource['id']}").status_code == 204
    assert api.get(f"/resources/{resource['id']}/scopes").json() == []
    hooked.assert_nothing()


def test_bad_scope_calls_answer_logto_codes_and_fire_nothing(api, subscribe) -> None:
    hooked = subscribe(SCOPE_EVENTS)
    resource = new_resource(api)
    rid = resource["id"]
    scope = new_scope(api, rid, "read:a")
    other = new_scope(api, rid, "read:b")
    hooked.next(2)
    base = f"/resources/{rid}/scopes"

    error(api.post(base, json={"name": "read:a"}), 422, "scope.name_exists")
    error(api.post(base, json={"name": "read a"}), 400, "scope.name_with_space")
    error(api.post(base, json={"description": "x"}), 400, "guard.invalid_input")
    error(api.post(base, json={"name": 3}), 400, "guard.invalid_input")
    error(api.post(base, json={"name": "x", "description": 3}), 400, "guard.invalid_input")
    error(api.post("/resources/nope/scopes", json={"name": "x"}), 404, "entity.not_exists_with_id")

    one = f"{base}/{scope['id']}"
    error(api.patch(one, json={"name": "read:b"}), 422, "scope.name_exists")
    error(api.patch(one, json={"name": "has space"}), 400, "scope.name_with_space")
    error(api.patch(one, json={"name": None}), 400, "guard.invalid_input")
    error(api.patch(f"{base}/nope", json={"name": "z"}), 404, "entity.not_exists_with_id")
    error(
        api.patch(f"/resources/nope/scopes/{scope['id']}", json={"name": "z"}),
        404,
        "entity.not_exists_with_id",
    )
    error(api.delete(f"{base}/nope"), 404, "entity.not_found")
    error(api.delete(f"/resources/nope/scopes/{other['id']}"), 404, "entity.not_exists_with_id")
    hooked.assert_nothing()

    # Renaming a scope to its own name is fine.
    same = api.patch(one, json={"name": "read:a", "description": None})
    assert same.status_code == 200, same.text
    assert same.json()["description"] is None


def test_set_default_resource_unsets_the_other_and_fires_nothing(api, subscribe) -> None:
    first, second = new_resource(api), new_resource(api)
    hooked = subscribe(list(DATA_EVENTS))

    def defaults() -> list[str]:
        return [item["id"] for item in api.get("/resources").json() if item["isDefault"]]

    response = api.patch(f"/resources/{first['id']}/is-default", json={"isDefault": True})
    assert response.status_code == 200, response.text
    expected = {k: v for k, v in first.items() if k != "scopes"}
    assert response.json() == {**expected, "isDefault": True}
    assert list(response.json()) == list(expected)
    assert defaults() == [first["id"]]

    second_path = f"/resources/{second['id']}/is-default"
    assert api.patch(second_path, json={"isDefault": True}).json()["isDefault"] is True
    assert defaults() == [second["id"]]
    assert api.get(f"/resources/{first['id']}").json()["isDefault"] is False

    for body in ({}, {"isDefault": None}, {"isDefault": "true"}, {"isDefault": 1}):
        error(api.patch(second_path, json=body), 400, "guard.invalid_input")
    # Logto's failed update: `entity.not_exists`, and the old default stays.
    unknown = api.patch("/resources/nope/is-default", json={"isDefault": True})
    error(unknown, 404, "entity.not_exists")
    assert unknown.json()["message"] == "The resource does not exist."
    unset_unknown = api.patch("/resources/nope/is-default", json={"isDefault": False})
    error(unset_unknown, 404, "entity.not_exists")
    assert defaults() == [second["id"]]

    unset = api.patch(second_path, json={"isDefault": False})
    assert unset.status_code == 200 and unset.json()["isDefault"] is False
    assert defaults() == []
    hooked.assert_nothing()
