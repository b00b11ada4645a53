"""The HTTP message connector sends through the SSRF guard, as webhooks do."""

from __future__ import annotations

import asyncio
import ipaddress
import json

import pytest

from hookline.identity.messages import HttpConnector, Message, MessageError
from tests.support.receiver import Receiver

MESSAGE = Message("15550001111", "SignIn", "123456", "sms")


def test_a_private_address_is_refused_unless_allowed(receiver: Receiver) -> None:
    url = receiver.url("/sms")
    with pytest.raises(MessageError, match="not a public address"):
        asyncio.run(HttpConnector(url, allowed=[]).send(MESSAGE))
    loopback = [ipaddress.ip_network("127.0.0.0/8")]
    asyncio.run(HttpConnector(url, allowed=loopback).send(MESSAGE))
    [sent] = receiver.wait_for(1, "/sms")
    assert json.loads(sent.body)["code"] == "123456"
