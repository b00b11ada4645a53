"""Management API access comes from roles, as in Logto: the Management API is a resource with
one scope, `all`; a machine-to-machine application holds it only through a MachineToMachine role
that has it; `/oidc/token` grants only what the application's roles give; and the guard checks
the scope, the issuer and that the application still has that access, at every request."""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from typing import Any

import httpx
import jwt
import pytest
from alembic import command

from hookline.api.deps import needs_token
from hookline.app import create_app
from hookline.auth.applications import hash_secret
from hookline.config import Settings
from hookline.db.engine import make_engine
from hookline.db.migrate import alembic_config
from tests.support.server import ADMIN_ID, ADMIN_SECRET, RESOURCE, Server

pytestmark = pytest.mark.slow  # starts hookline processes

DOCUMENT = create_app(Settings(database_url="sqlite:////nonexistent/never-opened.db")).openapi()
# Every Management API route of the OpenAPI document, its path parameters filled in.
MANAGEMENT_ROUTES = sorted(
    (method.upper(), re.sub(r"\{[^}]+\}", "some-id", path))
    for path, operations in DOCUMENT["paths"].items()
    if needs_token(path)
    for method in operations
)
ACCESS_ROLE = "Logto Management API access"


def token_response(server: Server, client_id: str, secret: str, **form: str) -> httpx.Response:
    return httpx.post(
        f"{server.base}/oidc/token",
        data={"grant_type": "client_credentials", "resource": RESOURCE, "scope": "all", **form},
        auth=(client_id, secret),
    )


def token_of(server: Server, app: dict[str, Any], **form: str) -> str:
    response = token_response(server, app["id"], app["secret"], **form)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def new_m2m(api: httpx.Client, name: str = "m2m") -> dict[str, Any]:
    response = api.post("/applications", json={"name": name, "type": "MachineToMachine"})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
def access_role(api: httpx.Client) -> dict[str, Any]:
    roles = api.get("/roles", params={"type": "MachineToMachine", "page_size": 100}).json()
    (role,) = [role for role in roles if role["name"] == ACCESS_ROLE]
    return role


def code_of(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json().get("code")


# ---- The Management API is a resource, with one scope, held by one seeded role ----------------


def test_the_management_api_is_a_resource_with_the_all_scope(api: httpx.Client) -> None:
    listed = api.get("/resources", params={"includeScopes": "true"}).json()
    (management,) = [item for item in listed if item["indicator"] == RESOURCE]
    assert (management["id"], management["name"]) == ("management-api", "Logto Management API")
    assert [(s["id"], s["name"]) for s in management["scopes"]] == [("management-api-all", "all")]


def test_the_management_api_resource_cannot_be_changed(api: httpx.Client) -> None:
    base = "/resources/management-api"
    assert code_of(api.patch(base, json={"name": "mine"})) == (
        400,
        "resource.cannot_modify_management_api",
    )
    assert code_of(api.delete(base)) == (400, "resource.cannot_delete_management_api")
    refused = (400, "resource.cannot_modify_management_api")
    assert code_of(api.post(f"{base}/scopes", json={"name": "read"})) == refused
    assert code_of(api.patch(f"{base}/scopes/management-api-all", json={"name": "x"})) == refused
    assert code_of(api.delete(f"{base}/scopes/management-api-all")) == refused
    assert api.get(base).json()["name"] == "Logto Management API"


def test_the_access_role_holds_the_all_scope(api: httpx.Client, access_role: dict) -> None:
    assert access_role["type"] == "MachineToMachine"
    scopes = api.get(f"/roles/{access_role['id']}/scopes").json()
    assert [(s["id"], s["resource"]["indicator"]) for s in scopes] == [
        ("management-api-all", RESOURCE)
    ]


# ---- An application without the role is refused everywhere ------------------------------------


@pytest.fixture(scope="module")
def roleless(api: httpx.Client, server: Server) -> dict[str, Any]:
    app = new_m2m(api, "no role")
    response = token_response(server, app["id"], app["secret"])
    assert response.status_code == 200, response.text
    return {**app, "token": response.json()["access_token"], "answer": response.json()}


def test_a_token_grants_no_scope_the_roles_do_not_give(roleless: dict) -> None:
    # As Logto: a token without the scope asked for (no `scope` in the answer or the token).
    assert "scope" not in roleless["answer"]
    claims = jwt.decode(roleless["token"], options={"verify_signature": False})
    assert "scope" not in claims
    assert claims["sub"] == claims["client_id"] == roleless["id"]


@pytest.mark.parametrize(("method", "path"), MANAGEMENT_ROUTES)
def test_an_application_without_the_role_is_refused_on_every_route(
    server: Server, roleless: dict, method: str, path: str
) -> None:
    response = httpx.request(method, server.base + path, json={}, headers=bearer(roleless["token"]))
    assert code_of(response) == (403, "auth.forbidden"), response.text


def test_the_sweep_covers_the_routes_that_leaked_secrets() -> None:
    for route in [
        ("GET", "/api/hooks"),
        ("GET", "/api/hooks/some-id"),
        ("POST", "/api/applications"),
        ("POST", "/api/applications/some-id/roles"),
        ("POST", "/api/hook-events"),
    ]:
        assert route in MANAGEMENT_ROUTES


def test_signing_keys_stay_out_of_reach_without_the_role(
    api: httpx.Client, server: Server, roleless: dict
) -> None:
    hook = api.post(
        "/hooks",
        json={
            "events": ["User.Created"],
            "config": {"url": "http://127.0.0.1:9/x", "headers": {"Authorization": "Bearer s3"}},
        },
    ).json()
    response = httpx.get(f"{server.base}/api/hooks/{hook['id']}", headers=bearer(roleless["token"]))
    assert response.status_code == 403
    assert hook["signingKey"] not in response.text and "s3" not in response.text
    api.delete(f"/hooks/{hook['id']}")


# ---- Access given by a role, and taken back at once -------------------------------------------


def test_the_role_gives_access_and_taking_it_back_works_at_once(
    api: httpx.Client, server: Server, access_role: dict
) -> None:
    app = new_m2m(api)
    before = token_of(server, app)
    added = api.post(f"/applications/{app['id']}/roles", json={"roleIds": [access_role["id"]]})
    assert added.status_code == 201, added.text
    assert added.json() == {"roleIds": [access_role["id"]], "addedRoleIds": [access_role["id"]]}

    # A token issued before the role carries no scope, and stays refused (as in Logto).
    assert httpx.get(f"{server.base}/api/hooks", headers=bearer(before)).status_code == 403
    issued = token_response(server, app["id"], app["secret"])
    assert issued.json()["scope"] == "all"
    token = issued.json()["access_token"]
    assert httpx.get(f"{server.base}/api/hooks", headers=bearer(token)).status_code == 200

    removed = api.delete(f"/applications/{app['id']}/roles/{access_role['id']}")
    assert removed.status_code == 204
    response = httpx.get(f"{server.base}/api/hooks", headers=bearer(token))
    assert code_of(response) == (403, "auth.forbidden")


def test_a_deleted_applications_token_stops_working_at_once(
    api: httpx.Client, server: Server, access_role: dict
) -> None:
    app = new_m2m(api)
    api.post(f"/applications/{app['id']}/roles", json={"roleIds": [access_role["id"]]})
    token = token_of(server, app)
    assert httpx.get(f"{server.base}/api/hooks", headers=bearer(token)).status_code == 200

    assert api.delete(f"/applications/{app['id']}").status_code == 204
    response = httpx.get(f"{server.base}/api/hooks", headers=bearer(token))
    assert code_of(response) == (401, "auth.unauthorized")
    assert token_response(server, app["id"], app["secret"]).status_code == 401


def test_a_role_stripped_of_the_scope_takes_access_with_it(
    api: httpx.Client, server: Server
) -> None:
    created = api.post(
        "/roles",
        json={"name": "ops", "description": "Operators", "type": "MachineToMachine"},
    )
    assert created.status_code == 200, created.text
    role = created.json()
    given = api.post(f"/roles/{role['id']}/scopes", json={"scopeIds": ["management-api-all"]})
    assert given.status_code == 201, given.text
    app = new_m2m(api)
    api.post(f"/applications/{app['id']}/roles", json={"roleIds": [role["id"]]})
    token = token_of(server, app)
    assert httpx.get(f"{server.base}/api/roles", headers=bearer(token)).status_code == 200

    assert api.delete(f"/roles/{role['id']}/scopes/management-api-all").status_code == 204
    assert httpx.get(f"{server.base}/api/roles", headers=bearer(token)).status_code == 403
    api.post(f"/roles/{role['id']}/scopes", json={"scopeIds": ["management-api-all"]})
    assert httpx.get(f"{server.base}/api/roles", headers=bearer(token)).status_code == 200
    assert api.delete(f"/roles/{role['id']}").status_code == 204
    assert httpx.get(f"{server.base}/api/roles", headers=bearer(token)).status_code == 403


# ---- The guard checks the token's issuer and scope ---------------------------------------------


def test_a_token_issued_on_another_origin_is_refused(server: Server) -> None:
    other = httpx.post(
        f"{server.base}/oidc/token",
        data={"grant_type": "client_credentials", "scope": "all"},
        auth=(ADMIN_ID, ADMIN_SECRET),
        headers={"Host": "elsewhere.example"},
    )
    assert other.status_code == 200, other.text
    token = other.json()["access_token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["iss"] == "http://elsewhere.example/oidc"
    response = httpx.get(f"{server.base}/api/hooks", headers=bearer(token))
    assert code_of(response) == (401, "auth.unauthorized")


def test_with_a_public_url_every_origin_shares_one_issuer(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    public = "https://hooks.example.com"
    srv = Server(tmp_path_factory.mktemp("public"), HOOKLINE_PUBLIC_URL=public + "/").start()
    try:
        token = srv.token()
        assert jwt.decode(token, options={"verify_signature": False})["iss"] == f"{public}/oidc"
        for host in (f"127.0.0.1:{srv.port}", "elsewhere.example"):
            response = httpx.get(f"{srv.base}/api/hooks", headers={**bearer(token), "Host": host})
            assert response.status_code == 200, (host, response.text)
    finally:
        srv.stop()


def test_tokens_for_other_resources_carry_their_scopes_and_stay_off_the_api(
    api: httpx.Client, server: Server
) -> None:
    resource = api.post(
        "/resources",
        json={"name": "Photos", "indicator": "https://photos.example/api", "accessTokenTtl": 600},
    ).json()
    read = api.post(f"/resources/{resource['id']}/scopes", json={"name": "read:photos"}).json()
    api.post(f"/resources/{resource['id']}/scopes", json={"name": "write:photos"})
    role = api.post(
        "/roles",
        json={
            "name": "photo reader",
            "description": "d",
            "type": "MachineToMachine",
            "scopeIds": [read["id"]],
        },
    ).json()
    app = new_m2m(api)
    api.post(f"/applications/{app['id']}/roles", json={"roleIds": [role["id"]]})

    answer = token_response(
        server,
        app["id"],
        app["secret"],
        resource=resource["indicator"],
        scope="read:photos write:photos",
    ).json()
    assert (answer["scope"], answer["expires_in"]) == ("read:photos", 600)
    claims = jwt.decode(answer["access_token"], options={"verify_signature": False})
    assert (claims["aud"], claims["scope"]) == (resource["indicator"], "read:photos")
    response = httpx.get(f"{server.base}/api/hooks", headers=bearer(answer["access_token"]))
    assert code_of(response) == (401, "auth.unauthorized")
    # Without `scope`, hookline grants every scope the roles give.
    default = token_response(
        server, app["id"], app["secret"], resource=resource["indicator"], scope=""
    )
    assert default.json()["scope"] == "read:photos"
    unknown = token_response(server, app["id"], app["secret"], resource="https://nowhere.example")
    assert (unknown.status_code, unknown.json()["error"]) == (400, "invalid_target")


# ---- /api/applications/:id/roles --------------------------------------------------------------


def test_application_roles_answer_as_logto(api: httpx.Client, access_role: dict) -> None:
    app = new_m2m(api)
    base = f"/applications/{app['id']}/roles"
    other = api.post(
        "/roles", json={"name": "m2m other", "description": "d", "type": "MachineToMachine"}
    ).json()
    user_role = api.post("/roles", json={"name": "a user role", "description": "d"}).json()

    listed = api.get(base)
    assert (listed.status_code, listed.json(), listed.headers["total-number"]) == (200, [], "0")
    both = [access_role["id"], other["id"]]
    assert api.post(base, json={"roleIds": both}).json()["addedRoleIds"] == both
    again = api.post(base, json={"roleIds": [other["id"], other["id"]]})
    assert again.status_code == 201 and again.json()["addedRoleIds"] == []
    listed = api.get(base, params={"page_size": 1})
    assert listed.headers["total-number"] == "2"
    assert [role["id"] for role in listed.json()] == [other["id"]]  # newest first
    assert set(listed.json()[0]) == {"tenantId", "id", "name", "description", "type", "isDefault"}

    assert api.put(base, json={"roleIds": [other["id"]]}).status_code == 200
    assert [role["id"] for role in api.get(base).json()] == [other["id"]]

    assert code_of(api.post(base, json={"roleIds": [user_role["id"]]})) == (
        422,
        "application.invalid_role_type",
    )
    assert code_of(api.put(base, json={"roleIds": [user_role["id"]]})) == (
        422,
        "application.invalid_role_type",
    )
    assert code_of(api.post(base, json={"roleIds": ["nope"]})) == (
        404,
        "entity.not_exists_with_id",
    )
    assert code_of(api.post(base, json={"roleIds": "x"}))[0] == 400
    assert code_of(api.delete(f"{base}/{access_role['id']}")) == (404, "entity.not_found")
    assert api.delete(f"{base}/{other['id']}").status_code == 204

    spa = api.post("/applications", json={"name": "spa", "type": "SPA"}).json()
    for response in (
        api.get(f"/applications/{spa['id']}/roles"),
        api.post(f"/applications/{spa['id']}/roles", json={"roleIds": [other["id"]]}),
        api.delete(f"/applications/{spa['id']}/roles/{other['id']}"),
    ):
        assert code_of(response) == (422, "application.invalid_type")
    assert code_of(api.get("/applications/nope/roles")) == (404, "entity.not_exists_with_id")


def test_roles_list_counts_their_applications(api: httpx.Client) -> None:
    role = api.post(
        "/roles", json={"name": "counted", "description": "d", "type": "MachineToMachine"}
    ).json()
    apps = [new_m2m(api, f"app {n}") for n in range(4)]
    for app in apps:
        api.post(f"/applications/{app['id']}/roles", json={"roleIds": [role["id"]]})
    listed = api.get("/roles", params={"type": "MachineToMachine", "page_size": 100}).json()
    (item,) = [item for item in listed if item["id"] == role["id"]]
    assert item["applicationsCount"] == 4
    assert item["featuredApplications"] == [
        {"id": app["id"], "name": app["name"], "type": "MachineToMachine"} for app in apps[:3]
    ]


# ---- The bootstrap application -----------------------------------------------------------------


def test_a_restart_gives_the_bootstrap_application_its_access_back(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    srv = Server(tmp_path_factory.mktemp("bootstrap")).start()
    try:
        with srv.client() as api:
            roles = api.get("/roles", params={"type": "MachineToMachine"}).json()
            (role,) = [role for role in roles if role["name"] == ACCESS_ROLE]
            assert api.delete(f"/roles/{role['id']}").status_code == 204
            assert api.get("/hooks").status_code == 403
        srv.stop()
        srv.start()
        with srv.client() as api:
            assert api.get("/hooks").status_code == 200
            roles = api.get("/roles", params={"type": "MachineToMachine"}).json()
            assert [role["name"] for role in roles] == [ACCESS_ROLE]
    finally:
        srv.stop()


@pytest.mark.backend_independent
def test_upgrading_keeps_the_bootstrap_applications_access_and_only_theirs(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """A database from before roles: its bootstrap application keeps access, another
    machine-to-machine application, which had it too, loses it."""
    data_dir = tmp_path_factory.mktemp("upgrade")
    path = data_dir / "hookline.db"
    engine = make_engine(f"sqlite:///{path}")
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0006")
    engine.dispose()
    with closing(sqlite3.connect(path)) as conn, conn:
        for app_id, is_admin in ((ADMIN_ID, 1), ("other-m2m", 0)):
            conn.execute(
                "INSERT INTO applications (id, name, type, secret_hash, is_admin, created_at)"
                " VALUES (?, 'app', 'MachineToMachine', ?, ?, 0)",
                (app_id, hash_secret(ADMIN_SECRET), is_admin),
            )
    srv = Server(data_dir, HOOKLINE_DATABASE_URL=f"sqlite:///{path}").start()
    try:
        assert httpx.get(f"{srv.base}/api/hooks", headers=bearer(srv.token())).status_code == 200
        other = token_response(srv, "other-m2m", ADMIN_SECRET).json()["access_token"]
        assert httpx.get(f"{srv.base}/api/hooks", headers=bearer(other)).status_code == 403
    finally:
        srv.stop()


# ---- Refusals reach the log, without secrets ----------------------------------------------------


def test_refusals_are_logged_without_secrets(server: Server, roleless: dict) -> None:
    bad_secret = "not-the-secret-4f1c"
    assert token_response(server, ADMIN_ID, bad_secret).status_code == 401
    assert (
        httpx.get(f"{server.base}/api/hooks", headers=bearer("garbage.token.x")).status_code == 401
    )
    httpx.get(f"{server.base}/api/roles", headers=bearer(roleless["token"]))
    # The server writes each line before it answers: the log holds them now.
    log = server.log.read_text()
    assert re.search(rf"token refused.*client_id={ADMIN_ID}", log), log[-2000:]
    assert re.search(r"request refused.*code=auth\.unauthorized.*path=/api/hooks", log)
    assert re.search(
        rf"request refused.*code=auth\.forbidden.*path=/api/roles.*client_id={roleless['id']}", log
    )
    assert bad_secret not in log and "garbage.token.x" not in log
    assert roleless["token"] not in log and roleless["secret"] not in log
