"""The event payload both sides send: ~1 KB once delivered, carrying its emit time."""

from __future__ import annotations

# Sized so a delivered body ({"event","createdAt",data,pad,"hookId"}) is about 1,024 bytes.
PAD = "x" * 866
# The users the events are about (`data.id`): each event has a subject, as a user's would,
# for the rows whose hooks deliver in order per subject.
SUBJECTS = 1000


def padded(label: str, seq: int, t: float) -> dict:
    return {"data": {"id": f"u{seq % SUBJECTS}", "run": label, "seq": seq, "t": t}, "pad": PAD}
