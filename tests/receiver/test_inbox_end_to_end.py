"""The kit's inbox between a real hookline server and a real receiver process, both killed
with SIGKILL and restarted while a burst of ordered events goes through: every event is
handed to the handler until it succeeds and never after that, each subject's in sequence;
a known webhook-id with another body is refused with 409."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from hookline.sender.request import Target, build
from tests.support.api import create_hook, emit
from tests.support.server import Server, free_port
from tests.support.waiting import wait_for_line, wait_until

pytestmark = pytest.mark.slow

USERS, EVENTS = 5, 100
WORK = 0.03  # seconds the handler takes: slower than hookline sends, so work piles up
SCRIPT = Path(__file__).with_name("inbox_receiver.py")
# Long enough for the receiver to come back before hookline gives an event up.
RETRY_SCHEDULE = "200ms,400ms,800ms,1s,1s,2s,2s,3s,3s,5s"


class ReceiverProcess:
    def __init__(self, tmp_path: Path, key: str) -> None:
        self.port = free_port()
        self.inbox = tmp_path / "inbox.db"
        self.log = tmp_path / "handled.log"
        self.log.touch()
        self.errors = tmp_path / "receiver.err"
        self.key = key
        self.process: subprocess.Popen[bytes] | None = None
        self.boots = 0

    def start(self) -> None:
        args = [self.port, self.inbox, self.key, self.log, WORK]
        self.process = subprocess.Popen(
            [sys.executable, SCRIPT, *map(str, args)],
            stderr=self.errors.open("ab"),  # the worker's warnings about failed attempts
        )
        self.boots += 1
        wait_for_line(self.log, "boot ", self.boots, timeout=60)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def counts(self) -> dict[str, int]:
        with sqlite3.connect(self.inbox, timeout=10) as conn:
            return dict(conn.execute("SELECT state, count(*) FROM events GROUP BY state"))


@dataclass
class Line:
    kind: str  # start, fail or ok
    n: int
    subject: str = ""
    sequence: int = 0
    last_of_a_killed_run: bool = False


def read_log(log: Path) -> list[Line]:
    """The handler's lines, each `ok` saying whether a kill came right after it (its success
    may not have been stored then)."""
    runs = log.read_text().split("boot ")[1:]
    lines = []
    for number, run in enumerate(runs):
        entries = [entry.split() for entry in run.splitlines()[1:]]
        for index, (kind, n, *rest) in enumerate(entries):
            line = Line(kind, int(n))
            if rest:
                line.subject, line.sequence = rest[0], int(rest[1])
            line.last_of_a_killed_run = index == len(entries) - 1 and number < len(runs) - 1
            lines.append(line)
    return lines


def successes(lines: list[Line]) -> dict[int, int]:
    """Each event's stored success: the index of its `ok` line that was not followed by a
    kill, or that was and yet the event was never handed out again."""
    last_start = {line.n: i for i, line in enumerate(lines) if line.kind == "start"}
    found: dict[int, int] = {}
    for i, line in enumerate(lines):
        if line.kind == "ok" and (not line.last_of_a_killed_run or last_start[line.n] < i):
            assert line.n not in found, f"event {line.n} succeeded twice"
            found[line.n] = i
    return found


def test_every_event_until_it_succeeds_never_after_in_subject_order(tmp_path: Path) -> None:
    server = Server(tmp_path / "hookline", HOOKLINE_RETRY_SCHEDULE=RETRY_SCHEDULE).start()
    receiver: ReceiverProcess | None = None
    try:
        with server.client() as api:
            receiver = ReceiverProcess(tmp_path, "")
            url = f"http://127.0.0.1:{receiver.port}/hook"
            hook = create_hook(api, url, ["User.Data.Updated"], config={"ordering": "subject"})
            receiver.key = hook["signingKey"]
            receiver.start()
            for n in range(EVENTS):
                emit(api, "User.Data.Updated", {"data": {"id": f"u{n % USERS}"}, "n": n})

        # hookline dies while it delivers the burst (what was in flight, it sends again), and
        # the receiver while its handler works through what it stored.
        wait_until(lambda: sum(receiver.counts().values()) >= 15, "15 webhooks stored", 60)
        server.kill()
        receiver.kill()
        counts = receiver.counts()
        assert sum(counts.values()) < EVENTS, "hookline's kill came too late"
        assert counts.get("pending", 0) > 0, "the receiver's kill came too late"
        # hookline first: its attempts fail until the receiver is back, and are tried again.
        server.start()
        receiver.start()

        wait_until(lambda: receiver.counts().get("done") == EVENTS, "every event done", 120)
        lines = read_log(receiver.log)
        done = successes(lines)
        assert sorted(done) == list(range(EVENTS))
        for i, line in enumerate(lines):
            assert not (line.n in done and i > done[line.n]), f"{line} after its success"
        assert any(line.kind == "fail" for line in lines)  # and they were tried again

        # Each subject's events one at a time, in sequence: the next starts only after the
        # one before succeeded.
        current: dict[str, Line] = {}  # the last event of each subject handed out
        for i, line in enumerate(lines):
            if line.kind != "start":
                continue
            assert (line.subject, line.sequence) == (f"user:u{line.n % USERS}", line.n // USERS + 1)
            before = current.get(line.subject)
            if before is not None and before.n != line.n:
                assert done[before.n] < i, f"{line} before {before.n} succeeded"
                assert line.sequence > before.sequence
            current[line.subject] = line

        # A known id with another body: refused, and kept aside.
        with sqlite3.connect(receiver.inbox) as conn:
            (known,) = conn.execute("SELECT id FROM events LIMIT 1").fetchone()
        body = b'{"event":"User.Data.Updated","n":-1}'
        forged = build(Target(url, receiver.key), body, known, "test", int(time.time()))
        answer = httpx.post(url, content=body, headers=forged.headers)
        assert answer.status_code == 409
        assert answer.json()["code"] == "webhook.conflict"
        with sqlite3.connect(receiver.inbox) as conn:
            assert conn.execute("SELECT id, body FROM conflicts").fetchall() == [(known, body)]
        assert receiver.counts().get("done") == EVENTS
    finally:
        server.stop()
        if receiver is not None and receiver.process is not None:
            receiver.kill()
