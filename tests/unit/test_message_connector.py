"""The HTTP message connector sends as webhooks are sent; the operator's provider URL may be
on any network."""

from __future__ import annotations

import asyncio
import ipaddress
import json

import pytest

from hookline.config import Settings
from hookline.identity.messages import HttpConnector, Message, MessageError, connector
from tests.support.receiver import Receiver

MESSAGE = Message("15550001111", "SignIn", "123456", "sms")


def test_a_private_address_is_refused_unless_allowed(receiver: Receiver) -> None:
    url = receiver.url("/sms")
    with pytest.raises(MessageError, match="could not be reached"):
        asyncio.run(HttpConnector(url, allowed=[]).send(MESSAGE))
    loopback = [ipaddress.ip_network("127.0.0.0/8")]
    asyncio.run(HttpConnector(url, allowed=loopback).send(MESSAGE))
    [sent] = receiver.wait_for(1, "/sms")
    assert json.loads(sent.body)["code"] == "123456"


def test_the_operators_provider_may_be_on_a_private_network(receiver: Receiver) -> None:
    settings = Settings(message_http_url=receiver.url("/sms"), allow_private_networks="")
    asyncio.run(connector(settings).send(MESSAGE))
    [sent] = receiver.wait_for(1, "/sms")
    assert json.loads(sent.body)["code"] == "123456"
