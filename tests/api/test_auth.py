"""`/oidc/token`, `/oidc/jwks`, and the bearer token every `/api` route but status requires."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import jwt
import pytest

from tests.support.server import ADMIN_ID, ADMIN_SECRET, RESOURCE, Server

pytestmark = pytest.mark.slow  # starts hookline processes

CREDENTIALS = {"client_id": ADMIN_ID, "client_secret": ADMIN_SECRET}
HOOK_BODY = {"events": ["User.Created"], "config": {"url": "http://127.0.0.1:9/closed"}}
# Every Management API route, with a body it would accept: only the token can make it fail.
ROUTES = [
    ("GET", "/api/hooks", None),
    ("POST", "/api/hooks", HOOK_BODY),
    ("GET", "/api/hooks/{id}", None),
    ("PATCH", "/api/hooks/{id}", {"name": "renamed"}),
    ("DELETE", "/api/hooks/{id}", None),
    ("POST", "/api/hooks/{id}/test", {"events": ["PostSignIn"], **HOOK_BODY}),
    ("PATCH", "/api/hooks/{id}/signing-key", None),
    ("GET", "/api/hooks/{id}/recent-logs", None),
    ("POST", "/api/hook-events", {"event": "User.Created", "payload": {}}),
]
ROUTE_IDS = [f"{method} {path}" for method, path, _ in ROUTES]


def token_request(server: Server, data: dict[str, str], auth: tuple[str, str] | None = None):
    return httpx.post(f"{server.base}/oidc/token", data=data, auth=auth)


def call(server: Server, route: tuple, hook_id: str, authorization: str | None) -> httpx.Response:
    method, path, body = route
    headers = {"Authorization": authorization} if authorization else {}
    url = server.base + path.format(id=hook_id)
    return httpx.request(method, url, json=body, headers=headers)


@pytest.fixture(scope="module")
def hook_id(api: httpx.Client) -> str:
    """A real hook, so that every route would succeed if it skipped the token check."""
    return api.post("/hooks", json=HOOK_BODY).json()["id"]


def test_token_from_form_body(server: Server) -> None:
    response = token_request(
        server,
        {"grant_type": "client_credentials", "resource": RESOURCE, "scope": "all", **CREDENTIALS},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer" and body["scope"] == "all"
    assert body["expires_in"] == 3600
    hooks = httpx.get(
        f"{server.base}/api/hooks", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert hooks.status_code == 200


def test_token_with_http_basic_defaults_to_management_api(server: Server) -> None:
    response = token_request(
        server, {"grant_type": "client_credentials"}, auth=(ADMIN_ID, ADMIN_SECRET)
    )
    assert response.status_code == 200, response.text
    claims = jwt.decode(response.json()["access_token"], options={"verify_signature": False})
    assert claims["aud"] == RESOURCE
    assert claims["client_id"] == ADMIN_ID


@pytest.mark.parametrize(
    ("data", "auth"),
    [
        (
            {"grant_type": "client_credentials", "client_id": ADMIN_ID, "client_secret": "wrong"},
            None,
        ),
        ({"grant_type": "client_credentials"}, (ADMIN_ID, "wrong")),
        (
            {
                "grant_type": "client_credentials",
                "client_id": "nobody",
                "client_secret": ADMIN_SECRET,
            },
            None,
        ),
        ({"grant_type": "client_credentials"}, None),
    ],
    ids=["wrong-secret", "wrong-secret-basic", "unknown-client", "no-credentials"],
)
def test_bad_client_is_401_invalid_client(server: Server, data: dict, auth: tuple | None) -> None:
    response = token_request(server, data, auth)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert "access_token" not in response.json()


def test_unknown_resource_is_400(server: Server) -> None:
    response = token_request(
        server,
        {
            "grant_type": "client_credentials",
            "resource": "https://other.example/api",
            **CREDENTIALS,
        },
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_target"


@pytest.mark.parametrize("grant", ["password", "authorization_code", ""])
def test_unsupported_grant_is_400(server: Server, grant: str) -> None:
    response = token_request(server, {"grant_type": grant, **CREDENTIALS})
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


def test_jwks_key_verifies_the_token(server: Server) -> None:
    token = server.token()
    keys = httpx.get(f"{server.base}/oidc/jwks").json()["keys"]
    kid = jwt.get_unverified_header(token)["kid"]
    (jwk,) = [k for k in keys if k["kid"] == kid]
    claims = jwt.decode(token, jwt.PyJWK(jwk).key, algorithms=["RS256"], audience=RESOURCE)
    assert claims["iss"] == f"{server.base}/oidc"
    assert claims["sub"] == ADMIN_ID and claims["scope"] == "all"
    assert claims["exp"] - claims["iat"] == 3600
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token[:-4] + "AAAA", jwt.PyJWK(jwk).key, algorithms=["RS256"], audience=RESOURCE)


def test_status_needs_no_token(server: Server) -> None:
    assert httpx.get(f"{server.base}/api/status").status_code == 204


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer garbage", "Bearer", f"Basic {ADMIN_ID}:{ADMIN_SECRET}"],
    ids=["none", "garbage", "no-token", "basic"],
)
def test_api_routes_refuse_missing_or_bad_tokens(
    server: Server, hook_id: str, route: tuple, authorization: str | None
) -> None:
    response = call(server, route, hook_id, authorization)
    assert response.status_code == 401, response.text
    assert response.json()["code"].startswith("auth.")


def test_malformed_body_without_token_is_401_not_400(server: Server, hook_id: str) -> None:
    for path in ("/api/hooks", f"/api/hooks/{hook_id}/test", "/api/hook-events"):
        response = httpx.post(
            server.base + path, content=b"{not json", headers={"content-type": "application/json"}
        )
        assert response.status_code == 401, (path, response.text)


def _key_pem(server: Server) -> str:
    [(pem,)] = server.sql("SELECT value FROM system_keys WHERE name = 'oidc.private_key'")
    return pem


@pytest.mark.parametrize(
    "claims",
    [
        {"aud": "https://other.example/api", "exp": 2**40},
        {"aud": RESOURCE},
        {"aud": RESOURCE, "exp": int(time.time()) - 10},
    ],
    ids=["wrong-audience", "no-exp", "expired"],
)
def test_tokens_signed_with_the_real_key_but_invalid_claims_are_refused(
    server: Server, hook_id: str, claims: dict
) -> None:
    kid = jwt.get_unverified_header(server.token())["kid"]
    token = jwt.encode({"sub": ADMIN_ID, **claims}, _key_pem(server), "RS256", headers={"kid": kid})
    response = call(server, ROUTES[0], hook_id, f"Bearer {token}")
    assert response.status_code == 401


@pytest.fixture(scope="module")
def short_lived(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("short-ttl"), HOOKLINE_TOKEN_TTL="1").start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def expired_tokens(short_lived: Server) -> dict[str, str]:
    """Two tokens past their 1 s lifetime: one the server accepted (and cached) while it
    was valid, one it never saw."""
    time.sleep(1 - time.time() % 1)  # `exp` is whole seconds: start a second to get all of it
    used, unused = short_lived.token(), short_lived.token()
    ok = httpx.get(f"{short_lived.base}/api/hooks", headers={"Authorization": f"Bearer {used}"})
    assert ok.status_code == 200
    exp = jwt.decode(unused, options={"verify_signature": False})["exp"]
    time.sleep(max(0.0, exp - time.time()) + 0.05)
    return {"used": used, "unused": unused}


@pytest.mark.parametrize("which", ["used", "unused"])
@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_api_routes_refuse_expired_tokens(
    short_lived: Server, expired_tokens: dict[str, str], route: tuple, which: str
) -> None:
    response = call(short_lived, route, "some-hook", f"Bearer {expired_tokens[which]}")
    assert response.status_code == 401, response.text


def test_token_of_another_instance_is_refused(
    server: Server, short_lived: Server, hook_id: str
) -> None:
    response = call(server, ROUTES[0], hook_id, f"Bearer {short_lived.token()}")
    assert response.status_code == 401
