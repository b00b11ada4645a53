"""Which addresses the Internet can reach: the IANA IPv4 and IPv6 Special-Purpose Address
Registries (RFC 6890), held here rather than taken from Python's `is_global`, whose answer
changes between patch releases of the same Python."""

from __future__ import annotations

import ipaddress
from typing import NamedTuple

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class Entry(NamedTuple):
    block: ipaddress.IPv4Network | ipaddress.IPv6Network
    name: str
    reachable: bool  # the registry's "Globally Reachable"


def _entry(block: str, name: str, reachable: bool) -> Entry:
    return Entry(ipaddress.ip_network(block), name, reachable)


# Every row of both registries. The most specific block decides: 192.0.0.9/32 is reachable
# inside 192.0.0.0/24, which is not. The registries give 6to4 and Teredo no answer ("N/A":
# reachable as the IPv4 address inside is); they are True here and the guard judges the
# address inside. 192.88.99.0/24 is a terminated entry with no answer: never reachable.
REGISTRY: tuple[Entry, ...] = (
    _entry("0.0.0.0/8", "This network", False),
    _entry("0.0.0.0/32", "This host on this network", False),
    _entry("10.0.0.0/8", "Private-Use", False),
    _entry("100.64.0.0/10", "Shared Address Space", False),
    _entry("127.0.0.0/8", "Loopback", False),
    _entry("169.254.0.0/16", "Link Local", False),
    _entry("172.16.0.0/12", "Private-Use", False),
    _entry("192.0.0.0/24", "IETF Protocol Assignments", False),
    _entry("192.0.0.0/29", "IPv4 Service Continuity Prefix", False),
    _entry("192.0.0.8/32", "IPv4 dummy address", False),
    _entry("192.0.0.9/32", "Port Control Protocol Anycast", True),
    _entry("192.0.0.10/32", "Traversal Using Relays around NAT Anycast", True),
    _entry("192.0.0.170/32", "NAT64/DNS64 Discovery", False),
    _entry("192.0.0.171/32", "NAT64/DNS64 Discovery", False),
    _entry("192.0.2.0/24", "Documentation (TEST-NET-1)", False),
    _entry("192.31.196.0/24", "AS112-v4", True),
    _entry("192.52.193.0/24", "AMT", True),
    _entry("192.88.99.0/24", "Deprecated (6to4 Relay Anycast)", False),
    _entry("192.88.99.2/32", "6a44-relay anycast address", False),
    _entry("192.168.0.0/16", "Private-Use", False),
    _entry("192.175.48.0/24", "Direct Delegation AS112 Service", True),
    _entry("198.18.0.0/15", "Benchmarking", False),
    _entry("198.51.100.0/24", "Documentation (TEST-NET-2)", False),
    _entry("203.0.113.0/24", "Documentation (TEST-NET-3)", False),
    _entry("240.0.0.0/4", "Reserved", False),
    _entry("255.255.255.255/32", "Limited Broadcast", False),
    _entry("::1/128", "Loopback Address", False),
    _entry("::/128", "Unspecified Address", False),
    _entry("::ffff:0:0/96", "IPv4-mapped Address", False),
    _entry("64:ff9b::/96", "IPv4-IPv6 Translation", True),
    _entry("64:ff9b:1::/48", "Local-Use IPv4/IPv6 Translation", False),
    _entry("100::/64", "Discard-Only Address Block", False),
    _entry("100:0:0:1::/64", "Dummy IPv6 Prefix", False),
    _entry("2001::/23", "IETF Protocol Assignments", False),
    _entry("2001::/32", "TEREDO", True),
    _entry("2001:1::1/128", "Port Control Protocol Anycast", True),
    _entry("2001:1::2/128", "Traversal Using Relays around NAT Anycast", True),
    _entry("2001:1::3/128", "DNS-SD Service Registration Protocol Anycast", True),
    _entry("2001:2::/48", "Benchmarking", False),
    _entry("2001:3::/32", "AMT", True),
    _entry("2001:4:112::/48", "AS112-v6", True),
    _entry("2001:10::/28", "Deprecated (previously ORCHID)", False),
    _entry("2001:20::/28", "ORCHIDv2", True),
    _entry("2001:30::/28", "Drone Remote ID Protocol Entity Tags (DETs) Prefix", True),
    _entry("2001:db8::/32", "Documentation", False),
    _entry("2002::/16", "6to4", True),
    _entry("2620:4f:8000::/48", "Direct Delegation AS112 Service", True),
    _entry("3fff::/20", "Documentation", False),
    _entry("5f00::/16", "Segment Routing (SRv6) SIDs", False),
    _entry("fc00::/7", "Unique-Local", False),
    _entry("fe80::/10", "Link-Local Unicast", False),
)

# Most specific first, so that the first block that holds an address is the one that decides.
_BY_SPECIFICITY = sorted(REGISTRY, key=lambda e: e.block.prefixlen, reverse=True)

# Outside the special-purpose registries: IPv4 multicast (its own registry), and for IPv6
# everything but global unicast (IANA's IPv6 Address Space: multicast, the deprecated
# site-local fec0::/10 and IPv4-compatible ::/96, and what is not yet allocated).
_IPV4_MULTICAST = ipaddress.ip_network("224.0.0.0/4")
_IPV6_GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")


def refusal(ip: Address) -> str | None:
    """Why the Internet cannot reach `ip` (the registry entry's name), or None if it can."""
    for entry in _BY_SPECIFICITY:
        if ip in entry.block:
            return None if entry.reachable else entry.name
    if isinstance(ip, ipaddress.IPv4Address):
        return "Multicast" if ip in _IPV4_MULTICAST else None
    if ip in _IPV6_GLOBAL_UNICAST:
        return None
    if ip.is_multicast:
        return "Multicast"
    if ip.is_site_local:
        return "Site-Local (deprecated)"
    return "not global unicast"
