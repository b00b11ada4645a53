"""`/api/applications`: Logto's answers (no events), and client credentials for M2M apps."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from tests.support.roles_resources import error
from tests.support.server import RESOURCE, Server

# Every data event: applications must fire none of them.
ALL_DATA_EVENTS = ["User.Created", "Role.Created", "Scope.Created", "Organization.Created"]
# Logto 1.37.1's answer to POST /applications, key order included (api-responses.json).
LOGTO_KEYS = [
    "tenantId",
    "id",
    "name",
    "secret",
    "description",
    "type",
    "oidcClientMetadata",
    "customClientMetadata",
    "protectedAppMetadata",
    "customData",
    "isThirdParty",
    "createdAt",
]


def logto_created_application() -> dict[str, Any]:
    path = Path(__file__).parent.parent / "fixtures" / "logto_api_responses.json"
    calls = json.loads(path.read_text())["all_management_api_calls"]
    call = next(c for c in calls if c["method"] == "POST" and c["path"] == "/applications")
    return call["response"]


def new_app(api: httpx.Client, **body: Any) -> dict[str, Any]:
    response = api.post("/applications", json={"name": "app", "type": "SPA", **body})
    assert response.status_code == 200, response.text
    return response.json()


def token(server: Server, client_id: str, secret: str) -> httpx.Response:
    return httpx.post(
        f"{server.base}/oidc/token",
        data={"grant_type": "client_credentials", "resource": RESOURCE, "scope": "all"},
        auth=(client_id, secret),
    )


def test_create_answers_logto_shape_once_with_the_secret(api, subscribe) -> None:
    hooked = subscribe(ALL_DATA_EVENTS)
    metadata = {"redirectUris": ["http://127.0.0.1:9901/callback"], "postLogoutRedirectUris": []}
    created = new_app(api, name="exp-spa", oidcClientMetadata=metadata)
    logto = logto_created_application()
    assert list(created) == LOGTO_KEYS == list(logto)
    assert {k: type(v) for k, v in created.items()} == {k: type(v) for k, v in logto.items()}
    assert (created["name"], created["type"], created["oidcClientMetadata"]) == (
        "exp-spa",
        "SPA",
        metadata,
    )
    assert (created["customClientMetadata"], created["protectedAppMetadata"]) == ({}, None)
    assert (created["customData"], created["isThirdParty"]) == ({}, False)
    assert len(created["secret"]) >= 32

    # Only the hash is kept: later answers have no `secret`.
    got = api.get(f"/applications/{created['id']}").json()
    expected = {k: v for k, v in created.items() if k != "secret"}
    assert got == {**expected, "isAdmin": False}
    assert expected in api.get("/applications").json()
    hooked.assert_nothing()


def test_defaults_update_and_delete_fire_nothing(api, subscribe) -> None:
    hooked = subscribe(ALL_DATA_EVENTS)
    app = new_app(api, type="Traditional", description="d", customData={"a": 1})
    assert app["oidcClientMetadata"] == {"redirectUris": [], "postLogoutRedirectUris": []}
    assert (app["description"], app["customData"]) == ("d", {"a": 1})
    url = f"/applications/{app['id']}"

    metadata = {
        "redirectUris": ["https://x.example/cb"],
        "postLogoutRedirectUris": [],
        "backchannelLogoutUri": "https://x.example/logout",
    }
    patched = api.patch(
        url,
        json={
            "name": "renamed",
            "description": None,
            "customData": {"b": 2},
            "oidcClientMetadata": metadata,
            "type": "Native",
        },
    )
    assert patched.status_code == 200, patched.text
    app.pop("secret")
    # JSON fields are replaced whole; the type cannot change.
    assert patched.json() == {
        **app,
        "name": "renamed",
        "description": None,
        "customData": {"b": 2},
        "oidcClientMetadata": metadata,
    }
    assert api.patch(url, json={}).json() == patched.json()

    assert api.delete(url).status_code == 204
    error(api.get(url), 404, "entity.not_exists_with_id")
    hooked.assert_nothing()


def test_list_filters_by_type_and_paginates(api) -> None:
    spa = new_app(api)
    m2m = new_app(api, type="MachineToMachine")
    listed = api.get("/applications", params={"types": "MachineToMachine"}).json()
    ids = [item["id"] for item in listed]
    assert m2m["id"] in ids and spa["id"] not in ids
    both = api.get("/applications", params=[("types", "SPA"), ("types", "MachineToMachine")])
    assert {spa["id"], m2m["id"]} <= {item["id"] for item in both.json()}
    # Newest first.
    newest = api.get("/applications", params={"page": 1, "page_size": 1})
    assert [item["id"] for item in newest.json()] == [m2m["id"]]
    assert int(newest.headers["total-number"]) >= 2
    error(api.get("/applications", params={"types": "SAML"}), 400, "guard.invalid_input")


def test_admin_application_stays_hidden(api) -> None:
    listed = api.get("/applications").json()
    assert "test-admin" not in [item["id"] for item in listed]
    error(api.get("/applications/test-admin"), 404, "entity.not_exists_with_id")
    error(api.delete("/applications/test-admin"), 404, "entity.not_exists_with_id")


def test_machine_to_machine_app_gets_tokens_until_deleted(api, server) -> None:
    """Tokens, but no Management API access without a role (tests/api/test_management_access)."""
    app = new_app(api, type="MachineToMachine")
    issued = token(server, app["id"], app["secret"])
    assert issued.status_code == 200, issued.text
    bearer = {"Authorization": f"Bearer {issued.json()['access_token']}"}
    with httpx.Client(base_url=f"{server.base}/api", headers=bearer) as own:
        assert own.get("/roles").status_code == 403

    assert token(server, app["id"], app["secret"] + "x").status_code == 401
    spa = new_app(api, type="SPA")
    assert token(server, spa["id"], spa["secret"]).status_code == 401
    assert api.delete(f"/applications/{app['id']}").status_code == 204
    assert token(server, app["id"], app["secret"]).status_code == 401


BAD_BODIES = [
    {"type": "SPA"},
    {"name": "x"},
    {"name": "", "type": "SPA"},
    {"name": 1, "type": "SPA"},
    {"name": "x", "type": "SAML"},
    {"name": "x", "type": "Protected"},
    {"name": "x", "type": "SPA", "description": 5},
    {"name": "x", "type": "SPA", "customData": []},
    {"name": "x", "type": "SPA", "customData": None},
    {"name": "x", "type": "SPA", "oidcClientMetadata": {"redirectUris": []}},
    {"name": "x", "type": "SPA", "oidcClientMetadata": None},
    {
        "name": "x",
        "type": "SPA",
        "oidcClientMetadata": {"redirectUris": [1], "postLogoutRedirectUris": []},
    },
]


def test_bad_input_answers_logto_codes_and_fires_nothing(api, subscribe) -> None:
    hooked = subscribe(ALL_DATA_EVENTS)
    before = len(api.get("/applications").json())
    for body in BAD_BODIES:
        error(api.post("/applications", json=body), 400, "guard.invalid_input")
    assert len(api.get("/applications").json()) == before
    app = new_app(api)
    url = f"/applications/{app['id']}"
    for body in ({"name": None}, {"name": ""}, {"customData": "x"}, {"description": []}):
        error(api.patch(url, json=body), 400, "guard.invalid_input")
    error(api.patch("/applications/nope", json={"name": "x"}), 404, "entity.not_exists_with_id")
    error(api.delete("/applications/nope"), 404, "entity.not_exists_with_id")
    hooked.assert_nothing()
