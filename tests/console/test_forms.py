"""The hook form, checked as the Management API checks a body, with Logto's console's rules
for custom headers."""

from __future__ import annotations

import pytest
from starlette.datastructures import FormData

from hookline.console.forms import FormErrors, HookForm
from hookline.hooks.validation import HookCreate


def posted(**fields: str | list[str]) -> HookForm:
    items = []
    for name, value in fields.items():
        for one in value if isinstance(value, list) else [value]:
            items.append((name, one))
    return HookForm.posted(FormData(items))


def test_a_full_form_gives_the_config_the_api_stores() -> None:
    form = posted(
        url="https://example.com/hook",
        header_name=["X-Tenant", ""],
        header_value=["acme", ""],
        retries="2",
        ordering="subject",
        rate_limit="2.5",
        asymmetric="on",
        events=["User.Created"],
    )
    assert form.config() == {
        "url": "https://example.com/hook",
        "headers": {"X-Tenant": "acme"},
        "retries": 2,
        "ordering": "subject",
        "rateLimit": 2.5,
        "asymmetricSignature": True,
    }


def test_options_the_form_does_not_show_are_kept() -> None:
    hook = {
        "name": "n",
        "events": ["User.Created"],
        "event": None,
        "config": {"url": "https://a.example", "retries": 3, "rateLimit": 10},
    }
    shown = HookForm.of_hook(hook)
    assert (shown.retries, shown.rate_limit) == ("3", "10")
    again = HookForm.posted(FormData([("url", "https://b.example")]), shown.rest)
    assert again.config() == {"url": "https://b.example"}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"url": "ftp://example.com"}, "Endpoint URL: must be an http(s) URL"),
        ({"url": "x", "header_name": "X-A", "header_value": ""}, "each row needs a name"),
        (
            {"url": "https://e.example", "header_name": ["X-A", "X-A"], "header_value": ["1", "2"]},
            "X-A given more than once",
        ),
        (
            {"url": "https://e.example", "header_name": "Bad Name", "header_value": "v"},
            "must be printable ASCII without ':' or space",
        ),
        (
            {"url": "https://e.example", "header_name": "Host", "header_value": "v"},
            "is set by the sender",
        ),
        ({"url": "https://e.example", "retries": "9"}, "Retries:"),
        ({"url": "https://e.example", "rate_limit": "fast"}, "Rate limit: 'fast' is not a number"),
    ],
)
def test_what_is_wrong_is_named(fields: dict[str, str | list[str]], message: str) -> None:
    with pytest.raises(FormErrors) as raised:
        posted(**fields).config()
    assert any(message in m for m in raised.value.messages), raised.value.messages


def test_at_least_one_event() -> None:
    with pytest.raises(FormErrors, match="at least one event"):
        posted(url="https://e.example").checked_events()


def test_every_problem_is_named_at_once() -> None:
    with pytest.raises(FormErrors) as raised:
        posted(url="nope", header_name="X-A", header_value="").body(HookCreate)
    assert len(raised.value.messages) == 3, raised.value.messages


def test_a_sync_hooks_options_round_trip() -> None:
    config = {
        "url": "https://gate.example",
        "mode": "sync",
        "timeoutMs": 500,
        "onError": "allow",
        "requireSignedAnswer": True,
    }
    shown = HookForm.of_hook(
        {"name": "n", "events": ["PreSignIn"], "event": None, "config": config}
    )
    assert (shown.mode, shown.timeout_ms, shown.on_error, shown.require_signed, shown.rest) == (
        "sync",
        "500",
        "allow",
        True,
        {},
    )
    assert shown.config() == config


def test_an_asynchronous_hook_drops_the_sync_options() -> None:
    form = posted(url="https://e.example", mode="", timeout_ms="500", require_signed="on")
    assert form.config() == {"url": "https://e.example"}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"timeout_ms": "20000"}, "Timeout: Input should be less than or equal to 10000"),
        ({"timeout_ms": "soon"}, "Timeout: 'soon' is not a number"),
        ({"events": "PostSignIn"}, "Mode: A synchronous hook may only subscribe to PreRegister"),
    ],
)
def test_what_is_wrong_with_a_sync_hook_is_named(fields: dict[str, str], message: str) -> None:
    form = posted(**{"url": "https://e.example", "mode": "sync", "events": "PreSignIn", **fields})
    with pytest.raises(FormErrors) as raised:
        form.body(HookCreate)
    assert any(message in m for m in raised.value.messages), raised.value.messages
