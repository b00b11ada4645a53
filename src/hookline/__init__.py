"""hookline: webhooks for identity events, wire-compatible with Logto."""

from hookline.events.catalog import EVENTS
from hookline.outbox.emit import emit

__all__ = ["EVENTS", "__version__", "emit"]
__version__ = "0.1.0"
