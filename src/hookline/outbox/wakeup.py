"""Commit-time wake-ups. A hint, never the only way work moves: dispatchers also poll.

Every dispatcher binds a datagram socket in a directory named after the database; whoever
commits an event sends one byte to each socket there. Dispatchers in the same process are
woken directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import socket
import tempfile
import time
from pathlib import Path

_TIMESTAMP_GRANULARITY_NS = 2_000_000_000  # coarser than any file clock a socket lives on


def wake_directory(database_url: str) -> Path:
    # Socket paths are limited to ~100 bytes, so the directory is short and keyed by a hash.
    digest = hashlib.sha1(os.path.abspath(database_url).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"hookline-{digest}"


class Waker:
    """Sends the wake-up after a commit."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._local: list[asyncio.Event] = []
        self._peers: list[str] = []
        self._listed_at = -1
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._socket.setblocking(False)

    def add_local(self, event: asyncio.Event) -> None:
        self._local.append(event)

    def notify(self) -> None:
        for event in self._local:
            event.set()
        try:
            # A dispatcher binding or leaving changes the directory's mtime: list it again.
            changed = os.stat(self._directory).st_mtime_ns
        except OSError:
            changed = 0
        if changed != self._listed_at:
            # A socket bound within the timestamp granularity of this listing may leave the
            # mtime as it is (coarse file clocks): until the listing is safely newer than the
            # mtime, list again at every wake-up, lest a dispatcher started then never hear one.
            settled = time.time_ns() - changed > _TIMESTAMP_GRANULARITY_NS
            self._listed_at = changed if settled else -1
            try:
                self._peers = [str(p) for p in self._directory.glob("*.sock")]
            except OSError:
                self._peers = []
        for peer in self._peers:
            try:
                self._socket.sendto(b"!", peer)
            except BlockingIOError:
                pass  # its buffer is full: a wake-up is already pending there
            except ConnectionRefusedError:
                # Its dispatcher died without unbinding (SIGKILL): clear the way for the rest.
                with contextlib.suppress(OSError):
                    os.unlink(peer)
            except OSError:
                pass

    def close(self) -> None:
        self._socket.close()


class WakeListener:
    """A dispatcher's end: sets `event` whenever a wake-up datagram arrives."""

    def __init__(self, directory: Path, event: asyncio.Event) -> None:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)  # its owner's alone
        self.path = directory / f"{os.getpid()}-{os.urandom(4).hex()}.sock"
        self._event = event
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._socket.bind(str(self.path))
        self._socket.setblocking(False)
        asyncio.get_running_loop().add_reader(self._socket.fileno(), self._readable)

    def _readable(self) -> None:
        try:
            while self._socket.recv(64):
                pass
        except BlockingIOError:
            pass
        self._event.set()

    def close(self) -> None:
        asyncio.get_running_loop().remove_reader(self._socket.fileno())
        self._socket.close()
        self.path.unlink(missing_ok=True)
