"""Every hook's target, cached by each queue and read again only when the hooks revision
(bumped by every change to a hook) has moved."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from hookline.db.sql import json_value
from hookline.outbox.queue.values import Claimed

REVISION = "SELECT value FROM revisions WHERE name = 'hooks'"
HOOKS = (
    "SELECT id, config, signing_key, enabled, previous_signing_key, previous_key_expires_at,"
    " ed25519_private_key, previous_ed25519_private_key FROM hooks"
)


class HookTarget(NamedTuple):
    """What a dispatcher needs of a hook; the trailing fields of `Claimed`."""

    url: str | None
    headers: dict[str, str] | None
    signing_key: str
    retries: int | None
    enabled: bool
    rate_limit: float | None
    previous_key: tuple[str, int] | None  # the key a rotation replaced, and its expiry (ms)
    # The Ed25519 private key while `config.asymmetricSignature` is on, and the one a
    # rotation replaced with the same expiry.
    ed25519_key: str | None
    previous_ed25519_key: tuple[str, int] | None


# The target of a hook that no longer exists: its deliveries are cancelled.
_GONE = HookTarget(None, None, "", None, False, None, None, None, None)


class HookTargets:
    def __init__(self) -> None:
        self._targets: dict[str, HookTarget] = {}
        self._revision = -1
        # Hook → `config.rateLimit`, of the hooks that have one.
        self.rates: dict[str, float] = {}
        # Whether a hook delivers in order per subject; until the hooks are read, maybe.
        self.any_ordered = True

    def stale(self, revision: int) -> bool:
        return revision != self._revision

    def load(self, revision: int, hooks: Iterable[Sequence]) -> None:
        """From (id, config, signing key, enabled, previous key, its expiry, Ed25519 private
        key, previous Ed25519 private key) rows, as `HOOKS` selects them."""
        configs = {hook_id: (json_value(config), *rest) for hook_id, config, *rest in hooks}
        self._targets = {hook_id: _target(*row) for hook_id, row in configs.items()}
        self._revision = revision
        self.any_ordered = any(row[0].get("ordering") == "subject" for row in configs.values())
        self.rates = {
            hook_id: target.rate_limit
            for hook_id, target in self._targets.items()
            if target.rate_limit is not None
        }

    def claimed(self, rows: Iterable[Sequence]) -> list[Claimed]:
        """Claimed deliveries from (id, event id, hook id, attempts, event name, body, subject,
        sequence, ordered subject) rows."""
        targets, claimed = self._targets, []
        for row in rows:
            delivery, event_id, hook_id, attempts, name, body, subject, sequence, ordered = row
            event = (delivery, event_id, hook_id, attempts, name, body, subject, sequence)
            target = targets.get(hook_id, _GONE)
            # mypy matches a second starred tuple this long by the join of its types.
            claimed.append(Claimed(*event, ordered is not None, *target))  # type: ignore[arg-type]
        return claimed


def _target(
    config: dict[str, Any],
    signing_key: str,
    enabled: object,
    previous_key: str | None,
    previous_key_expires_at: int | None,
    ed25519_key: str | None,
    previous_ed25519_key: str | None,
) -> HookTarget:
    expires_at = previous_key_expires_at or 0
    signs_ed25519 = config.get("asymmetricSignature") is True and ed25519_key is not None
    return HookTarget(
        config.get("url"),
        config.get("headers"),
        signing_key,
        config.get("retries"),
        bool(enabled),
        config.get("rateLimit"),
        None if previous_key is None else (previous_key, expires_at),
        ed25519_key if signs_ed25519 else None,
        (previous_ed25519_key, expires_at) if signs_ed25519 and previous_ed25519_key else None,
    )
