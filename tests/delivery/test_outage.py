"""Through an outage: a receiver down for a whole step of the retry schedule gets every event
once it is back, and what gave up meanwhile is sent again over the Management API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.api import create_hook, emit
from tests.support.receiver import Receiver, Reply
from tests.support.server import Server
from tests.support.waiting import wait_until

EVENTS = 5


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # Two retries: 300 ms, then 1 s (each ±20 %).
    srv = Server(tmp_path_factory.mktemp("outage"), HOOKLINE_RETRY_SCHEDULE="300ms,1s").start()
    yield srv
    srv.stop()


def deliveries(api: httpx.Client, hook_id: str, **params: Any) -> list[dict[str, Any]]:
    response = api.get(f"/hooks/{hook_id}/deliveries", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def finished(api: httpx.Client, hook_id: str, count: int) -> list[dict[str, Any]]:
    def done() -> list[dict[str, Any]] | None:
        items = deliveries(api, hook_id)
        return items if sum(i["status"] != "pending" for i in items) >= count else None

    return wait_until(done, f"{count} finished deliveries of {hook_id}")


def test_a_receiver_down_for_a_whole_step_gets_every_event_when_back(
    api: httpx.Client, receiver: Receiver
) -> None:
    # Down for every event's first attempt and its first retry, up from the second retry on.
    receiver.on("/outage", *[Reply(503)] * (2 * EVENTS), Reply(200))
    hook = create_hook(api, receiver.url("/outage"), ["Role.Created"])
    for n in range(EVENTS):
        emit(api, "Role.Created", {"data": {"n": n}})

    items = finished(api, hook["id"], EVENTS)
    assert [i["status"] for i in items] == ["succeeded"] * EVENTS
    assert [i["attempts"] for i in items] == [3] * EVENTS
    assert deliveries(api, hook["id"], status="failed") == []
    arrived = [r for r in receiver.requests if r.path == "/outage"]
    delivered_ids = {i["id"] for i in items}
    assert {r.header("webhook-id") for r in arrived} == delivered_ids
    assert len(arrived) == 3 * EVENTS


def test_what_exhausted_the_schedule_is_replayed_and_recovered_with_the_same_webhook_id(
    api: httpx.Client, receiver: Receiver
) -> None:
    receiver.on("/down", Reply(503))
    hook = create_hook(api, receiver.url("/down"), ["Role.Created"])
    for n in range(2):
        emit(api, "Role.Created", {"data": {"n": n}})
    items = finished(api, hook["id"], 2)
    assert [(i["status"], i["attempts"]) for i in items] == [("failed", 3)] * 2
    assert len(deliveries(api, hook["id"], status="failed")) == 2
    newest, oldest = items

    receiver.on("/down", Reply(200))
    replayed = api.post(f"/hooks/{hook['id']}/deliveries/{oldest['id']}/replay")
    assert replayed.status_code == 202, replayed.text
    arrival = receiver.wait_for(7, "/down")[-1]
    assert arrival.header("webhook-id") == oldest["id"]

    recovered = api.post(f"/hooks/{hook['id']}/recover", json={"since": newest["createdAt"]})
    assert recovered.status_code == 202, recovered.text
    assert recovered.json() == {"count": 1}
    arrival = receiver.wait_for(8, "/down")[-1]
    assert arrival.header("webhook-id") == newest["id"]

    items = finished(api, hook["id"], 2)
    assert [(i["status"], i["attempts"]) for i in items] == [("succeeded", 4)] * 2
    assert deliveries(api, hook["id"], status="failed") == []
