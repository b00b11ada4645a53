"""`/api/hooks` CRUD and signing-key rotation, with Logto's status and error codes."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.support.api import emit, error_code, links, signature
from tests.support.logto_data import logto_exchange
from tests.support.receiver import Receiver

URL = "http://127.0.0.1:9/closed"  # never called: nothing is emitted to these hooks
EVENTS = ["User.Created", "User.Deleted"]


def logtos_keys(hook: dict) -> list[str]:
    """The hook's keys without hookline's own fields (signing-key rotation's grace period,
    the Ed25519 public key)."""
    return [key for key in hook if key not in {"previousSigningKeyExpiresAt", "signingPublicKey"}]


def test_create_returns_the_full_hook_in_logtos_key_order(api: httpx.Client, make_hook) -> None:
    hook = make_hook(
        URL,
        EVENTS + ["User.Created"],
        name="sync",
        config={"headers": {"x-api-key": "abc"}, "retries": 2},
    )
    assert logtos_keys(hook) == list(logto_exchange("hooks.create")["response"])
    assert hook["previousSigningKeyExpiresAt"] is None
    assert hook["signingPublicKey"] is None  # no Ed25519 pair until asked for
    assert re.fullmatch(r"[0-9a-z]{21}", hook["id"])
    assert re.fullmatch(r"[0-9a-zA-Z]{32}", hook["signingKey"])
    assert hook["tenantId"] == "default"
    assert hook["name"] == "sync" and hook["event"] is None and hook["enabled"] is True
    assert hook["events"] == EVENTS  # deduplicated, order kept
    assert hook["config"] == {"url": URL, "headers": {"x-api-key": "abc"}, "retries": 2}
    assert isinstance(hook["createdAt"], int)
    assert api.get(f"/hooks/{hook['id']}").json() == hook


def test_signing_keys_and_ids_are_unique(make_hook) -> None:
    first, second = make_hook(URL, EVENTS), make_hook(URL, EVENTS)
    assert first["id"] != second["id"] and first["signingKey"] != second["signingKey"]


def test_create_with_legacy_event_field(make_hook) -> None:
    hook = make_hook(URL, event="PostRegister")
    expected = logto_exchange("hooks.create.legacyEventField")["response"]
    assert logtos_keys(hook) == list(expected)
    assert (hook["name"], hook["event"], hook["events"]) == ("", "PostRegister", [])


def test_create_without_events_is_hook_missing_events(api: httpx.Client) -> None:
    response = api.post("/hooks", json={"name": "x", "config": {"url": URL}})
    assert error_code(response, 400) == "hook.missing_events"


def test_create_with_empty_events_is_invalid_input(api: httpx.Client) -> None:
    response = api.post("/hooks", json={"name": "bad", "events": [], "config": {"url": URL}})
    assert error_code(response, 400) == "guard.invalid_input"
    assert response.json()["data"]["issues"][0]["path"] == ["events"]


@pytest.mark.parametrize(
    "body",
    [
        {"events": ["User.Nope"], "config": {"url": URL}},
        {"event": "User.Nope", "config": {"url": URL}},
        {"events": ["User.Created"]},
        {"events": ["User.Created"], "config": {}},
        {"events": ["User.Created"], "config": {"url": "ftp://example.com/x"}},
        {"events": ["User.Created"], "config": {"url": "not-a-url"}},
        {"events": ["User.Created"], "config": {"url": "javascript:alert(1)"}},
        {"events": ["User.Created"], "config": {"url": URL, "headers": {"bad name": "v"}}},
        {"events": ["User.Created"], "config": {"url": URL, "headers": {"bad:name": "v"}}},
        {"events": ["User.Created"], "config": {"url": URL, "headers": {"x-ok\n": "v"}}},
        {"events": ["User.Created"], "config": {"url": URL, "headers": {"x-ok": "v\r\nx-evil: 1"}}},
        {"events": ["User.Created"], "config": {"url": URL, "headers": {"x-ok": "v\n"}}},
        {"events": ["User.Created"], "config": {"url": URL, "headers": {"x-ok": "caf\u00e9"}}},
        {"events": ["User.Created"], "config": {"url": URL, "headers": {"x-ok": 1}}},
        {"events": ["User.Created"], "config": {"url": URL, "retries": 4}},
        {"events": ["User.Created"], "config": {"url": URL, "retries": -1}},
        {"events": ["User.Created"], "name": "", "config": {"url": URL}},
    ],
    ids=[
        "unknown-event",
        "unknown-legacy-event",
        "no-config",
        "no-url",
        "ftp-url",
        "relative-url",
        "js-url",
        "header-name-space",
        "header-name-colon",
        "header-name-newline",
        "header-value-crlf",
        "header-value-newline",
        "header-value-non-ascii",
        "header-value-number",
        "retries-4",
        "retries-negative",
        "empty-name",
    ],
)
def test_create_rejects_invalid_bodies(api: httpx.Client, body: dict) -> None:
    response = api.post("/hooks", json=body)
    assert error_code(response, 400) == "guard.invalid_input"
    assert response.json()["message"] == "The request body is invalid."


def test_create_rejects_malformed_json(api: httpx.Client) -> None:
    response = api.post("/hooks", content=b"{nope", headers={"content-type": "application/json"})
    assert error_code(response, 400) == "guard.invalid_input"


@pytest.mark.parametrize("retries", [0, 3])
def test_retries_bounds_are_accepted(make_hook, retries: int) -> None:
    assert make_hook(URL, EVENTS, config={"retries": retries})["config"]["retries"] == retries


def test_list_is_newest_first_and_unpaginated_by_default(api: httpx.Client, make_hook) -> None:
    older = make_hook(URL, EVENTS, createdAt=1_000)
    newer = make_hook(URL, EVENTS, createdAt=2_000)
    response = api.get("/hooks")
    assert response.status_code == 200
    assert "Total-Number" not in response.headers and "Link" not in response.headers
    ids = [h["id"] for h in response.json()]
    assert ids.index(newer["id"]) < ids.index(older["id"])
    created = [h["createdAt"] for h in response.json()]
    assert created == sorted(created, reverse=True)
    assert all("executionStats" not in h for h in response.json())


def test_list_pagination(api: httpx.Client, make_hook) -> None:
    for _ in range(3):
        make_hook(URL, EVENTS)
    everything = [h["id"] for h in api.get("/hooks").json()]
    total = len(everything)

    first = api.get("/hooks", params={"page_size": 2})
    assert first.headers["Total-Number"] == str(total)
    assert [h["id"] for h in first.json()] == everything[:2]
    rels = links(first)
    assert rels["first"]["page"] == "1" and rels["next"]["page"] == "2"
    assert rels["last"]["page"] == str(-(-total // 2))
    assert rels["next"]["page_size"] == "2"

    second = api.get("/hooks", params={"page": 2, "page_size": 2})
    assert [h["id"] for h in second.json()] == everything[2:4]
    assert links(second)["prev"]["page"] == "1"

    last = api.get("/hooks", params={"page": rels["last"]["page"], "page_size": 2})
    assert "next" not in links(last)
    assert api.get("/hooks", params={"page": 1}).headers["Total-Number"] == str(total)


@pytest.mark.parametrize(
    "params", [{"page": 0}, {"page_size": 0}, {"page_size": 101}, {"page": "x"}]
)
def test_list_rejects_bad_pagination(api: httpx.Client, params: dict) -> None:
    assert error_code(api.get("/hooks", params=params), 400) == "guard.invalid_input"


@pytest.mark.parametrize("flag", ["1", "true", "TRUE", "y", "yes", "Yep", "yeah"])
def test_list_execution_stats_on_truthy_words(api: httpx.Client, make_hook, flag: str) -> None:
    hook = make_hook(URL, EVENTS)
    listed = api.get("/hooks", params={"includeExecutionStats": flag}).json()
    (mine,) = [h for h in listed if h["id"] == hook["id"]]
    assert list(mine)[-1] == "executionStats"
    assert mine["executionStats"] == {"successCount": 0, "requestCount": 0}


@pytest.mark.parametrize("flag", ["0", "false", "no", "on", ""])
def test_list_execution_stats_off_otherwise(api: httpx.Client, make_hook, flag: str) -> None:
    make_hook(URL, EVENTS)
    listed = api.get("/hooks", params={"includeExecutionStats": flag}).json()
    assert listed and all("executionStats" not in h for h in listed)


def test_get_stats_on_any_non_empty_value_like_logto(api: httpx.Client, make_hook) -> None:
    hook = make_hook(URL, EVENTS)
    path = f"/hooks/{hook['id']}"
    assert "executionStats" not in api.get(path).json()
    assert "executionStats" not in api.get(path, params={"includeExecutionStats": ""}).json()
    with_stats = api.get(path, params={"includeExecutionStats": "false"}).json()
    assert logtos_keys(with_stats) == list(logto_exchange("hooks.get.withStats")["response"])
    assert with_stats["executionStats"] == {"successCount": 0, "requestCount": 0}


def test_get_unknown_hook_is_404(api: httpx.Client) -> None:
    response = api.get("/hooks/does-not-exist")
    assert response.status_code == 404
    assert response.json() == logto_exchange("hooks.get.404")["response"]


def test_patch_is_partial(api: httpx.Client, make_hook) -> None:
    hook = make_hook(URL, EVENTS, name="before", config={"headers": {"x-a": "1"}})
    response = api.patch(f"/hooks/{hook['id']}", json={"name": "renamed", "enabled": False})
    assert response.status_code == 200
    assert response.json() == {**hook, "name": "renamed", "enabled": False}
    assert api.get(f"/hooks/{hook['id']}").json() == response.json()


def test_patch_config_replaces_the_whole_object(api: httpx.Client, make_hook) -> None:
    hook = make_hook(URL, EVENTS, config={"headers": {"x-a": "1"}, "retries": 1})
    patched = api.patch(f"/hooks/{hook['id']}", json={"config": {"url": URL + "/v2"}}).json()
    assert patched["config"] == {"url": URL + "/v2"}
    assert patched["events"] == EVENTS and patched["signingKey"] == hook["signingKey"]


def test_patch_events_and_legacy_event(api: httpx.Client, make_hook) -> None:
    hook = make_hook(URL, event="PostRegister")
    path = f"/hooks/{hook['id']}"
    patched = api.patch(path, json={"events": ["PostSignIn", "PostSignIn"], "event": None}).json()
    assert (patched["event"], patched["events"]) == (None, ["PostSignIn"])
    assert api.get(path).json()["event"] is None


@pytest.mark.parametrize(
    "body",
    [
        {"events": []},
        {"events": ["Nope"]},
        {"name": ""},
        {"config": {"headers": {}}},
        {"config": {"url": "ftp://x"}},
        {"config": {"url": URL, "retries": 9}},
        {"enabled": "maybe"},
    ],
)
def test_patch_rejects_invalid_bodies(api: httpx.Client, make_hook, body: dict) -> None:
    hook = make_hook(URL, EVENTS)
    assert error_code(api.patch(f"/hooks/{hook['id']}", json=body), 400) == "guard.invalid_input"
    assert api.get(f"/hooks/{hook['id']}").json() == hook


# The message's framing and the connection's own headers belong to the sender (RFC 9110
# §7.6.1): `Content-Length: 2` would cut the body a receiver gets.
WIRE_HEADERS = [
    "Content-Length",
    "Transfer-Encoding",
    "Host",
    "Connection",
    "Keep-Alive",
    "Proxy-Connection",
    "TE",
    "Trailer",
    "Upgrade",
    "Expect",
]


@pytest.mark.parametrize("case", [str.lower, str.upper, str.title], ids=["lower", "upper", "title"])
@pytest.mark.parametrize("name", WIRE_HEADERS)
def test_framing_and_connection_headers_are_refused(
    api: httpx.Client, make_hook, name: str, case
) -> None:
    headers = {"x-fine": "1", case(name): "2"}
    created = api.post(
        "/hooks", json={"events": EVENTS, "config": {"url": URL, "headers": headers}}
    )
    assert error_code(created, 400) == "guard.invalid_input"
    assert case(name) in created.json()["data"]["issues"][0]["message"]

    hook = make_hook(URL, EVENTS)
    patched = api.patch(f"/hooks/{hook['id']}", json={"config": {"url": URL, "headers": headers}})
    assert error_code(patched, 400) == "guard.invalid_input"
    assert api.get(f"/hooks/{hook['id']}").json() == hook


def test_patch_unknown_hook_is_404_entity_not_exists(api: httpx.Client) -> None:
    assert (
        error_code(api.patch("/hooks/does-not-exist", json={"name": "x"}), 404)
        == "entity.not_exists"
    )


def test_delete(api: httpx.Client) -> None:
    hook = api.post("/hooks", json={"events": EVENTS, "config": {"url": URL}}).json()
    response = api.delete(f"/hooks/{hook['id']}")
    assert response.status_code == 204 and response.content == b""
    assert error_code(api.get(f"/hooks/{hook['id']}"), 404) == "entity.not_exists_with_id"
    assert hook["id"] not in [h["id"] for h in api.get("/hooks").json()]
    assert error_code(api.delete(f"/hooks/{hook['id']}"), 404) == "entity.not_found"


def test_signing_key_cannot_be_read_on_its_own(api: httpx.Client, make_hook) -> None:
    hook = make_hook(URL, EVENTS)
    response = api.get(f"/hooks/{hook['id']}/signing-key")
    assert response.status_code == 405
    assert response.headers["allow"] == "PATCH"
    assert hook["signingKey"] not in response.text


def test_rotate_unknown_hook_is_404(api: httpx.Client) -> None:
    assert error_code(api.patch("/hooks/does-not-exist/signing-key"), 404) == "entity.not_exists"


def test_rotated_key_signs_every_later_delivery(
    api: httpx.Client, make_hook, receiver: Receiver
) -> None:
    hook = make_hook(receiver.url("/rotate"), ["Role.Created"])
    old_key = hook["signingKey"]
    emit(api, "Role.Created", {"data": {"id": "r1"}})
    (before,) = receiver.wait_for(1, "/rotate")
    assert before.header("logto-signature-sha-256") == signature(old_key, before.body)

    rotated = api.patch(f"/hooks/{hook['id']}/signing-key")
    assert rotated.status_code == 200
    new_key = rotated.json()["signingKey"]
    assert re.fullmatch(r"[0-9a-zA-Z]{32}", new_key) and new_key != old_key
    expires_at = rotated.json()["previousSigningKeyExpiresAt"]
    assert rotated.json() == {
        **hook,
        "signingKey": new_key,
        "previousSigningKeyExpiresAt": expires_at,
    }
    assert api.get(f"/hooks/{hook['id']}").json()["signingKey"] == new_key

    emit(api, "Role.Created", {"data": {"id": "r2"}})
    after = receiver.wait_for(2, "/rotate")[1]
    assert b'"r2"' in after.body
    assert after.header("logto-signature-sha-256") == signature(new_key, after.body)
    assert after.header("logto-signature-sha-256") != signature(old_key, after.body)


@pytest.mark.parametrize(
    "body",
    [
        {"events": ["User.Created"], "config": {"url": "http://x"}, "createdAt": 10**20},
        {"events": ["User.Created"], "config": {"url": "http://x/" + "a" * 2100}},
    ],
    ids=["createdAt-beyond-int64", "url-too-long"],
)
def test_out_of_range_values_are_a_400_not_a_500(api, body) -> None:
    response = api.post("/hooks", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "guard.invalid_input"


@pytest.mark.parametrize(
    "query", ["page=99999999999999999999", "start_time=99999999999999999999", "end_time=-1e3"]
)
def test_out_of_range_log_queries_are_a_400(api, make_hook, query) -> None:
    hook = make_hook("http://127.0.0.1:9/x", ["User.Created"])
    response = api.get(f"/hooks/{hook['id']}/recent-logs?{query}")
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "guard.invalid_input"
