"""The token signing key: generated once, kept in the database, shared by every process."""

from __future__ import annotations

import json

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import Connection, insert, select

from hookline.db.tables import system_keys

KEY_NAME = "oidc.private_key"


class SigningKey:
    def __init__(self, pem: str) -> None:
        private = serialization.load_pem_private_key(pem.encode(), password=None)
        if not isinstance(private, rsa.RSAPrivateKey):
            raise ValueError(f"{KEY_NAME} is not an RSA key: tokens are signed with RS256")
        self.private = private
        public_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key()))
        self.kid = jwt.PyJWK(public_jwk).key_id or _thumbprint(public_jwk)
        self.jwk = {**public_jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}
        self.public = self.private.public_key()


def _thumbprint(jwk: dict) -> str:
    import base64
    import hashlib

    canonical = json.dumps({k: jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def load_or_create(conn: Connection) -> SigningKey:
    pem = conn.execute(select(system_keys.c.value).where(system_keys.c.name == KEY_NAME)).scalar()
    if pem is None:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        conn.execute(insert(system_keys).values(name=KEY_NAME, value=pem))
    return SigningKey(pem)
