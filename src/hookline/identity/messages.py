"""Message connectors: how verification codes reach people.

- `FileConnector` (the default) appends one JSON line per message to a file
  (HOOKLINE_MESSAGE_OUTBOX), for development and tests.
- `HttpConnector` POSTs the same JSON object to a URL (HOOKLINE_MESSAGE_HTTP_URL), where a
  real email or SMS sender takes over. Sent as webhooks are (no redirects, their timeout),
  to any network: the URL is the operator's own. Any non-2xx answer is a failure.

A failure's text never holds the provider's URL, which often carries its API key: the text
reaches the end user who asked for a code.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import orjson

from hookline.config import Settings
from hookline.events.payloads import iso_now
from hookline.sender.guard import Network
from hookline.sender.post import post_json


class MessageError(Exception):
    """The connector could not hand the message over."""


@dataclass(frozen=True)
class Message:
    recipient: str
    template: str  # Logto's template types: SignIn, Register, ForgotPassword, Generic
    code: str
    type: str  # "email" or "sms"
    created_at: str = field(default_factory=iso_now)

    @property
    def text(self) -> str:
        return f"Your verification code is {self.code}. The code will remain active for 10 minutes."

    def json(self) -> dict[str, Any]:
        return {
            "recipient": self.recipient,
            "template": self.template,
            "code": self.code,
            "text": self.text,
            "type": self.type,
            "createdAt": self.created_at,
        }


class Connector(Protocol):
    async def send(self, message: Message) -> None: ...


class FileConnector:
    _lock = threading.Lock()

    def __init__(self, path: Path) -> None:
        self.path = path

    async def send(self, message: Message) -> None:
        await asyncio.to_thread(self._append, orjson.dumps(message.json()) + b"\n")

    def _append(self, line: bytes) -> None:
        try:
            with self._lock:
                # Owner only: the file holds one-time codes. One that exists keeps its mode.
                self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT
                with open(os.open(self.path, flags, 0o600), "ab") as out:
                    out.write(line)
        except OSError as exc:
            raise MessageError(str(exc)) from exc


class HttpConnector:
    def __init__(self, url: str, allowed: Sequence[Network], timeout: float = 10.0) -> None:
        self.url = url
        self.allowed = list(allowed)
        self.timeout = timeout

    async def send(self, message: Message) -> None:
        body = orjson.dumps(message.json())
        outcome = await post_json(self.url, body, self.allowed, self.timeout)
        if outcome.ok:
            return
        if outcome.status is not None:
            raise MessageError(f"the message provider answered {outcome.status}")
        failure = outcome.failure.value if outcome.failure else "no answer"
        raise MessageError(f"the message provider could not be reached ({failure})")


# The provider's URL is the operator's own setting, not a hook's: it may be on any network
# (an SMS gateway on the LAN, say) without opening private networks to webhooks.
EVERY_NETWORK = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))


def connector(settings: Settings) -> Connector:
    if settings.message_http_url:
        return HttpConnector(settings.message_http_url, EVERY_NETWORK, settings.request_timeout)
    return FileConnector(settings.message_outbox)
