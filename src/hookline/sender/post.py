"""One JSON POST that is not a webhook (a message provider's URL), sent as webhooks are: through
the SSRF guard, with their timeout, no redirects, and their reading of what went wrong."""

from __future__ import annotations

from collections.abc import Sequence

from hookline.sender.guard import Network
from hookline.sender.outcome import Outcome
from hookline.sender.request import WebhookRequest
from hookline.sender.transport import Transport


async def post_json(url: str, body: bytes, allowed: Sequence[Network], timeout: float) -> Outcome:
    transport = Transport(allowed, timeout, limit=1)
    try:
        return await transport.send(WebhookRequest(url, {"content-type": "application/json"}, body))
    finally:
        await transport.close()
