"""The SSRF guard in a running server: IPv6 forms of a private IPv4 address are refused for
deliveries and test sends alike, and each refusal is one warning in the server's log that
names the hook, the host and the address, and no secret."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.api import create_hook, emit, first_log
from tests.support.server import Server

# The guard does not touch the database; logging is the same on every backend.
pytestmark = [pytest.mark.backend_independent, pytest.mark.slow]

PORT = 9  # never connected to: the guard refuses first


def teredo(server: str, client: str) -> str:
    """A Teredo address (RFC 4380): the client's address and port are stored inverted."""
    value = (0x20010000 << 96) | (int(ipaddress.IPv4Address(server)) << 64)
    value |= ((3544 ^ 0xFFFF) << 32) | (int(ipaddress.IPv4Address(client)) ^ 0xFFFFFFFF)
    return str(ipaddress.IPv6Address(value))


# IPv6 addresses that carry 127.0.0.1, and a site-local one: each passed the guard before.
EMBEDDED = {
    "ipv4-compatible": "::127.0.0.1",
    "nat64": "64:ff9b::7f00:1",
    "nat64-local": "64:ff9b:1::7f00:1",
    "6to4": "2002:7f00:1::1",
    "teredo": teredo("127.0.0.1", "127.0.0.1"),
    "site-local": "fec0::1",
}


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server that allows no private network, logging JSON lines."""
    server = Server(
        tmp_path_factory.mktemp("guarded"),
        HOOKLINE_ALLOW_PRIVATE_NETWORKS="",
        HOOKLINE_LOG_FORMAT="json",
    ).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def api(guarded: Server) -> Iterator[httpx.Client]:
    with guarded.client() as client:
        yield client


def refusals(server: Server, hook_id: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in server.log.read_text().splitlines() if line]
    return [e for e in lines if e.get("action") == "address_refused" and e["hook_id"] == hook_id]


@pytest.mark.parametrize("address", EMBEDDED.values(), ids=EMBEDDED.keys())
def test_embedded_and_site_local_addresses_are_refused(api: httpx.Client, address: str) -> None:
    url = f"http://[{address}]:{PORT}/in"
    hook = create_hook(api, url, events=("Role.Created",), config={"retries": 0})
    try:
        emit(api, "Role.Created")
        assert first_log(api, hook["id"])["payload"]["error"].startswith("BlockedError: ")
        test = api.post(
            f"/hooks/{hook['id']}/test", json={"events": ["Role.Created"], "config": {"url": url}}
        )
        assert test.status_code == 422, test.text
        assert test.json()["code"] == "hook.send_test_payload_failed"
        assert test.json()["message"].startswith("Failed to send test payload: BlockedError: ")
    finally:
        api.delete(f"/hooks/{hook['id']}")


def test_a_refusal_is_logged_without_secrets(guarded: Server, api: httpx.Client) -> None:
    secrets = ["userinfo-secret", "query-secret", "header-secret"]
    by_name = f"http://hook-user:userinfo-secret@localhost:{PORT}/in?token=query-secret"
    headers = {"x-api-key": "header-secret"}
    hook = create_hook(
        api, by_name, events=("Role.Deleted",), config={"retries": 0, "headers": headers}
    )
    secrets.append(hook["signingKey"])
    try:
        emit(api, "Role.Deleted")
        first_log(api, hook["id"])  # recorded after the attempt, so after its log line
        [delivery] = refusals(guarded, hook["id"])
        assert delivery["level"] == "WARNING"
        assert delivery["host"] == "localhost"
        assert "127.0.0.1 (Loopback)" in delivery["refused"]

        by_ip = f"http://hook-user:userinfo-secret@[64:ff9b::7f00:1]:{PORT}/t?token=query-secret"
        test = api.post(
            f"/hooks/{hook['id']}/test",
            json={"events": ["Role.Deleted"], "config": {"url": by_ip, "headers": headers}},
        )
        assert test.status_code == 422, test.text
        [_, test_send] = refusals(guarded, hook["id"])
        assert test_send["host"] == "64:ff9b::7f00:1"
        assert test_send["refused"] == "64:ff9b::7f00:1 (carries 127.0.0.1: Loopback)"

        log = guarded.log.read_text()
        assert [secret for secret in secrets if secret in log] == []
    finally:
        api.delete(f"/hooks/{hook['id']}")
