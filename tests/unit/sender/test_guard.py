"""hookline.sender.guard: which addresses a webhook may reach."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from contextlib import nullcontext

import pytest

from hookline.sender.guard import BlockedAddress, GuardedResolver, check_literal, is_allowed
from hookline.sender.special_purpose import REGISTRY

PUBLIC = [
    "8.8.8.8",
    "1.1.1.1",
    "172.32.0.1",
    "93.184.216.34",
    "2606:4700:4700::1111",
    "::ffff:8.8.8.8",
]
BLOCKED = [
    "10.0.0.1",
    "10.255.255.255",  # 10/8
    "172.16.0.1",
    "172.31.255.254",  # 172.16/12
    "192.168.0.1",
    "192.168.255.255",  # 192.168/16
    "127.0.0.1",
    "127.1.2.3",  # loopback
    "169.254.169.254",  # link-local / cloud metadata
    "0.0.0.0",
    "100.64.0.1",
    "224.0.0.1",
    "255.255.255.255",
    "::1",
    "::",  # IPv6 loopback, unspecified
    "fc00::1",
    "fd12:3456::1",
    "fdff:ffff::1",  # fc00::/7
    "fe80::1",  # IPv6 link-local
    "::ffff:10.0.0.1",
    "::ffff:127.0.0.1",
    "::ffff:169.254.169.254",
    "::ffff:192.168.1.1",
]


def nets(*cidrs: str) -> list:
    return [ipaddress.ip_network(c) for c in cidrs]


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_allowed(address: str) -> None:
    assert is_allowed(address, []) is True


@pytest.mark.parametrize("address", BLOCKED)
def test_special_addresses_blocked(address: str) -> None:
    assert is_allowed(address, []) is False


@pytest.mark.parametrize(
    ("allowed", "address", "expected"),
    [
        (("10.0.0.0/8",), "10.1.2.3", True),
        (("10.0.0.0/8",), "::ffff:10.0.0.1", True),  # mapped form matches the IPv4 network
        (("10.0.0.0/8",), "192.168.1.1", False),
        (("10.0.0.0/8",), "172.16.0.1", False),
        (("10.0.0.0/8",), "8.8.8.8", True),  # public stays allowed
        (("192.168.1.0/24",), "192.168.1.77", True),
        (("192.168.1.0/24",), "192.168.2.1", False),
        (("127.0.0.0/8", "::1/128"), "127.0.0.1", True),
        (("127.0.0.0/8", "::1/128"), "::1", True),
        (("127.0.0.0/8", "::1/128"), "169.254.169.254", False),
        (("127.0.0.0/8", "::1/128"), "fd00::1", False),
        (("fc00::/7",), "fd00::1", True),
        (("fc00::/7",), "10.0.0.1", False),
        (("::1/128",), "127.0.0.1", False),
    ],
)
def test_allow_list(allowed: tuple[str, ...], address: str, expected: bool) -> None:
    assert is_allowed(address, nets(*allowed)) is expected


@pytest.mark.parametrize(
    "host",
    [
        "10.0.0.1",
        "127.0.0.1",
        "169.254.169.254",
        "192.168.0.10",
        "::1",
        "[::1]",
        "[fd00::1]",
        "[::ffff:10.0.0.1]",
        "0.0.0.0",
    ],
)
def test_check_literal_blocks_private_literals(host: str) -> None:
    with pytest.raises(BlockedAddress):
        check_literal(host, [])


def test_blocked_address_is_an_oserror() -> None:
    # the transport relies on this to classify it among connection failures
    with pytest.raises(OSError):
        check_literal("10.0.0.1", [])


@pytest.mark.parametrize(
    "host", ["example.com", "localhost", "hooks.internal", "8.8.8.8", "[2606:4700:4700::1111]"]
)
def test_check_literal_passes_hostnames_and_public_literals(host: str) -> None:
    assert check_literal(host, []) is None


def test_check_literal_honours_allow_list() -> None:
    check_literal("10.0.0.1", nets("10.0.0.0/8"))
    check_literal("[::1]", nets("::1/128"))
    with pytest.raises(BlockedAddress):
        check_literal("192.168.0.1", nets("10.0.0.0/8"))


PUBLIC_V4 = "8.8.8.8"


def teredo(server: str, client: str) -> str:
    """A Teredo address (RFC 4380): prefix, server, flags, port, client; the last two inverted."""
    server_bits = int(ipaddress.IPv4Address(server))
    client_bits = int(ipaddress.IPv4Address(client)) ^ 0xFFFFFFFF
    port_bits = 3544 ^ 0xFFFF
    value = (0x20010000 << 96) | (server_bits << 64) | (port_bits << 32) | client_bits
    return str(ipaddress.IPv6Address(value))


# Every entry of the IANA IPv4 and IPv6 Special-Purpose Address Registries: its block, an
# address that no more specific entry holds, and the verdict. Globally reachable entries are
# public; 6to4 and Teredo ("N/A" in the registries) are judged by the IPv4 address inside.
REGISTRY_VERDICTS = [
    ("0.0.0.0/8", "0.1.2.3", False),
    ("0.0.0.0/32", "0.0.0.0", False),
    ("10.0.0.0/8", "10.20.30.40", False),
    ("100.64.0.0/10", "100.127.255.254", False),
    ("127.0.0.0/8", "127.255.0.1", False),
    ("169.254.0.0/16", "169.254.0.1", False),
    ("172.16.0.0/12", "172.20.0.1", False),
    ("192.0.0.0/24", "192.0.0.100", False),
    ("192.0.0.0/29", "192.0.0.1", False),
    ("192.0.0.8/32", "192.0.0.8", False),
    ("192.0.0.9/32", "192.0.0.9", True),
    ("192.0.0.10/32", "192.0.0.10", True),
    ("192.0.0.170/32", "192.0.0.170", False),
    ("192.0.0.171/32", "192.0.0.171", False),
    ("192.0.2.0/24", "192.0.2.1", False),
    ("192.31.196.0/24", "192.31.196.1", True),
    ("192.52.193.0/24", "192.52.193.1", True),
    ("192.88.99.0/24", "192.88.99.1", False),
    ("192.88.99.2/32", "192.88.99.2", False),
    ("192.168.0.0/16", "192.168.100.1", False),
    ("192.175.48.0/24", "192.175.48.1", True),
    ("198.18.0.0/15", "198.19.0.1", False),
    ("198.51.100.0/24", "198.51.100.1", False),
    ("203.0.113.0/24", "203.0.113.1", False),
    ("240.0.0.0/4", "250.1.2.3", False),
    ("255.255.255.255/32", "255.255.255.255", False),
    ("::1/128", "::1", False),
    ("::/128", "::", False),
    ("::ffff:0:0/96", "::ffff:0:0", False),  # 0.0.0.0; mapped public addresses below
    ("64:ff9b::/96", "64:ff9b::808:808", True),
    ("64:ff9b:1::/48", "64:ff9b:1::808:808", False),
    ("100::/64", "100::1", False),
    ("100:0:0:1::/64", "100:0:0:1::1", False),
    ("2001::/23", "2001:4::1", False),
    ("2001::/32", teredo(PUBLIC_V4, "1.1.1.1"), True),
    ("2001:1::1/128", "2001:1::1", True),
    ("2001:1::2/128", "2001:1::2", True),
    ("2001:1::3/128", "2001:1::3", True),
    ("2001:2::/48", "2001:2::1", False),
    ("2001:3::/32", "2001:3::1", True),
    ("2001:4:112::/48", "2001:4:112::1", True),
    ("2001:10::/28", "2001:10::1", False),
    ("2001:20::/28", "2001:20::1", True),
    ("2001:30::/28", "2001:30::1", True),
    ("2001:db8::/32", "2001:db8::1", False),
    ("2002::/16", "2002:808:808::1", True),
    ("2620:4f:8000::/48", "2620:4f:8000::1", True),
    ("3fff::/20", "3fff::1", False),
    ("5f00::/16", "5f00::1", False),
    ("fc00::/7", "fd00::1", False),
    ("fe80::/10", "fe80::1", False),
]

# Outside those registries: multicast, and IPv6 outside global unicast (2000::/3).
UNREGISTERED_REFUSED = [
    "224.0.0.1",
    "239.255.255.250",
    "ff02::1",
    "ff0e::1",  # global-scope multicast
    "fec0::1",
    "feff:ffff::1",  # site-local, deprecated
    "::0.0.0.2",
    "::8.8.8.8",  # IPv4-compatible, deprecated
    "::ffff:0:808:808",  # SIIT's IPv4-translated, deprecated
    "4000::1",
    "e000::1",  # not allocated
]


def embeddings(v4: str) -> dict[str, str]:
    """Every IPv6 form that carries `v4`."""
    bits = int(ipaddress.IPv4Address(v4))
    last32 = f"{bits >> 16:x}:{bits & 0xFFFF:x}"
    return {
        "mapped": f"::ffff:{v4}",
        "compatible": f"::{v4}",
        "nat64": f"64:ff9b::{v4}",
        "nat64-local": f"64:ff9b:1::{last32}",
        "6to4": f"2002:{last32}::1",
        "teredo-client": teredo(PUBLIC_V4, v4),
        "teredo-server": teredo(v4, PUBLIC_V4),
    }


# Forms whose own prefix is globally reachable: they carry a public IPv4 address publicly.
ROUTABLE_FORMS = {"mapped", "nat64", "6to4", "teredo-client", "teredo-server"}
PRIVATE_V4 = ["127.0.0.1", "10.0.0.1", "169.254.169.254", "192.168.1.1", "100.64.0.1"]
PUBLIC_V4S = [PUBLIC_V4, "1.1.1.1", "93.184.216.34"]


def test_the_registries_are_held_whole() -> None:
    held = {str(entry.block) for entry in REGISTRY}
    assert held == {block for block, _, _ in REGISTRY_VERDICTS}


@pytest.mark.parametrize(
    ("block", "address", "public"), REGISTRY_VERDICTS, ids=[b for b, _, _ in REGISTRY_VERDICTS]
)
def test_registry_entries(block: str, address: str, public: bool) -> None:
    entries = [e for e in REGISTRY if ipaddress.ip_address(address) in e.block]
    assert str(max(entries, key=lambda e: e.block.prefixlen).block) == block
    assert is_allowed(address, []) is public
    with nullcontext() if public else pytest.raises(BlockedAddress):
        check_literal(f"[{address}]" if ":" in address else address, [])


@pytest.mark.parametrize("address", UNREGISTERED_REFUSED)
def test_outside_the_registries_refused(address: str) -> None:
    assert is_allowed(address, []) is False


@pytest.mark.parametrize("v4", PRIVATE_V4)
@pytest.mark.parametrize("form", sorted(embeddings(PUBLIC_V4)))
def test_every_embedding_of_a_private_ipv4_refused(form: str, v4: str) -> None:
    address = embeddings(v4)[form]
    assert is_allowed(address, []) is False
    with pytest.raises(BlockedAddress):
        check_literal(f"[{address}]", [])


@pytest.mark.parametrize("v4", PUBLIC_V4S)
@pytest.mark.parametrize("form", sorted(embeddings(PUBLIC_V4)))
def test_embeddings_of_a_public_ipv4(form: str, v4: str) -> None:
    assert is_allowed(embeddings(v4)[form], []) is (form in ROUTABLE_FORMS)


@pytest.mark.parametrize("form", sorted(embeddings(PUBLIC_V4)))
def test_an_allowed_ipv4_is_allowed_in_every_embedding(form: str) -> None:
    address = embeddings("127.0.0.1")[form]
    assert is_allowed(address, nets("127.0.0.0/8")) is True
    assert is_allowed(address, nets("10.0.0.0/8", "::1/128")) is False


def test_an_allowed_teredo_client_needs_a_public_server() -> None:
    assert is_allowed(teredo("10.0.0.1", "127.0.0.1"), nets("127.0.0.0/8")) is False
    assert is_allowed(teredo("10.0.0.1", "127.0.0.1"), nets("127.0.0.0/8", "10.0.0.0/8"))


def test_an_allowed_prefix_lets_its_addresses_through() -> None:
    assert is_allowed("fec0::1", nets("fec0::/10")) is True
    assert is_allowed("64:ff9b:1::808:808", nets("64:ff9b:1::/48")) is True
    assert is_allowed("64:ff9b:1::808:808", nets("64:ff9b::/96")) is False


def resolve(host: str, allowed: tuple[str, ...] = ()) -> list[str]:
    """What the connector would connect to: the real resolver, then the guard."""

    async def run() -> list[str]:
        resolver = GuardedResolver(nets(*allowed))
        try:
            return [r["host"] for r in await resolver.resolve(host, 80, socket.AF_UNSPEC)]
        finally:
            await resolver.close()

    return asyncio.run(run())


@pytest.mark.parametrize(
    "host", ["64:ff9b::7f00:1", "2002:a00:1::1", "::127.0.0.1", "fec0::1", "localhost"]
)
def test_resolved_addresses_are_judged_when_connecting(host: str) -> None:
    with pytest.raises(BlockedAddress) as refused:
        resolve(host)
    assert refused.value.host == host
    assert refused.value.refused
    for address, reason in refused.value.refused:
        assert reason and not is_allowed(address, [])


def test_resolver_keeps_what_the_allow_list_lets_through() -> None:
    assert resolve("localhost", ("127.0.0.0/8",)) == ["127.0.0.1"]
    assert resolve("64:ff9b::7f00:1", ("127.0.0.0/8",)) == ["64:ff9b::7f00:1"]
