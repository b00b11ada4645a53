"""The receiver kit's test vectors are what hookline sends: each `v1`, `v1a` and Logto
signature in them is hookline's for the vector's inputs, their JWK is the one hookline
publishes, and hookline's request verifies with the kit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hookline.sender.ed25519 import ed25519_signature, jwk, public_key_of
from hookline.sender.request import Target, build
from hookline.sender.signing import logto_signature, standard_secret, standard_signature
from hookline_receiver import verify

VECTORS = json.loads(
    (Path(__file__).resolve().parents[2] / "receiver" / "vectors" / "webhooks.json").read_text(
        encoding="utf-8"
    )
)
SIGNED = [v for v in VECTORS["vectors"] if v["signer"]["signingKeys"]]
URL = "https://receiver.example/hook"


def lowered(headers: dict[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


@pytest.mark.parametrize("v", SIGNED, ids=lambda v: v["name"])
def test_the_vectors_signatures_are_hooklines(v: dict[str, Any]) -> None:
    signer, headers = v["signer"], lowered(v["request"]["headers"])
    body = signer["body"].encode()
    if "logto-signature-sha-256" in headers:
        newest = signer["signingKeys"][0]
        assert headers["logto-signature-sha-256"] == logto_signature(newest, body)
    if "id" in signer:
        hooklines = [
            standard_signature(key, signer["id"], signer["timestamp"], body)
            for key in signer["signingKeys"]
        ]
        v1 = [e for e in headers.get("webhook-signature", "").split() if e.startswith("v1,")]
        assert v1 == hooklines[: len(v1)]


@pytest.mark.parametrize(
    "v", [v for v in SIGNED if "ed25519PrivateKeys" in v["signer"]], ids=lambda v: v["name"]
)
def test_the_vectors_ed25519_signatures_are_hooklines(v: dict[str, Any]) -> None:
    signer, headers = v["signer"], lowered(v["request"]["headers"])
    body = signer["body"].encode()
    hooklines = [
        ed25519_signature(key, signer["id"], signer["timestamp"], body)
        for key in signer["ed25519PrivateKeys"]
    ]
    v1a = [e for e in headers["webhook-signature"].split() if e.startswith("v1a,")]
    assert v1a == hooklines[: len(v1a)]
    assert v1a


def test_the_vectors_ed25519_keys_are_hooklines() -> None:
    keys = VECTORS["keys"]["ed25519"]
    assert public_key_of(keys["privateKey"]) == keys["publicKey"]
    published = jwk(keys["publicKey"])
    assert published == keys["jwk"] | {"use": "sig", "alg": "EdDSA"}


def test_the_vectors_secret_is_hooklines() -> None:
    keys = VECTORS["keys"]
    assert keys["secret"] == standard_secret(keys["signingKey"])


@pytest.mark.parametrize("name", ["v1", "logto"])
def test_hookline_builds_the_vectors_signature_headers(name: str) -> None:
    v = next(v for v in SIGNED if v["name"] == name)
    signer = v["signer"]
    (key,) = signer["signingKeys"]
    body = signer["body"].encode()
    request = build(Target(URL, key), body, signer.get("id", ""), "ua", signer.get("timestamp"))
    arrived = {
        name: value
        for name, value in v["request"]["headers"].items()
        if name in {"logto-signature-sha-256", "webhook-signature"}
    }
    assert arrived
    assert {name: request.headers[name] for name in arrived} == arrived


def test_a_request_hookline_builds_verifies_with_the_kit() -> None:
    key = VECTORS["keys"]["signingKey"]
    body = '{"event":"User.Created","data":{"name":"Zoë"},"hookId":"hk1"}'.encode()
    request = build(Target(URL, key), body, "dlv_1", "ua", subject="user:u1", sequence=3)
    for secret in (key, standard_secret(key)):
        webhook = verify(request.headers, request.body, secrets=[secret])
        assert (webhook.scheme, webhook.id, webhook.subject, webhook.sequence) == (
            "v1",
            "dlv_1",
            "user:u1",
            3,
        )
        assert webhook.json()["data"]["name"] == "Zoë"
