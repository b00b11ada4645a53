"""`v1a`: Ed25519 signatures, checked with `cryptography`, the kit's one optional dependency."""

from __future__ import annotations

from hookline_receiver.errors import Reason, VerificationError


def ed25519_verifies(public_key: bytes, signature: bytes, content: bytes) -> bool:
    # Imported here, so that the kit imports and verifies `v1` without `cryptography`.
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    except ImportError:
        raise VerificationError(
            Reason.CRYPTOGRAPHY_MISSING,
            "v1a signatures need cryptography: pip install 'hookline-receiver[ed25519]'",
        ) from None
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, content)
    except InvalidSignature:
        return False
    return True
