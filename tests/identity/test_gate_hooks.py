"""hookline.identity.experience.gate_hooks: the sync hooks of a moment, from a cache that
costs a flow with no sync hook no query of its own (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event

from hookline.db.unit import unit_of_work
from hookline.hooks.service import create_hook, update_hook
from hookline.hooks.validation import HookCreate, HookUpdate
from hookline.identity.experience.gate_hooks import sync_hooks
from hookline.outbox.emit import has_subscribers


def hook(engine: Engine, events: list[str], **config: Any) -> str:
    body = HookCreate(events=events, config={"url": "https://example.com/", **config})
    with unit_of_work(engine) as conn:
        return str(create_hook(conn, body)["id"])


def test_sync_hooks_by_moment_oldest_first_and_never_queued(engine: Engine) -> None:
    first = hook(engine, ["PreSignIn", "PreRegister"], mode="sync", timeoutMs=500)
    second = hook(engine, ["PreSignIn"], mode="sync", onError="allow")
    told = hook(engine, ["PreSignIn"])  # asynchronous: only told
    with unit_of_work(engine) as conn:
        found = sync_hooks(conn, "PreSignIn")
        assert [h.id for h in found] == [first, second]
        assert (found[0].policy.timeout_ms, found[0].policy.on_error) == (500, "deny")
        assert (found[1].policy.timeout_ms, found[1].policy.on_error) == (3000, "allow")
        assert [h.id for h in sync_hooks(conn, "PreRegister")] == [first]
        assert sync_hooks(conn, "PreResetPassword") == ()
        assert has_subscribers(conn, "PreSignIn")  # `told`, and not the sync hooks
    with unit_of_work(engine) as conn:
        update_hook(conn, told, HookUpdate(enabled=False))
        update_hook(conn, first, HookUpdate(enabled=False))
    with unit_of_work(engine) as conn:
        assert [h.id for h in sync_hooks(conn, "PreSignIn")] == [second]
        assert not has_subscribers(conn, "PreSignIn")


def test_a_cached_look_up_runs_no_statement(engine: Engine) -> None:
    hook(engine, ["PreSignIn"], mode="sync")
    with unit_of_work(engine) as conn:
        sync_hooks(conn, "PreSignIn")  # fills the cache
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    with unit_of_work(engine) as conn:
        # A sign-in's transaction reads the hooks revision anyway, to emit its events.
        has_subscribers(conn, "PostSignIn")
        statements.clear()
        assert len(sync_hooks(conn, "PreSignIn")) == 1
        assert sync_hooks(conn, "PreRegister") == ()
    assert statements == []
    hook(engine, ["PreRegister"], mode="sync")  # a new revision: the hooks are read again
    with unit_of_work(engine) as conn:
        has_subscribers(conn, "PostSignIn")
        statements.clear()
        sync_hooks(conn, "PreSignIn")
    assert statements  # as the listener sees
