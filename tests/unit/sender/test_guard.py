"""hookline.sender.guard: which addresses a webhook may reach."""

from __future__ import annotations

import ipaddress

import pytest

from hookline.sender.guard import BlockedAddress, check_literal, is_allowed

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
