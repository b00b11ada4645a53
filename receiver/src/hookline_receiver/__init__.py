"""hookline's receiver kit: verify that a webhook request comes from hookline (or Logto), keep
it in a durable inbox, and hand it to the application's handler until it succeeds."""

from hookline_receiver.errors import Reason, VerificationError
from hookline_receiver.inbox import Conflict, Event, Inbox, InboxUnavailable, Stored
from hookline_receiver.jwks import Jwks
from hookline_receiver.verify import Webhook, verify
from hookline_receiver.worker import Backoff, Worker

__all__ = [
    "Backoff",
    "Conflict",
    "Event",
    "Inbox",
    "InboxUnavailable",
    "Jwks",
    "Reason",
    "Stored",
    "VerificationError",
    "Webhook",
    "Worker",
    "verify",
]
