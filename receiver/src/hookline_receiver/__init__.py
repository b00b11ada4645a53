"""hookline's receiver kit: verify that a webhook request comes from hookline (or Logto)."""

from hookline_receiver.errors import Reason, VerificationError
from hookline_receiver.jwks import Jwks
from hookline_receiver.verify import Webhook, verify

__all__ = ["Jwks", "Reason", "VerificationError", "Webhook", "verify"]
