"""What the flows that await between transactions use (a password hash, a message sent),
and how a flow keeps an attempt it refuses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from sqlalchemy import Connection

from hookline.config import Settings
from hookline.db.committer import GroupCommitter
from hookline.db.reader import Reader
from hookline.errors import ApiError
from hookline.identity.password_gate import PasswordGate
from hookline.sender.transport import Transport

T = TypeVar("T")


class Services(Protocol):
    """A `Runtime` is one."""

    settings: Settings
    read: Reader
    committer: GroupCommitter
    passwords: PasswordGate
    transport: Transport  # synchronous hooks' calls


async def commit_or_refuse(services: Services, work: Callable[[Connection], T | ApiError]) -> T:
    """Run `work` in a group commit; a refusal it returns (rather than raises) is raised once
    committed, so that the failed attempt it recorded and the events it fired are kept."""
    result = await services.committer.run(work)
    if isinstance(result, ApiError):
        raise result
    return result
