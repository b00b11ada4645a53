"""SIGKILL with deliveries in flight loses nothing: a restart sends every one of them."""

from __future__ import annotations

import json
import time

import pytest

from tests.delivery.test_delivery import emit, make_hook
from tests.support.receiver import Receiver, Reply
from tests.support.server import Server

EVENTS = 150
HOOKS = 3


@pytest.mark.parametrize("dispatchers", ["0", "2"])
def test_sigkill_mid_delivery_loses_no_event(
    tmp_path, receiver: Receiver, dispatchers: str
) -> None:
    receiver.on("/h", Reply(delay=0.5))
    server = Server(tmp_path, HOOKLINE_DISPATCHERS=dispatchers).start()
    try:
        with server.client() as api:
            hooks = [make_hook(api, receiver.url("/h")) for _ in range(HOOKS)]
            for seq in range(EVENTS):
                emit(api, payload={"seq": seq})
        receiver.wait_for(20, "/h")
        server.kill()
        delivered_before = len(receiver.requests)
        assert delivered_before < EVENTS * HOOKS, "the kill came too late to prove anything"

        server.start()
        receiver.on("/h", Reply())
        deadline = time.time() + 30
        expected = {(h["id"], seq) for h in hooks for seq in range(EVENTS)}
        while time.time() < deadline:
            got = {
                (json.loads(r.body)["hookId"], json.loads(r.body)["seq"]) for r in receiver.requests
            }
            if got >= expected:
                break
            time.sleep(0.1)
        assert got == expected
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
            hook = make_hook(api, receiver.url())
            emit(api)
            receiver.wait_for(1)
        server.kill()
        server.start()
        with server.client() as api:
            assert api.get(f"/hooks/{hook['id']}").json()["signingKey"] == hook["signingKey"]
            deadline = time.time() + 5
            while not (logs := api.get(f"/hooks/{hook['id']}/recent-logs").json()):
                assert time.time() < deadline
                time.sleep(0.05)
            assert logs[0]["payload"]["result"] == "Success"
    finally:
        server.stop()


def test_private_addresses_are_refused_unless_allowed(tmp_path, receiver: Receiver) -> None:
    server = Server(tmp_path, HOOKLINE_ALLOW_PRIVATE_NETWORKS="").start()
    try:
        with server.client() as api:
            by_ip = make_hook(api, receiver.url(), config={"retries": 0})
            by_name = make_hook(api, f"http://localhost:{receiver.port}/n", config={"retries": 0})
            emit(api)
            for hook in (by_ip, by_name):
                deadline = time.time() + 5
                while not (logs := api.get(f"/hooks/{hook['id']}/recent-logs").json()):
                    assert time.time() < deadline
                    time.sleep(0.05)
                assert logs[0]["payload"]["result"] == "Error"
                assert logs[0]["payload"]["error"].startswith("BlockedError: ")
            test = api.post(
                f"/hooks/{by_ip['id']}/test",
                json={"events": ["User.Created"], "config": {"url": receiver.url()}},
            )
            assert test.status_code == 422
            assert test.json()["code"] == "hook.send_test_payload_failed"
        assert receiver.requests == []
    finally:
        server.stop()
