"""Identifiers: Logto-style random ids, time-sortable ids for deliveries and logs, and the
random tokens cookies carry (stored only as their hash)."""

from __future__ import annotations

import functools
import hashlib
import os
import secrets
import string
import threading
import time

_LOWER = string.digits + string.ascii_lowercase
_ALNUM = string.digits + string.ascii_letters


@functools.cache
def _byte_map(alphabet: str) -> tuple[bytes, bytes]:
    """Byte → character table, and the top bytes to drop so that each character is as likely."""
    size = len(alphabet)
    table = bytes(ord(alphabet[b % size]) for b in range(256))
    return table, bytes(range(256 - 256 % size, 256))


def random_id(length: int = 21, alphabet: str = _LOWER) -> str:
    """A Logto-style id: `length` characters of [0-9a-z] from a CSPRNG, without modulo bias."""
    table, dropped = _byte_map(alphabet)
    chars = b""
    while len(chars) < length:
        chars += os.urandom(length + 8).translate(table, dropped)
    return chars[:length].decode()


def signing_key() -> str:
    """A hook signing key: 32 characters of [0-9a-zA-Z] (about 190 bits)."""
    return random_id(32, _ALNUM)


def client_secret() -> str:
    return random_id(32, _ALNUM)


def cookie_token() -> str:
    """A cookie's value that stands for a session: 32 random bytes, URL-safe."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the database keeps of a cookie token: its SHA-256, hex. A stolen row or a
    leaked id is then no credential."""
    return hashlib.sha256(token.encode()).hexdigest()


_last_ms = 0
_counter = 0
_lock = threading.Lock()
# Tells apart ids made in the same millisecond by different processes.
_origin = f"{os.getpid() & 0xFFF:03x}{int.from_bytes(os.urandom(2), 'big') & 0xFFF:03x}"


def sortable_id(prefix: str) -> str:
    """`<prefix>_` + 22 hex chars that sort by creation time: ms, a counter, the process."""
    now, counter = _tick(1)
    return f"{prefix}_{now:011x}{counter & 0xFFFFF:05x}{_origin}"


def sortable_ids(prefix: str, count: int) -> list[str]:
    """`count` sortable ids in creation order, for the price of one look at the clock."""
    now, first = _tick(count)
    head = f"{prefix}_{now:011x}"
    return [f"{head}{counter & 0xFFFFF:05x}{_origin}" for counter in range(first, first + count)]


def _tick(count: int) -> tuple[int, int]:
    """Takes `count` numbers of the current millisecond: (the ms, the first number)."""
    global _last_ms, _counter
    with _lock:  # the event loop and the commit thread both make ids
        # Never behind the last id, even if the wall clock steps back.
        now = max(int(time.time() * 1000), _last_ms)
        first = _counter + 1 if now == _last_ms else 0
        _last_ms, _counter = now, first + count - 1
    return now, first


def sortable_floor(prefix: str, ms: int) -> str:
    """Sorts before every id `sortable_id(prefix)` makes at `ms` (Unix ms) or later."""
    return f"{prefix}_{ms:011x}"


def now_ms() -> int:
    return int(time.time() * 1000)
