"""SSRF guard: webhook URLs may reach only public addresses, unless an operator allows more."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from typing import Any

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from hookline.sender.special_purpose import Address, refusal

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# IPv6 prefixes whose last 32 bits are an IPv4 address a translator or tunnel sends on to:
# IPv4-compatible (deprecated) and NAT64's well-known and local-use prefixes (RFC 6052, RFC
# 8215). A local-use prefix shorter than /96 puts the IPv4 address elsewhere; those
# addresses are refused all the same, as the prefix is not globally reachable.
_LAST_32_BITS = tuple(ipaddress.ip_network(n) for n in ("::/96", "64:ff9b::/96", "64:ff9b:1::/48"))


class BlockedAddress(OSError):
    """The URL resolves to an address the guard refuses; `refused` says which and why."""

    def __init__(self, message: str, host: str, refused: list[tuple[str, str]]) -> None:
        super().__init__(message)
        self.host = host
        self.refused = refused


def embedded_ipv4(ip: Address) -> tuple[ipaddress.IPv4Address, ...]:
    """The IPv4 addresses an IPv6 address carries: traffic to it ends up at them."""
    if isinstance(ip, ipaddress.IPv4Address):
        return ()
    if ip.ipv4_mapped:
        return (ip.ipv4_mapped,)
    if ip.teredo:  # the Teredo server and the (de-obfuscated) client
        return ip.teredo
    if ip.sixtofour:
        return (ip.sixtofour,)
    # `::` and `::1` are themselves, not IPv4-compatible 0.0.0.0 and 0.0.0.1.
    if int(ip) > 1 and any(ip in prefix for prefix in _LAST_32_BITS):
        return (ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF),)
    return ()


def why_refused(address: str, allowed: Sequence[Network]) -> str | None:
    """None if a webhook may reach `address`; else why not.

    An address in an allowed network is let through, and so is an IPv6 address that carries
    an IPv4 address in one (`::ffff:127.0.0.1`, `64:ff9b::7f00:1` when 127.0.0.0/8 is allowed)
    if any other IPv4 address it carries (Teredo's server) is public: the request ends at the
    IPv4 address the operator allowed, whatever wraps it. Otherwise the address must be
    globally reachable, and so must every IPv4 address inside it: 6to4, Teredo and NAT64 carry
    private addresses as readily as public ones."""
    ip = ipaddress.ip_address(address)
    if _listed(ip, allowed):
        return None
    inside = embedded_ipv4(ip)
    if any(_listed(v4, allowed) for v4 in inside) and all(
        _listed(v4, allowed) or refusal(v4) is None for v4 in inside
    ):
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped  # a dual-stack socket talks IPv4 to it: judged as that address
        inside = ()
    reason = refusal(ip)
    if reason is not None:
        return reason
    for v4 in inside:
        reason = refusal(v4)
        if reason is not None:
            return f"carries {v4}: {reason}"
    return None


def _listed(ip: Address, allowed: Sequence[Network]) -> bool:
    return any(ip in network for network in allowed)


def is_allowed(address: str, allowed: Sequence[Network]) -> bool:
    return why_refused(address, allowed) is None


def check_literal(host: str, allowed: Sequence[Network]) -> None:
    """Refuse an IP-literal host (aiohttp connects to those without asking the resolver)."""
    address = host.strip("[]")
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return
    reason = why_refused(address, allowed)
    if reason is not None:
        raise BlockedAddress(f"{host} is not a public address", host, [(address, reason)])


class GuardedResolver(AbstractResolver):
    """Resolves names, then drops every address the guard refuses."""

    def __init__(self, allowed: Sequence[Network]) -> None:
        self._inner = DefaultResolver()
        self._allowed = list(allowed)

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        kept, refused = [], []
        for result in results:
            reason = why_refused(result["host"], self._allowed)
            if reason is None:
                kept.append(result)
            else:
                refused.append((result["host"], reason))
        if not kept:
            raise BlockedAddress(f"{host} resolves only to non-public addresses", host, refused)
        return kept

    async def close(self, *args: Any) -> None:
        await self._inner.close()
