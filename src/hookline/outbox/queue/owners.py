"""Lease owners. A worker id names its host and process, so that a dispatcher starting on the
same host can tell the leases of a dead process and take them back without waiting for them
to run out; those of other hosts run out with their leases."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from pathlib import Path

from hookline.outbox.queue.values import DeliveryState

LEASE_HOLDERS = (
    "SELECT DISTINCT worker FROM deliveries"
    f" WHERE status = {DeliveryState.LEASED:d} AND worker IS NOT NULL"
)


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{os.urandom(3).hex()}"


def dead_here(workers: Iterable[str]) -> list[str]:
    """Those of `workers` that ran on this host in a process that is gone."""
    host = socket.gethostname()
    return [worker for worker in workers if _is_dead_local(worker, host)]


def _is_dead_local(worker: str, host: str) -> bool:
    name, _, rest = worker.partition(":")
    pid_text = rest.partition(":")[0]
    if name != host or not pid_text.isdigit():
        return False
    try:
        stat = Path(f"/proc/{pid_text}/stat").read_text()
    except FileNotFoundError:
        return True
    except OSError:
        return False
    # A zombie (state Z) is dead too, though nobody has reaped it yet.
    return stat.rpartition(")")[2].split()[0] == "Z"
