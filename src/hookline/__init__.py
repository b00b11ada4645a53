"""hookline: webhooks for identity events, wire-compatible with Logto."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hookline.events.catalog import EVENTS

if TYPE_CHECKING:
    from hookline.outbox.emit import emit

__all__ = ["EVENTS", "__version__", "emit"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """`hookline.emit` on first use: the database layer it brings would otherwise slow down
    every `hookline` command, the client ones included."""
    if name == "emit":
        from hookline.outbox.emit import emit

        return emit
    raise AttributeError(f"module 'hookline' has no attribute {name!r}")
