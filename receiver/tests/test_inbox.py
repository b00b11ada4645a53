"""The inbox on a real SQLite file: stored once by id, conflicts kept aside, claims leased,
renewed only by the claim that holds them, each subject's events handed out in sequence,
one at a time."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from hookline_receiver import Event, Inbox, InboxUnavailable, Stored, Webhook
from inbox_requests import received

LEASE = 30.0


@pytest.fixture
def inbox(tmp_path: Path) -> Inbox:
    return Inbox(tmp_path / "inbox.db")


def claim_all(inbox: Inbox, now: float = 0.0) -> list[Event]:
    """Every event that can be handed out at `now`, without finishing any."""
    events = []
    while (event := inbox.claim(lease=LEASE, now=now)) is not None:
        events.append(event)
    return events


def test_a_webhook_is_stored_once_by_its_id(inbox: Inbox) -> None:
    webhook = received(b'{"n":1}', "msg_1", subject="user:u1", sequence=4, timestamp=1700)
    assert inbox.store(webhook, now=0) is Stored.STORED
    assert inbox.store(webhook, now=1) is Stored.DUPLICATE
    [event] = claim_all(inbox)
    assert (event.id, event.body, event.timestamp) == ("msg_1", b'{"n":1}', 1700)
    assert (event.subject, event.sequence, event.attempt) == ("user:u1", 4, 1)
    assert event.json() == {"n": 1}
    # Handled, the same webhook again is still a duplicate: not handed out again.
    inbox.succeeded(event, now=2)
    assert inbox.store(webhook, now=3) is Stored.DUPLICATE
    assert claim_all(inbox, now=100) == []
    assert inbox.counts() == {"pending": 0, "done": 1, "failed": 0, "conflicts": 0}


def test_the_same_id_with_another_body_is_kept_aside(inbox: Inbox) -> None:
    inbox.store(received(b"first", "msg_1"), now=0)
    assert inbox.store(received(b"second", "msg_1"), now=5) is Stored.CONFLICT
    assert inbox.store(received(b"second", "msg_1"), now=6) is Stored.CONFLICT
    [conflict] = inbox.conflicts()  # the same conflicting body twice is one conflict
    assert (conflict.id, conflict.body, conflict.received_at) == ("msg_1", b"second", 5)
    [event] = claim_all(inbox)
    assert event.body == b"first"


def logto_signed(body: bytes, msg_id: str | None = None) -> Webhook:
    """What `verify` returns for a request signed the Logto way: no signed id."""
    return Webhook(body, msg_id, None, None, None, "logto")


def test_a_webhook_without_a_signed_id_is_known_by_its_body(inbox: Inbox) -> None:
    assert inbox.store(logto_signed(b'{"a":1}'), now=0) is Stored.STORED
    assert inbox.store(logto_signed(b'{"a":1}'), now=0) is Stored.DUPLICATE
    assert inbox.store(logto_signed(b'{"a":2}'), now=0) is Stored.STORED
    # Even if an id came along, unsigned: it cannot make the body new nor take an id.
    assert inbox.store(logto_signed(b'{"a":1}', "msg_9"), now=0) is Stored.DUPLICATE
    assert [e.id.startswith("sha256:") for e in claim_all(inbox)] == [True, True]


def test_what_was_stored_is_on_disk_for_another_process(inbox: Inbox) -> None:
    inbox.store(received(b"x", "msg_1"))
    with sqlite3.connect(inbox.path) as other:
        assert other.execute("SELECT id, body FROM events").fetchall() == [("msg_1", b"x")]
        assert other.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_events_of_a_subject_go_one_at_a_time_in_sequence(inbox: Inbox) -> None:
    # Stored out of order (a sender that does not wait), other subjects in between.
    for msg_id, subject, sequence in [
        ("a3", "user:a", 3),
        ("b1", "user:b", 1),
        ("a1", "user:a", 1),
        ("free", None, None),
        ("a2", "user:a", 2),
    ]:
        inbox.store(received(b"{}", msg_id, subject=subject, sequence=sequence), now=0)
    first = claim_all(inbox, now=1)
    assert sorted(e.id for e in first) == ["a1", "b1", "free"]
    a1 = next(e for e in first if e.id == "a1")
    for other in first:
        if other is not a1:
            inbox.succeeded(other, now=2)
    # a2 waits for a1, though a1's lease runs out: a1 is handed out again, not a2.
    assert [e.id for e in claim_all(inbox, now=1 + LEASE)] == ["a1"]
    inbox.succeeded(a1, now=40)
    assert [e.id for e in claim_all(inbox, now=40)] == ["a2"]


def test_a_failure_holds_back_its_subject_until_it_is_given_up(inbox: Inbox) -> None:
    for n in (1, 2):
        inbox.store(received(b"{}", f"a{n}", subject="user:a", sequence=n), now=0)
    [a1] = claim_all(inbox)
    inbox.failed(a1, "ValueError: no", retry_at=10, now=1)
    assert claim_all(inbox, now=9) == []
    [again] = claim_all(inbox, now=10)
    assert (again.id, again.attempt) == ("a1", 2)
    inbox.failed(again, "ValueError: no", retry_at=None, now=11)
    assert [e.id for e in claim_all(inbox, now=11)] == ["a2"]
    assert inbox.counts()["failed"] == 1


def test_a_stale_claims_failure_does_not_undo_a_later_claim(inbox: Inbox) -> None:
    inbox.store(received(b"{}", "m"), now=0)
    [first] = claim_all(inbox, now=0)
    [second] = claim_all(inbox, now=LEASE)  # the first worker looked dead
    inbox.succeeded(second, now=LEASE + 1)
    inbox.failed(first, "TimeoutError", retry_at=LEASE + 2, now=LEASE + 1)
    assert claim_all(inbox, now=LEASE + 100) == []
    assert inbox.counts()["done"] == 1


def test_only_the_current_claim_extends_its_lease(inbox: Inbox) -> None:
    inbox.store(received(b"{}", "m"), now=0)
    [first] = claim_all(inbox, now=0)
    assert inbox.extend(first, lease=LEASE, now=20)  # held until 20 + LEASE
    assert claim_all(inbox, now=LEASE) == []
    [second] = claim_all(inbox, now=20 + LEASE)  # the first worker stopped renewing
    assert not inbox.extend(first, lease=LEASE, now=21 + LEASE), "a lost claim was extended"
    assert inbox.next_due() == 20 + 2 * LEASE, "the lost claim moved the new one's lease"
    assert inbox.extend(second, lease=LEASE, now=21 + LEASE)
    inbox.succeeded(second, now=22 + LEASE)
    assert not inbox.extend(second, lease=LEASE, now=23 + LEASE), "a finished event was extended"


def test_a_new_inbox_on_the_file_takes_over(tmp_path: Path) -> None:
    before = Inbox(tmp_path / "inbox.db")
    before.store(received(b"{}", "m"), now=0)
    assert before.claim(lease=LEASE, now=0) is not None  # and then the process dies
    after = Inbox(tmp_path / "inbox.db")
    assert after.claim(lease=LEASE, now=LEASE - 1) is None
    event = after.claim(lease=LEASE, now=LEASE)
    assert event is not None and event.attempt == 2


def test_the_next_due_time_leaves_out_what_waits_for_its_subject(inbox: Inbox) -> None:
    assert inbox.next_due() is None
    for n in (1, 2):
        inbox.store(received(b"{}", f"a{n}", subject="user:a", sequence=n), now=0)
    assert inbox.next_due() == 0
    inbox.claim(lease=LEASE, now=0)
    # a2 has been due since 0, but goes only after a1: nothing before a1's lease runs out.
    assert inbox.next_due() == LEASE


def test_an_inbox_it_cannot_open_says_so(tmp_path: Path) -> None:
    with pytest.raises(InboxUnavailable):
        Inbox(tmp_path / "no such directory" / "inbox.db")


def test_a_forked_process_opens_a_connection_of_its_own(inbox: Inbox) -> None:
    inbox.store(received(b"{}", "parent"), now=0)
    pid = os.fork()
    if pid == 0:  # the child: a web server's worker forked after the inbox was made
        try:
            stored = inbox.store(received(b"{}", "child"), now=0)
            os._exit(0 if stored is Stored.STORED else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert sorted(e.id for e in claim_all(inbox)) == ["child", "parent"]
