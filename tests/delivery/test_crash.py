"""SIGKILL with deliveries in flight loses nothing: a restart sends every one of them."""

from __future__ import annotations

import json

import pytest

from tests.support.api import create_hook, emit, first_log
from tests.support.receiver import Receiver, Reply
from tests.support.server import Server
from tests.support.waiting import wait_until

pytestmark = pytest.mark.slow

EVENTS = 150
HOOKS = 3


@pytest.mark.parametrize("dispatchers", ["0", "2"])
def test_sigkill_mid_delivery_loses_no_event(
    tmp_path, receiver: Receiver, dispatchers: str
) -> None:
    # Slow answers and few requests in flight per hook: however long emitting takes on a
    # busy machine, most deliveries are still to make when the kill comes.
    receiver.on("/h", Reply(delay=1.0))
    server = Server(
        tmp_path, HOOKLINE_DISPATCHERS=dispatchers, HOOKLINE_MAX_IN_FLIGHT_PER_HOOK="4"
    ).start()
    try:
        with server.client() as api:
            hooks = [create_hook(api, receiver.url("/h")) for _ in range(HOOKS)]
            for seq in range(EVENTS):
                emit(api, payload={"seq": seq})
        receiver.wait_for(20, "/h")
        server.kill()
        delivered_before = len(receiver.requests)
        assert delivered_before < EVENTS * HOOKS, "the kill came too late to prove anything"

        server.start()
        receiver.on("/h", Reply())
        expected = {(h["id"], seq) for h in hooks for seq in range(EVENTS)}

        def delivered() -> set[tuple[str, int]]:
            return {
                (json.loads(r.body)["hookId"], json.loads(r.body)["seq"]) for r in receiver.requests
            }

        wait_until(lambda: delivered() >= expected, "every event to every hook", timeout=30)
        assert delivered() == expected
        # Duplicates come only from what was in flight at the kill; webhook-id tells them apart.
        ids = [r.header("webhook-id") for r in receiver.requests]
        assert len(set(ids)) == EVENTS * HOOKS
        assert len(ids) - len(set(ids)) <= int(server.env.get("HOOKLINE_MAX_IN_FLIGHT", "512"))
    finally:
        server.stop()


def test_restart_keeps_hooks_and_logs(tmp_path, receiver: Receiver) -> None:
    server = Server(tmp_path).start()
    try:
        with server.client() as api:
            hook = create_hook(api, receiver.url())
            emit(api)
            receiver.wait_for(1)
        server.kill()
        server.start()
        with server.client() as api:
            assert api.get(f"/hooks/{hook['id']}").json()["signingKey"] == hook["signingKey"]
            assert first_log(api, hook["id"])["payload"]["result"] == "Success"
    finally:
        server.stop()


def test_private_addresses_are_refused_unless_allowed(tmp_path, receiver: Receiver) -> None:
    server = Server(tmp_path, HOOKLINE_ALLOW_PRIVATE_NETWORKS="").start()
    try:
        with server.client() as api:
            by_ip = create_hook(api, receiver.url(), config={"retries": 0})
            by_name = create_hook(api, f"http://localhost:{receiver.port}/n", config={"retries": 0})
            emit(api)
            for hook in (by_ip, by_name):
                entry = first_log(api, hook["id"])
                assert entry["payload"]["result"] == "Error"
                assert entry["payload"]["error"].startswith("BlockedError: ")
            test = api.post(
                f"/hooks/{by_ip['id']}/test",
                json={"events": ["User.Created"], "config": {"url": receiver.url()}},
            )
            assert test.status_code == 422
            assert test.json()["code"] == "hook.send_test_payload_failed"
        assert receiver.requests == []
    finally:
        server.stop()
