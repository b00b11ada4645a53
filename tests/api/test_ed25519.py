"""Ed25519 signatures: a hook with `config.asymmetricSignature` signs `v1a` with a key pair of
its own, whose public keys `GET /api/hooks/:id/jwks` serves without a token. Deliveries to a
real receiver are verified with `cryptography` directly and with the receiver kit fetching the
JWKS; a rotation's grace period signs and publishes both pairs, and then only the new one."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from hookline_receiver import Jwks, Reason, VerificationError, verify
from tests.support.api import emit, error_code
from tests.support.receiver import Received, Receiver
from tests.support.server import Server
from tests.support.waiting import wait_until

ON = {"asymmetricSignature": True}


def jwks_url(server: Server, hook_id: str) -> str:
    return f"{server.base}/api/hooks/{hook_id}/jwks"


def jwks(server: Server, hook_id: str) -> list[dict[str, str]]:
    """The hook's JWKS, fetched as a receiver does: no token."""
    response = httpx.get(jwks_url(server, hook_id))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()["keys"]


def raw_key(jwk: dict[str, str]) -> bytes:
    x = jwk["x"]
    assert "=" not in x  # base64url without padding (RFC 8037)
    return base64.urlsafe_b64decode(x + "=" * (-len(x) % 4))


def whpk(public_key: str) -> bytes:
    assert public_key.startswith("whpk_")
    return base64.b64decode(public_key.removeprefix("whpk_"))


def entries(got: Received, version: str) -> list[str]:
    """The `webhook-signature` entries of one version, in their order, without the version."""
    signature = got.header("webhook-signature") or ""
    return [e.split(",", 1)[1] for e in signature.split(" ") if e.startswith(version + ",")]


def ed25519_verifies(key: bytes, got: Received, signature: str) -> bool:
    """`cryptography`'s own check of one `v1a` signature over `id.timestamp.body`."""
    content = f"{got.header('webhook-id')}.{got.header('webhook-timestamp')}.".encode() + got.body
    try:
        Ed25519PublicKey.from_public_bytes(key).verify(base64.b64decode(signature), content)
    except InvalidSignature:
        return False
    return True


def refusal(got: Received, body: bytes | None = None, **keys: Any) -> Reason:
    with pytest.raises(VerificationError) as error:
        verify(dict(got.headers), got.body if body is None else body, **keys)
    return error.value.reason


def deliver(api: httpx.Client, receiver: Receiver, n: int) -> Received:
    """The `n`th delivery to the receiver, of an event emitted now."""
    emit(api, "Role.Created", {"data": {"id": f"r{n}"}})
    return receiver.wait_for(n)[n - 1]


def rotate(api: httpx.Client, hook_id: str, grace_seconds: int) -> dict[str, Any]:
    response = api.patch(f"/hooks/{hook_id}/signing-key", json={"graceSeconds": grace_seconds})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def hook(make_hook, receiver: Receiver) -> dict[str, Any]:
    return make_hook(receiver.url(), ["Role.Created"], config=ON)


def test_v1a_verifies_with_the_published_key(
    api: httpx.Client, server: Server, hook: dict, receiver: Receiver
) -> None:
    (published,) = jwks(server, hook["id"])
    assert published | {"x": "", "kid": ""} == {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": "",
        "kid": "",
        "use": "sig",
        "alg": "EdDSA",
    }
    key = raw_key(published)
    assert whpk(hook["signingPublicKey"]) == key
    assert hook["config"]["asymmetricSignature"] is True

    got = deliver(api, receiver, 1)
    signature = got.header("webhook-signature") or ""
    # The v1 entry first, as before; the Ed25519 one after it.
    assert [e.split(",")[0] for e in signature.split(" ")] == ["v1", "v1a"]
    (v1a,) = entries(got, "v1a")
    assert ed25519_verifies(key, got, v1a)
    assert not ed25519_verifies(key, got, base64.b64encode(b"\0" * 64).decode())

    webhook = verify(dict(got.headers), got.body, jwks=Jwks(jwks_url(server, hook["id"])))
    assert (webhook.scheme, webhook.id) == ("v1a", got.header("webhook-id"))
    assert webhook.json()["hookId"] == hook["id"]
    # The kit also takes the hook's `whpk_` key as the API shows it, and the URL alone.
    assert verify(dict(got.headers), got.body, public_keys=[hook["signingPublicKey"]])
    assert verify(dict(got.headers), got.body, jwks=jwks_url(server, hook["id"]))


def test_the_kit_refuses_a_tampered_body_a_stale_request_and_an_unknown_key(
    api: httpx.Client, server: Server, hook: dict, make_hook, receiver: Receiver
) -> None:
    got = deliver(api, receiver, 1)
    url = jwks_url(server, hook["id"])
    tampered = got.body.replace(b'"r1"', b'"r2"')
    assert tampered != got.body
    assert refusal(got, tampered, jwks=Jwks(url)) == Reason.NO_MATCHING_SIGNATURE
    changed_id = Received(got.path, [*got.headers, ("webhook-id", "msg_forged")], got.body, 0)
    assert refusal(changed_id, jwks=Jwks(url)) == Reason.NO_MATCHING_SIGNATURE

    signed_at = int(got.header("webhook-timestamp") or 0)
    assert refusal(got, jwks=Jwks(url), now=signed_at + 301) == Reason.STALE
    assert refusal(got, jwks=Jwks(url), now=signed_at - 301) == Reason.FUTURE

    # Another hook's published key, and a key of nobody's, verify nothing of this hook.
    other = make_hook(receiver.url("/other"), ["Role.Created"], config=ON)
    assert refusal(got, jwks=Jwks(jwks_url(server, other["id"]))) == Reason.NO_MATCHING_SIGNATURE
    stranger = (
        Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    )
    assert refusal(got, public_keys=[stranger]) == Reason.NO_MATCHING_SIGNATURE

    # A v1a signature made with a key that is not the hook's.
    forged_sig = Ed25519PrivateKey.generate().sign(
        f"{got.header('webhook-id')}.{got.header('webhook-timestamp')}.".encode() + got.body
    )
    forged = Received(
        got.path,
        [(k, v) for k, v in got.headers if k.lower() != "webhook-signature"]
        + [("webhook-signature", "v1a," + base64.b64encode(forged_sig).decode())],
        got.body,
        0,
    )
    assert refusal(forged, jwks=Jwks(url)) == Reason.NO_MATCHING_SIGNATURE


def test_during_a_rotations_grace_both_pairs_sign_and_are_published(
    api: httpx.Client, server: Server, hook: dict, receiver: Receiver
) -> None:
    (old_jwk,) = jwks(server, hook["id"])
    rotated = rotate(api, hook["id"], 3600)
    assert rotated["signingPublicKey"] != hook["signingPublicKey"]
    new_jwk, previous_jwk = jwks(server, hook["id"])  # newest first
    assert previous_jwk == old_jwk
    assert raw_key(new_jwk) == whpk(rotated["signingPublicKey"])
    assert new_jwk["kid"] != old_jwk["kid"]

    got = deliver(api, receiver, 1)
    signature = got.header("webhook-signature") or ""
    assert [e.split(",")[0] for e in signature.split(" ")] == ["v1", "v1", "v1a", "v1a"]
    new_sig, old_sig = entries(got, "v1a")
    assert ed25519_verifies(raw_key(new_jwk), got, new_sig)
    assert ed25519_verifies(raw_key(old_jwk), got, old_sig)
    # A receiver holding either key alone accepts the delivery, and one fetching the JWKS.
    for key in (new_jwk, old_jwk):
        assert verify(dict(got.headers), got.body, public_keys=[key]).scheme == "v1a"
    assert verify(dict(got.headers), got.body, jwks=Jwks(jwks_url(server, hook["id"])))


def test_after_the_grace_only_the_new_pair_signs_and_is_published(
    api: httpx.Client, server: Server, hook: dict, receiver: Receiver
) -> None:
    (old_jwk,) = jwks(server, hook["id"])
    rotated = rotate(api, hook["id"], 1)
    assert len(jwks(server, hook["id"])) == 2
    # The server's clock ends the grace period; the hook says when.
    wait_until(
        lambda: api.get(f"/hooks/{hook['id']}").json()["previousSigningKeyExpiresAt"] is None,
        "the grace period's end",
    )
    (new_jwk,) = jwks(server, hook["id"])
    assert raw_key(new_jwk) == whpk(rotated["signingPublicKey"])

    got = deliver(api, receiver, 1)
    (v1a,) = entries(got, "v1a")
    assert ed25519_verifies(raw_key(new_jwk), got, v1a)
    assert not ed25519_verifies(raw_key(old_jwk), got, v1a)
    assert verify(dict(got.headers), got.body, jwks=Jwks(jwks_url(server, hook["id"])))
    assert refusal(got, public_keys=[old_jwk]) == Reason.NO_MATCHING_SIGNATURE


def test_a_rotation_with_no_grace_replaces_the_pair_at_once(
    api: httpx.Client, server: Server, hook: dict, receiver: Receiver
) -> None:
    (old_jwk,) = jwks(server, hook["id"])
    rotated = rotate(api, hook["id"], 0)
    (new_jwk,) = jwks(server, hook["id"])
    assert new_jwk != old_jwk and raw_key(new_jwk) == whpk(rotated["signingPublicKey"])
    got = deliver(api, receiver, 1)
    assert len(entries(got, "v1a")) == 1
    assert refusal(got, public_keys=[old_jwk]) == Reason.NO_MATCHING_SIGNATURE


def test_the_key_pair_comes_with_the_option_and_stays(
    api: httpx.Client, server: Server, make_hook, receiver: Receiver
) -> None:
    plain = make_hook(receiver.url(), ["Role.Created"])
    assert plain["signingPublicKey"] is None
    assert jwks(server, plain["id"]) == []
    assert entries(deliver(api, receiver, 1), "v1a") == []

    def configure(config: dict[str, Any]) -> dict[str, Any]:
        response = api.patch(f"/hooks/{plain['id']}", json={"config": config})
        assert response.status_code == 200, response.text
        return response.json()

    url = {"url": receiver.url()}
    public_key = configure(url | ON)["signingPublicKey"]
    assert whpk(public_key) == raw_key(jwks(server, plain["id"])[0])
    assert verify(
        dict((got := deliver(api, receiver, 2)).headers), got.body, public_keys=[public_key]
    )

    # Turned off, the hook stops signing v1a and keeps its pair; turned on again, the same.
    off = configure(url | {"asymmetricSignature": False})
    assert off["signingPublicKey"] == public_key
    assert entries(deliver(api, receiver, 3), "v1a") == []
    assert configure(url | ON)["signingPublicKey"] == public_key
    got = deliver(api, receiver, 4)
    assert verify(dict(got.headers), got.body, public_keys=[public_key]).scheme == "v1a"


def test_test_sends_are_signed_with_both_pairs(
    api: httpx.Client, hook: dict, receiver: Receiver
) -> None:
    rotated = rotate(api, hook["id"], 3600)
    body = {"events": ["PostSignIn"], "config": {"url": receiver.url("/test")}}
    assert api.post(f"/hooks/{hook['id']}/test", json=body).status_code == 204
    (got,) = receiver.wait_for(1, "/test")
    for public_key in (rotated["signingPublicKey"], hook["signingPublicKey"]):
        assert verify(dict(got.headers), got.body, public_keys=[public_key]).scheme == "v1a"


def test_the_private_key_is_never_shown_or_logged(
    api: httpx.Client, server: Server, hook: dict, receiver: Receiver
) -> None:
    rotate(api, hook["id"], 3600)
    deliver(api, receiver, 1)
    rows = server.sql(
        "SELECT ed25519_private_key, previous_ed25519_private_key FROM hooks WHERE id = ?",
        (hook["id"],),
    )
    secrets = [key for key in rows[0] if key]
    assert len(secrets) == 2 and all(key.startswith("whsk_") for key in secrets)
    answers = [
        api.get(f"/hooks/{hook['id']}").text,
        api.get("/hooks").text,
        api.get(f"/hooks/{hook['id']}/recent-logs").text,
        httpx.get(jwks_url(server, hook["id"])).text,
    ]
    seen = "\n".join(answers) + server.log.read_text(encoding="utf-8", errors="replace")
    assert "whsk_" not in seen
    for key in secrets:
        assert key.removeprefix("whsk_") not in seen


def test_jwks_of_an_unknown_hook_is_404(server: Server) -> None:
    response = httpx.get(jwks_url(server, "does-not-exist"))
    assert error_code(response, 404) == "entity.not_exists_with_id"


def test_jwks_needs_no_token_and_ignores_a_bad_one(server: Server, hook: dict) -> None:
    response = httpx.get(jwks_url(server, hook["id"]), headers={"Authorization": "Bearer nope"})
    assert response.status_code == 200 and len(response.json()["keys"]) == 1
    # The rest of the hook stays behind the token.
    assert httpx.get(f"{server.base}/api/hooks/{hook['id']}").status_code == 401


@pytest.mark.parametrize("value", ["yes", 1, None], ids=["string", "number", "null"])
def test_a_non_boolean_option_is_a_400(api: httpx.Client, value: object) -> None:
    config = {"url": "https://example.com/hook", "asymmetricSignature": value}
    response = api.post("/hooks", json={"events": ["Role.Created"], "config": config})
    if value is None:  # null: not set, as for hookline's other options
        assert response.status_code == 201, response.text
        assert response.json()["signingPublicKey"] is None
        api.delete(f"/hooks/{response.json()['id']}")
    else:
        assert error_code(response, 400) == "guard.invalid_input"


def test_the_openapi_document_shows_the_jwks_route(server: Server) -> None:
    document = httpx.get(f"{server.base}/api/swagger.json").json()
    assert "get" in document["paths"]["/api/hooks/{id}/jwks"]
