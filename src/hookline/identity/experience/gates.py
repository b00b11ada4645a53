"""Synchronous hooks at the sign-in flows' Pre… moments (README "Synchronous hooks").

`submit` looks the moment's enabled sync hooks up (`gate_hooks`, cached per hooks revision,
the revision its transaction reads anyway), so that a flow with none pays nothing more. With
some, it returns a `Pending` before it changes anything; the hooks are then called in
parallel outside any transaction (`call_hooks`), and `submit` runs again with the `Verdict`:
applied with the merged patches when every hook allowed, else recorded as a denial
(`record_denial`) and answered with it. Either way each call's attempts go to its hook's
logs, under the Pre… event (stored with the very body that was sent), which asynchronous
hooks subscribed to it receive.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, insert

from hookline.db.tables import interactions, logs, verification_codes
from hookline.errors import ApiError
from hookline.events.catalog import DENIED_EVENT
from hookline.events.payloads import event_body, iso_now, with_hook_id
from hookline.identity.experience.events import emit_data
from hookline.identity.experience.gate_hooks import SyncHook
from hookline.identity.experience.interactions import Client, Interaction
from hookline.identity.experience.sync_health import health
from hookline.ids import now_ms, sortable_id, sortable_ids
from hookline.outbox.emit import emit
from hookline.sender import sync
from hookline.sender.transport import Transport

log = logging.getLogger("hookline.sync_hooks")


@dataclass(frozen=True)
class Pending:
    """A moment whose sync hooks are to be asked before the change."""

    moment: str
    hooks: tuple[SyncHook, ...]  # oldest first
    payload: dict[str, Any]
    state: dict[str, Any]  # the interaction as the hooks are told of it
    user_id: str | None


@dataclass(frozen=True)
class Verdict:
    pending: Pending
    event_id: str
    created_at: str
    calls: tuple[tuple[SyncHook, str, sync.Call], ...]  # (hook, webhook-id, call), oldest first

    def denial(self) -> tuple[SyncHook, sync.Decision] | None:
        """The first denial, in hook creation order."""
        for hook, _, done in self.calls:
            if not done.decision.allowed:
                return hook, done.decision
        return None

    def patch(self) -> dict[str, Any]:
        """Every allowing hook's patch, later hooks over earlier ones, key by key."""
        merged: dict[str, Any] = {}
        for _, _, done in self.calls:
            for key, value in (done.decision.patch or {}).items():
                if isinstance(value, dict):
                    merged[key] = {**merged.get(key, {}), **value}
                else:
                    merged[key] = value
        return merged


class Denied(ApiError):
    """The flow refused by a sync hook: Logto's `{code, message}`, and the `field` the
    refusal concerns when the receiver named one."""

    def __init__(self, decision: sync.Decision) -> None:
        super().__init__(403, decision.code, decision.message)
        self.field = decision.field

    def body(self) -> dict[str, Any]:
        body = super().body()
        if self.field is not None:
            body["field"] = self.field
        return body


async def call_hooks(transport: Transport, user_agent: str, pending: Pending) -> Verdict:
    """Ask every hook of `pending` at once, each with its own deadline."""
    event_id, created_at = sortable_id("evt"), iso_now()
    body = event_body(pending.moment, created_at, pending.payload)
    msg_ids = sortable_ids("msg", len(pending.hooks))
    calls = await asyncio.gather(
        *(
            sync.call(transport, h.target, with_hook_id(body, h.id), m, user_agent, h.policy)
            for h, m in zip(pending.hooks, msg_ids, strict=True)
        )
    )
    for hook, done in zip(pending.hooks, calls, strict=True):
        failed = done.decision.reason != "answer"
        if failed:
            log.info(
                "synchronous hook gave no usable answer",
                extra={
                    "action": "sync_hook_failed",
                    "hook_id": hook.id,
                    "reason": done.decision.reason,
                    "decision": done.decision.action,
                },
            )
        health.note(hook.id, failed)
    return Verdict(
        pending, event_id, created_at, tuple(zip(pending.hooks, msg_ids, calls, strict=True))
    )


def record_calls(conn: Connection, verdict: Verdict) -> None:
    """The Pre… event, stored with the body the hooks got (and delivered to asynchronous
    hooks subscribed to it), and a log row per attempt of each call."""
    pending = verdict.pending
    emit(
        conn,
        pending.moment,
        pending.payload,
        event_id=verdict.event_id,
        created_at=verdict.created_at,
    )
    now = now_ms()
    rows = []
    for hook, msg_id, done in verdict.calls:
        for number, outcome in enumerate(done.attempts, 1):
            last = number == len(done.attempts)
            rows.append(
                {
                    "id": sortable_id("log"),
                    "key": f"TriggerHook.{pending.moment}",
                    "hook_id": hook.id,
                    "delivery_id": msg_id,
                    "event_id": verdict.event_id,
                    "attempt": number,
                    "result": "Success" if outcome.ok else "Error",
                    "status_code": outcome.status,
                    "response_body": _storable(outcome.body),
                    "error": outcome.error_text(),
                    "duration_ms": round(outcome.duration_ms, 3),
                    "created_at": now,
                    "decision": _decision_text(done.decision) if last else None,
                }
            )
    if rows:
        conn.execute(insert(logs), rows)


def record_denial(
    conn: Connection, verdict: Verdict, interaction: Interaction, client: Client
) -> Denied:
    """Keep the calls and fire `Interaction.Denied`; the interaction ends, and nothing of
    the user it would have created or changed is kept. Returns the error to answer."""
    record_calls(conn, verdict)
    denial = verdict.denial()
    assert denial is not None
    hook, decision = denial
    reason = {"code": decision.code, "message": decision.message, "field": decision.field}
    emit_data(
        conn,
        DENIED_EVENT,
        interaction,
        client,
        moment=verdict.pending.moment,
        userId=verdict.pending.user_id,
        hook={"id": hook.id},
        reason=reason | {"cause": decision.reason},
    )
    conn.execute(
        delete(verification_codes).where(verification_codes.c.interaction_id == interaction.id)
    )
    conn.execute(delete(interactions).where(interactions.c.id == interaction.id))
    return Denied(decision)


def _decision_text(decision: sync.Decision) -> str:
    if decision.reason == "answer":
        return decision.action
    return f"{decision.action}: {decision.reason}"[:64]


def _storable(text: str | None) -> str | None:
    # PostgreSQL refuses NUL characters in text.
    return text.replace("\x00", "\ufffd") if text and "\x00" in text else text
