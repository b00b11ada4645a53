"""SSRF guard: webhook URLs may reach only public addresses, unless an operator allows more."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from typing import Any

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class BlockedAddress(OSError):
    """The URL resolves to an address the guard refuses."""


def is_allowed(address: str, allowed: Sequence[Network]) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if any(ip in network for network in allowed):
        return True
    return ip.is_global and not ip.is_multicast


def check_literal(host: str, allowed: Sequence[Network]) -> None:
    """Refuse an IP-literal host (aiohttp connects to those without asking the resolver)."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return
    if not is_allowed(host.strip("[]"), allowed):
        raise BlockedAddress(f"{host} is not a public address")


class GuardedResolver(AbstractResolver):
    """Resolves names, then drops every address the guard refuses."""

    def __init__(self, allowed: Sequence[Network]) -> None:
        self._inner = DefaultResolver()
        self._allowed = list(allowed)

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        kept = [r for r in results if is_allowed(r["host"], self._allowed)]
        if not kept:
            raise BlockedAddress(f"{host} resolves only to non-public addresses")
        return kept

    async def close(self, *args: Any) -> None:
        await self._inner.close()
