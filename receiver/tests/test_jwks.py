"""Public keys from a JWKS served over HTTP: fetched once, kept, fetched again for a new key."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from hookline_receiver import Jwks, Reason, VerificationError
from signed_requests import VECTORS, vector, verify_vector

JWK = VECTORS["keys"]["ed25519"]["jwk"]
OTHER_JWK = {"kty": "OKP", "crv": "Ed25519", "x": "A" * 43, "kid": "other"}


class JwksServer(ThreadingHTTPServer):
    keys: list[dict[str, Any]]
    fetches = 0
    status = 200

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/api/hooks/hk1/jwks"


class Handler(BaseHTTPRequestHandler):
    server: JwksServer

    def do_GET(self) -> None:
        self.server.fetches += 1
        body = json.dumps({"keys": self.server.keys}).encode()
        self.send_response(self.server.status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[JwksServer]:
    server = JwksServer(("127.0.0.1", 0), Handler)
    server.keys = [{"kty": "RSA", "n": "AQAB", "e": "AQAB", "kid": "rsa"}, JWK]
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def verify_v1a(jwks: Jwks | str) -> str:
    return verify_vector(vector("v1a"), public_keys=[], jwks=jwks).scheme


def test_a_jwks_url_verifies_v1a_and_is_fetched_once(server: JwksServer) -> None:
    assert verify_v1a(server.url) == "v1a"
    assert verify_v1a(server.url) == "v1a"
    assert server.fetches == 1


def test_the_keys_are_fetched_again_when_old(server: JwksServer) -> None:
    clock = Clock()
    jwks = Jwks(server.url, max_age=300, clock=clock)
    verify_v1a(jwks)
    clock.now = 299
    verify_v1a(jwks)
    assert server.fetches == 1
    clock.now = 300
    verify_v1a(jwks)
    assert server.fetches == 2


def test_a_signature_by_a_key_not_yet_fetched_fetches_once_more(server: JwksServer) -> None:
    clock = Clock()
    jwks = Jwks(server.url, min_interval=10, clock=clock)
    server.keys = [OTHER_JWK]
    with pytest.raises(VerificationError) as error:
        verify_v1a(jwks)
    assert error.value.reason == Reason.NO_MATCHING_SIGNATURE
    server.keys = [OTHER_JWK, JWK]  # the hook's key was rotated
    clock.now = 10
    assert verify_v1a(jwks) == "v1a"
    assert server.fetches == 2


def test_unknown_keys_fetch_at_most_once_per_interval(server: JwksServer) -> None:
    clock = Clock()
    jwks = Jwks(server.url, min_interval=10, clock=clock)
    server.keys = [OTHER_JWK]
    for now in (0, 5, 9.9):
        clock.now = now
        with pytest.raises(VerificationError):
            verify_v1a(jwks)
    assert server.fetches == 1


def test_a_jwks_that_cannot_be_fetched_is_unavailable(server: JwksServer) -> None:
    server.status = 503
    with pytest.raises(VerificationError) as error:
        verify_v1a(server.url)
    assert error.value.reason == Reason.JWKS_UNAVAILABLE


def test_v1_is_verified_without_fetching(server: JwksServer) -> None:
    assert verify_vector(vector("v1"), jwks=server.url).scheme == "v1"
    assert server.fetches == 0
