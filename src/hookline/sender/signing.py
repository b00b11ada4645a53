"""Both signatures over the exact body bytes: Logto's hex HMAC and Standard Webhooks' v1."""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache


@lru_cache(maxsize=1024)
def _keyed(signing_key: str) -> hmac.HMAC:
    """An HMAC-SHA256 with its key set, copied for each message: both signatures of a
    delivery use the same key, and setting a key up costs more than copying one."""
    return hmac.new(signing_key.encode(), digestmod=hashlib.sha256)


def logto_signature(signing_key: str, body: bytes) -> str:
    """`logto-signature-sha-256`: lowercase hex HMAC-SHA256, key = the signing key's UTF-8."""
    mac = _keyed(signing_key).copy()
    mac.update(body)
    return mac.hexdigest()


def standard_secret(signing_key: str) -> str:
    """The `whsec_` secret a Standard Webhooks verifier is given for this signing key."""
    return "whsec_" + base64.b64encode(signing_key.encode()).decode()


def standard_signature(signing_key: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """`webhook-signature`: `v1,` + base64 HMAC-SHA256 of `id.timestamp.body`."""
    mac = _keyed(signing_key).copy()
    mac.update(b"%s.%d." % (msg_id.encode(), timestamp))
    mac.update(body)
    return "v1," + base64.b64encode(mac.digest()).decode()
