"""Settings, read once from HOOKLINE_* environment variables and passed down."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from hookline.durations import STANDARD_WEBHOOKS_SCHEDULE, parse_duration, parse_schedule

MANAGEMENT_API_RESOURCE = "https://default.logto.app/api"

# The longest a rotated-out signing key may go on signing (30 days): long enough for any
# receiver to take the new key, short enough that a forgotten old key does not live on.
MAX_KEY_GRACE_SECONDS = 30 * 86400


# cgroup v2's CPU limit ("max 100000", or "150000 100000": 1.5 cores' worth of time).
CPU_QUOTA = Path("/sys/fs/cgroup/cpu.max")


def cores() -> int:
    """The cores this process may use: its CPU affinity, cut to its container's CPU quota
    (a container given one CPU on a 64-core host has one), not the machine's count."""
    if hasattr(os, "process_cpu_count"):  # Python 3.13
        count = os.process_cpu_count() or 1
    elif hasattr(os, "sched_getaffinity"):
        count = len(os.sched_getaffinity(0))
    else:
        count = os.cpu_count() or 1
    quota = _quota()
    return count if quota is None else max(1, min(count, int(quota)))


def _quota() -> float | None:
    try:
        limit, period = CPU_QUOTA.read_text().split()[:2]
        return None if limit == "max" else int(limit) / int(period)
    except (OSError, ValueError):
        return None


def _half_the_cores() -> int:
    return max(1, min(4, cores() // 2))


def dispatchers_for_the_cores() -> int:
    """One dispatcher process per core, at most 4; none on a single core.

    Delivery takes more CPU than ingest, so on 2 cores two dispatcher processes beside the
    API deliver most (measured: 0.68–0.71 × a bare aiohttp loop, against 0.48–0.50 with one
    and 0.34–0.37 inside the API). On one core, processes would only add their overhead; past
    4, the one API process seldom keeps more of them busy, and each holds its own memory and
    connections."""
    count = cores()
    return 0 if count < 2 else min(count, 4)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOOKLINE_", extra="ignore")

    database_url: str = "sqlite:///./data/hookline.db"
    admin_client_id: str | None = None
    admin_client_secret: str | None = None
    # The URL clients reach hookline at (behind a load balancer, its address): the issuer
    # of every token, so that a token from one process is good on all of them.
    public_url: str | None = None
    # CIDRs that webhook URLs may reach despite the SSRF guard.
    allow_private_networks: str = ""
    message_outbox: Path = Path("./data/messages.jsonl")
    # Set: verification codes are POSTed there as JSON instead of written to message_outbox.
    message_http_url: str | None = None
    # The largest body `POST /api/hook-events` accepts; larger ones are answered 413.
    max_payload_bytes: int = Field(default=256 * 1024, gt=0)
    # A request body from which nothing has come for this long is answered 408.
    body_timeout: float = Field(default=10.0, gt=0)
    # Addresses and CIDRs whose X-Forwarded-For and X-Forwarded-Proto are believed. Empty:
    # nobody's, so that a client cannot choose the `ip` its events carry.
    trusted_proxies: str = ""
    # Passwords hashed or verified at once (each takes a core and 19 MiB while it runs); by
    # default half the cores, at most 4, so that the others go on answering requests. One
    # that finds no free slot within password_hashing_wait seconds is answered 429.
    password_hashing_concurrency: int = Field(default_factory=_half_the_cores, ge=1)
    password_hashing_wait: float = Field(default=5.0, gt=0)
    # Sign-in attempts that hash or verify a password, per client IP and minute, and per
    # interaction (an interaction lives an hour).
    password_attempts_per_ip: int = Field(default=60, ge=1)
    password_attempts_per_interaction: int = Field(default=20, ge=1)

    user_agent: str = "Logto (https://logto.io/)"
    request_timeout: float = 10.0
    # `off`: the sign-in flows call no synchronous hook (an operator's switch for when their
    # receivers are down); their Pre… events still go to asynchronous hooks.
    sync_hooks: bool = True
    # Seconds before each retry (the first attempt is at once), each ±20 % jitter; written
    # as durations (`5s,5m,30m`). A hook's `config.retries` takes the first so many.
    retry_schedule: Annotated[tuple[float, ...], NoDecode] = parse_schedule(
        STANDARD_WEBHOOKS_SCHEDULE
    )
    max_retry_after: float = 3600.0
    # A hook none of whose deliveries has succeeded for this long, while some failed, is
    # disabled (a duration such as `5d`).
    disable_after: float = Field(default=5 * 86400.0, gt=0)
    # How long the key a rotation replaces goes on signing beside the new one (a duration;
    # `0s`: not at all, as in Logto), unless the rotation says otherwise.
    key_grace: float = Field(default=86400.0, ge=0, le=MAX_KEY_GRACE_SECONDS)
    # 0: the dispatcher runs inside `hookline serve`; N: N dispatcher processes beside it.
    # Unset: one per core, at most 4, and 0 on a single core.
    dispatchers: int = Field(default_factory=dispatchers_for_the_cores, ge=0)
    # False: `hookline serve` answers the API only, and `hookline worker` processes deliver
    # (several API processes on one PostgreSQL database).
    dispatch: bool = True
    # Requests in flight per dispatcher, and per hook so that one slow receiver cannot take
    # every slot. More connections cost CPU even when idle; raise these for slow receivers.
    max_in_flight: int = 256
    max_in_flight_per_hook: int = 32
    claim_batch: int = 200
    poll_interval: float = 1.0
    # Events, deliveries and attempt logs older than this many days are deleted by the
    # dispatchers, but never a delivery still to be made, nor its event. 0 keeps everything.
    retention_days: float = Field(default=30.0, ge=0)
    token_ttl: int = 3600
    # How long a request waits for a lock held elsewhere (SQLite's write lock, a PostgreSQL
    # row or table lock) before it is answered 503: writers hold locks for milliseconds, so
    # one that holds a lock longer is stuck.
    lock_wait: float = Field(default=10.0, gt=0)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    # text: one readable line per record; json: one object per line, for log collectors.
    log_format: Literal["text", "json"] = "text"
    # One line per HTTP request (method, path, status, milliseconds) at INFO; off by default.
    access_log: bool = False
    # `/metrics` (Prometheus text); off: a 404.
    metrics: bool = True
    # The delivery and attempt figures of /metrics cover the deliveries and attempts of this
    # last stretch (a duration): each scrape counts them in the database, so a longer window
    # costs more per scrape on a busy installation.
    metrics_window: float = Field(default=300.0, gt=0)
    # The signing keys of the Logto webhooks relayed through `POST /api/hook-events/logto`,
    # comma-separated; empty: the relay is off (404).
    logto_signing_keys: str = ""

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _lowercase(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("retry_schedule", mode="before")
    @classmethod
    def _schedule(cls, value: object) -> object:
        return parse_schedule(value) if isinstance(value, str) else value

    @field_validator("disable_after", "key_grace", "metrics_window", mode="before")
    @classmethod
    def _duration(cls, value: object) -> object:
        return parse_duration(value) if isinstance(value, str) else value

    @field_validator("public_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
            raise ValueError("public_url must be an http(s) URL without a query")
        return value.rstrip("/")

    @field_validator("allow_private_networks", "trusted_proxies")
    @classmethod
    def _valid_networks(cls, value: str) -> str:
        for cidr in filter(None, (part.strip() for part in value.split(","))):
            ipaddress.ip_network(cidr, strict=False)
        return value

    @property
    def trusted_proxy_list(self) -> list[str]:
        # Networks written as uvicorn matches them (it ignores one with host bits set).
        parts = (part.strip() for part in self.trusted_proxies.split(","))
        return [str(ipaddress.ip_network(p, strict=False)) if "/" in p else p for p in parts if p]

    @property
    def private_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        parts = (part.strip() for part in self.allow_private_networks.split(","))
        return [ipaddress.ip_network(cidr, strict=False) for cidr in parts if cidr]

    @property
    def logto_keys(self) -> list[bytes]:
        return [key.strip().encode() for key in self.logto_signing_keys.split(",") if key.strip()]

    @property
    def lease_seconds(self) -> float:
        # Longer than any HTTP attempt, so a live worker never loses its claim mid-request.
        return self.request_timeout + 20.0
