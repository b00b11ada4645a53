"""X-Forwarded-For and X-Forwarded-Proto count only from HOOKLINE_TRUSTED_PROXIES: a real
server, a real sign-in flow, and the payloads of the events it stored."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.server import Server

pytestmark = pytest.mark.slow  # starts hookline processes

FORGED = "203.0.113.9"
PASSWORD = "C4rol!Passw0rd#Strong"


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Any]:
    servers: list[Server] = []

    def start(**env: str) -> Server:
        servers.append(Server(tmp_path / str(len(servers)), **env).start())
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def register(server: Server, headers: dict[str, str]) -> str:
    """A user registered through the Experience API, every request carrying `headers`."""
    username = f"carol_{uuid.uuid4().hex[:8]}"
    with httpx.Client(base_url=f"{server.base}/api", headers=headers, timeout=30) as client:
        assert client.put("/experience", json={"interactionEvent": "Register"}).status_code == 204
        identity = client.post(
            "/experience/verification/new-password-identity",
            json={"identifier": {"type": "username", "value": username}, "password": PASSWORD},
        )
        assert identity.status_code == 200, identity.text
        identified = client.post(
            "/experience/identification", json={"verificationId": identity.json()["verificationId"]}
        )
        assert identified.status_code == 201, identified.text
        submitted = client.post("/experience/submit")
        assert submitted.status_code == 200, submitted.text
    return username


def stored(server: Server, name: str) -> list[dict[str, Any]]:
    rows = server.sql("SELECT body FROM events WHERE name = ?", (name,))
    return [json.loads(bytes(body)) for (body,) in rows]


def client_addresses(server: Server) -> dict[str, str]:
    """The client address each kind of event reported."""
    [registered] = stored(server, "PostRegister")
    created = stored(server, "User.Created")
    by_api = next(e for e in created if e.get("matchedRoute") == "/users")
    by_flow = next(e for e in created if e is not by_api)
    return {"PostRegister": registered["userIp"], "flow": by_flow["ip"], "api": by_api["ip"]}


def fire_both(server: Server, headers: dict[str, str]) -> None:
    register(server, headers)
    with server.client() as api:
        created = api.post("/users", json={"username": "dave_api"}, headers=headers)
        assert created.status_code == 200, created.text


def test_forwarded_for_is_ignored_by_default(start_server: Any) -> None:
    server = start_server()
    fire_both(server, {"x-forwarded-for": FORGED})
    assert client_addresses(server) == {
        "PostRegister": "127.0.0.1",
        "flow": "127.0.0.1",
        "api": "127.0.0.1",
    }


def test_forwarded_for_counts_from_a_trusted_proxy(start_server: Any) -> None:
    server = start_server(HOOKLINE_TRUSTED_PROXIES="10.0.0.0/8, 127.0.0.1")
    fire_both(server, {"x-forwarded-for": FORGED})
    assert client_addresses(server) == {"PostRegister": FORGED, "flow": FORGED, "api": FORGED}


def interaction_cookie(server: Server, headers: dict[str, str]) -> str:
    response = httpx.put(
        f"{server.base}/api/experience", json={"interactionEvent": "SignIn"}, headers=headers
    )
    assert response.status_code == 204, response.text
    [cookie] = [c for c in response.headers.get_list("set-cookie") if c.startswith("_interaction=")]
    return cookie.lower()


def test_cookie_is_secure_behind_a_trusted_https_proxy(start_server: Any) -> None:
    server = start_server(HOOKLINE_TRUSTED_PROXIES="127.0.0.1")
    assert "; secure" in interaction_cookie(server, {"x-forwarded-proto": "https"})
    assert "; secure" not in interaction_cookie(server, {})


def test_forwarded_proto_is_ignored_by_default(start_server: Any) -> None:
    server = start_server()
    assert "; secure" not in interaction_cookie(server, {"x-forwarded-proto": "https"})


def test_trusted_proxies_must_be_addresses(tmp_path: Path) -> None:
    server = Server(tmp_path, HOOKLINE_TRUSTED_PROXIES="proxy.example")
    with pytest.raises(RuntimeError, match="HOOKLINE_TRUSTED_PROXIES"):
        server.start()
