"""The event payload both sides send: ~1 KB once delivered, carrying its emit time."""

from __future__ import annotations

# Sized so a delivered body ({"event","createdAt",data,pad,"hookId"}) is about 1,024 bytes.
PAD = "x" * 880


def padded(label: str, seq: int, t: float) -> dict:
    return {"data": {"run": label, "seq": seq, "t": t}, "pad": PAD}
