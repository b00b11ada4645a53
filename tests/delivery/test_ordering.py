"""Events in order per subject, through a real server and two dispatchers: a hook with
`config.ordering: "subject"` gets each user's events one at a time, in sequence, though its
receiver is slow and fails at random; a hook without it gets them numbered, in any order."""

from __future__ import annotations

import json
import random
import threading
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.api import create_hook, delete_every_hook
from tests.support.receiver import Received, Receiver, Reply
from tests.support.server import Server
from tests.support.waiting import wait_until

pytestmark = pytest.mark.slow  # starts a server with dispatcher processes

USERS, EVENTS = 50, 1000
FAILURES_PER_DELIVERY = 2  # within the hook's 3 retries: every event gets through


class FlakyReceiver(Receiver):
    """Slow, and answers 500 to one request in four, at most twice per delivery."""

    def __init__(self) -> None:
        super().__init__()
        self.failed: defaultdict[str, int] = defaultdict(int)  # webhook-id → 500s answered
        self.delivered: defaultdict[str, list[Received]] = defaultdict(list)  # path → 200s
        self._lock = threading.Lock()
        self._random = random.Random(7)

    def reply_to(self, request: Received) -> Reply:
        msg_id = request.header("webhook-id") or ""
        with self._lock:
            delay = self._random.uniform(0, 0.01)
            if self.failed[msg_id] < FAILURES_PER_DELIVERY and self._random.random() < 0.25:
                self.failed[msg_id] += 1
                return Reply(500, b"try again", delay=delay)
            self.delivered[request.path].append(request)
        return Reply(delay=delay)

    def count(self, path: str) -> int:
        with self._lock:
            return len(self.delivered[path])


@pytest.fixture
def flaky() -> Iterator[FlakyReceiver]:
    receiver = FlakyReceiver()
    yield receiver
    receiver.close()


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Two dispatcher processes beside the API: on PostgreSQL (`--backend postgresql`), two
    workers claiming side by side. One server for the module's tests."""
    server = Server(tmp_path_factory.mktemp("ordering"), HOOKLINE_DISPATCHERS="2").start()
    yield server
    server.stop()


@pytest.fixture
def server(running: Server) -> Iterator[Server]:
    """The module's server, less the test's hooks once it is over."""
    yield running
    with running.client() as api:
        delete_every_hook(api)


def by_subject(requests: list[Received]) -> dict[str, list[int]]:
    """Each subject's sequence numbers, in the order they arrived."""
    sequences: defaultdict[str, list[int]] = defaultdict(list)
    for request in requests:
        subject = request.header("hookline-subject")
        assert subject == f"user:{json.loads(request.body)['data']['id']}"
        sequences[subject].append(int(request.header("hookline-sequence") or 0))
    return sequences


def test_each_users_events_arrive_in_order_at_an_ordered_hook(
    server: Server, flaky: FlakyReceiver
) -> None:
    events = ["User.Created", "User.Data.Updated"]
    with server.client() as api:
        create_hook(
            api, flaky.url("/ordered"), events, config={"ordering": "subject", "retries": 3}
        )
        create_hook(api, flaky.url("/free"), events, config={"retries": 3})
        users = [
            api.post("/users", json={"username": f"user{n}"}).json()["id"] for n in range(USERS)
        ]
        updates = random.Random(3).choices(users, k=EVENTS - USERS)

        def update(n: int) -> None:
            response = api.patch(f"/users/{updates[n]}", json={"name": f"name {n}"})
            assert response.status_code == 200, response.text

        # Concurrent changes to one user: numbered in the order they commit.
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(update, range(len(updates))))

    for path in ("/ordered", "/free"):
        wait_until(lambda p=path: flaky.count(p) >= EVENTS, f"{EVENTS} at {path}", timeout=180)
    assert sum(flaky.failed.values()) > 0

    ordered = by_subject(flaky.delivered["/ordered"])
    assert len(ordered) == USERS
    for sequences in ordered.values():
        assert sequences == list(range(1, len(sequences) + 1))
    # Even its failed attempts come in order: nothing of a user is sent before its turn.
    tried = by_subject([r for r in flaky.requests if r.path == "/ordered"])
    for sequences in tried.values():
        assert sequences == sorted(sequences)

    free = by_subject(flaky.delivered["/free"])
    assert {s: sorted(n) for s, n in free.items()} == ordered
    # Without the option, nothing waits: some user's events overtook one another.
    assert any(sequences != sorted(sequences) for sequences in free.values())


def test_the_option_is_subject_or_nothing(server: Server, flaky: FlakyReceiver) -> None:
    with server.client() as api:
        hook = create_hook(api, flaky.url(), config={"ordering": "subject"})
        assert hook["config"] == {"url": flaky.url(), "ordering": "subject"}
        response = api.patch(f"/hooks/{hook['id']}", json={"config": {"url": flaky.url()}})
        assert response.json()["config"] == {"url": flaky.url()}  # as Logto stores it
        for wrong in ("fifo", 1, True, ""):
            body = {"events": ["User.Created"], "config": {"url": flaky.url(), "ordering": wrong}}
            assert api.post("/hooks", json=body).status_code == 400
        body = {"events": ["User.Created"], "config": {"url": flaky.url(), "ordering": None}}
        created = api.post("/hooks", json=body)
        assert created.status_code == 201 and "ordering" not in created.json()["config"]


def test_an_event_about_no_subject_has_no_subject_headers(
    server: Server, receiver: Receiver
) -> None:
    with server.client() as api:
        create_hook(api, receiver.url(), ["Identifier.Lockout", "User.Created"])
        for event, payload in (
            ("Identifier.Lockout", {"type": "username", "value": "a"}),
            ("User.Created", {"data": {"id": "from-elsewhere"}}),
        ):
            response = api.post("/hook-events", json={"event": event, "payload": payload})
            assert response.status_code == 202
    lockout, created = sorted(receiver.wait_for(2), key=lambda r: json.loads(r.body)["event"])
    assert lockout.header("hookline-subject") is None
    assert lockout.header("hookline-sequence") is None
    assert created.header("hookline-subject") == "user:from-elsewhere"
    assert created.header("hookline-sequence") == "1"
    assert b"hookline" not in created.body
