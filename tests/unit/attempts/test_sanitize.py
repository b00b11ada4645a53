"""hookline.attempts.sanitize: Logto's log sanitizer rules (SPEC §8)."""

from __future__ import annotations

import copy
import json

import pytest

from hookline.attempts.sanitize import sanitize
from tests.support.logto_data import captures, hook_logs

MASK = "******"

MASKED_KEYS = [
    # contains secret / password / apikey / privatekey / credential / cookie (after normalising)
    "secret",
    "clientSecret",
    "client_secret",
    "CLIENT-SECRET",
    "secretValue",
    "password",
    "newPassword",
    "PASSWORD_HASH",
    "passwordDigest",
    "apiKey",
    "api_key",
    "x-api-key",
    "API-KEY-ID",
    "privateKey",
    "private_key",
    "signingPrivateKeyPem",
    "credential",
    "credentials",
    "awsCredentials",
    "Credential_Id",
    "cookie",
    "Set-Cookie",
    "cookies",
    "sessionCookie",
    # equals authorization / xfunctionskey / token
    "authorization",
    "Authorization",
    "AUTHORIZATION",
    "x-functions-key",
    "X-Functions-Key",
    "xFunctionsKey",
    "token",
    "Token",
    "_token_",
    # ends with token
    "accessToken",
    "refresh_token",
    "id-token",
    "ID_TOKEN",
    "csrftoken",
    "bearerToken",
]
KEPT_KEYS = [
    "username",
    "email",
    "primaryEmail",
    "id",
    "key",
    "name",
    "data",
    "authorizationEndpoint",
    "proxy-authorization-mode",  # not equal to authorization
    "functionsKey",
    "xFunctionsKeyId",  # not equal to xfunctionskey
    "tokenType",
    "tokens",
    "token_count",
    "tokenEndpoint",  # token not at the end
    "secre",
    "pass",
    "api",
    "private",
    "cred",
    "cook",
]


@pytest.mark.parametrize("key", MASKED_KEYS)
def test_sensitive_keys_are_masked(key: str) -> None:
    assert sanitize({key: "value", "other": 1}) == {key: MASK, "other": 1}


@pytest.mark.parametrize("key", KEPT_KEYS)
def test_other_keys_are_kept(key: str) -> None:
    assert sanitize({key: "value"}) == {key: "value"}


@pytest.mark.parametrize("value", [None, 0, 12.5, [], {}, "x", ["a", "b"], {"n": 1}])
def test_mask_replaces_any_value_type(value) -> None:
    """Booleans aside: a flag such as `hasPassword` is logged as is."""
    assert sanitize({"apiToken": value}) == {"apiToken": MASK}


@pytest.mark.parametrize(
    "key",
    [
        "script",
        "Script",
        "SCRIPT",
        "customScript",
        "script_body",
        "environmentVariables",
        "environment_variables",
        "ENVIRONMENT-VARIABLES",
    ],
)
def test_script_and_environment_variables_are_dropped(key: str) -> None:
    assert sanitize({"before": 1, key: {"password": "p"}, "after": 2}) == {"before": 1, "after": 2}


def test_recurses_into_dicts_and_lists() -> None:
    value = {
        "data": {
            "customData": {"apiToken": "t0k", "plan": "pro", "nested": [{"password": "pw"}]},
            "identities": [{"provider": "github", "details": {"accessToken": "gho_x"}}],
        },
        "list": [[{"Cookie": "sid=1"}], "plain", 3, None],
        "script": "return 1",
    }
    assert sanitize(value) == {
        "data": {
            "customData": {"apiToken": MASK, "plan": "pro", "nested": [{"password": MASK}]},
            "identities": [{"provider": "github", "details": {"accessToken": MASK}}],
        },
        "list": [[{"Cookie": MASK}], "plain", 3, None],
    }


@pytest.mark.parametrize(
    "value",
    [None, True, 0, -1.5, "secret", "password=hunter2", ["token", "secret"], [], {}],
)
def test_values_themselves_are_never_inspected(value) -> None:
    # only keys decide; values, even sensitive-looking ones, pass through unchanged
    assert sanitize(value) == value
    assert sanitize({"note": value}) == {"note": value}


def test_key_order_kept_and_input_not_mutated() -> None:
    value = {"z": 1, "password": "p", "a": {"token": "t", "b": 2}, "m": [{"secret": "s"}]}
    before = copy.deepcopy(value)
    result = sanitize(value)
    assert value == before
    assert list(result) == ["z", "password", "a", "m"]
    assert list(result["a"]) == ["token", "b"]


def test_delivered_body_keeps_cleartext_while_log_is_masked() -> None:
    # SPEC §8: a customData key `apiToken` is masked in the log but sent in clear.
    body = {"event": "User.Created", "data": {"customData": {"apiToken": "abc"}}, "hookId": "h"}
    assert sanitize(body)["data"]["customData"]["apiToken"] == MASK
    assert body["data"]["customData"]["apiToken"] == "abc"


# --- against what real Logto logged -------------------------------------------------------

_SENT = {}
for _c in captures():
    _b = _c.json()
    _SENT[(_b.get("hookId"), _b["event"], _b["createdAt"])] = _b


def _keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def _log_param(log: dict):
    body = log["hookRequestBody"]
    return pytest.param(log, id=f"{body['event']}-{body['createdAt']}-{body['hookId']}")


def test_logto_logs_fixture_matches_captures() -> None:
    assert len(hook_logs()) == 28
    for log in hook_logs():
        body = log["hookRequestBody"]
        assert (body["hookId"], body["event"], body["createdAt"]) in _SENT


@pytest.mark.parametrize("log", [_log_param(log) for log in hook_logs()])
def test_sanitize_matches_what_logto_logged(log: dict) -> None:
    """sanitize(body as delivered) == hookRequest.body in Logto's own recent-logs."""
    body = log["hookRequestBody"]
    sent = _SENT[(body["hookId"], body["event"], body["createdAt"])]
    assert sanitize(sent) == body, json.dumps(body)[:200]


def test_description_is_not_a_script_key() -> None:
    value = {"name": "admin", "description": "Administrators", "scopes": []}
    assert sanitize(value) == value


@pytest.mark.parametrize("value", [True, False])
def test_has_password_boolean_is_kept(value: bool) -> None:
    assert sanitize({"id": "u1", "hasPassword": value}) == {"id": "u1", "hasPassword": value}
