"""The sign-in experience: Logto's settings object and its validation.

One row (`id = "default"`) holds the whole object as JSON. Keys hookline does not act on are
kept and answered as given (type-checked only). `messageRateLimitPolicy` is hookline's own
addition: the per-recipient verification-code send limit (Logto's is not tenant-editable).
"""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import Connection, insert, select, update

from hookline.db.tables import sign_in_experiences
from hookline.errors import ApiError, invalid_input
from hookline.identity.identifiers import IDENTIFIER_TYPES

ROW_ID = "default"

# What a fresh Logto 1.37 tenant answers (captured), plus hookline's rate-limit policy.
DEFAULTS: dict[str, Any] = {
    "tenantId": "default",
    "id": "default",
    "color": {"primaryColor": "#6139F6", "isDarkModeEnabled": False, "darkPrimaryColor": "#8768F8"},
    "branding": {
        "logoUrl": "https://logto.io/logo.svg",
        "darkLogoUrl": "https://logto.io/logo-dark.svg",
    },
    "hideLogtoBranding": False,
    "languageInfo": {"autoDetect": True, "fallbackLanguage": "en"},
    "termsOfUseUrl": None,
    "privacyPolicyUrl": None,
    "agreeToTermsPolicy": "Automatic",
    "signIn": {
        "methods": [
            {
                "identifier": "username",
                "password": True,
                "verificationCode": False,
                "isPasswordPrimary": True,
            }
        ]
    },
    "signUp": {"identifiers": ["username"], "password": True, "verify": False},
    "socialSignIn": {},
    "socialSignInConnectorTargets": [],
    "signInMode": "SignInAndRegister",
    "customCss": None,
    "customContent": {},
    "customUiAssets": None,
    "passwordPolicy": {},
    "mfa": {"factors": [], "policy": "UserControlled"},
    "adaptiveMfa": {},
    "singleSignOnEnabled": False,
    "supportEmail": None,
    "supportWebsiteUrl": None,
    "unknownSessionRedirectUrl": None,
    "captchaPolicy": {},
    "sentinelPolicy": {},
    "emailBlocklistPolicy": {},
    "forgotPasswordMethods": [],
    "passkeySignIn": {},
    "messageRateLimitPolicy": {},
}

DEFAULT_SENTINEL = {"maxAttempts": 100, "lockoutDuration": 60}
DEFAULT_RATE_LIMIT = {"maxSendsPerRecipient": 5, "sendWindow": 600}
DEFAULT_LENGTH = {"min": 8, "max": 256}
DEFAULT_CHARACTER_TYPES = {"min": 1}
DEFAULT_REJECTS = {"pwned": True, "repetitionAndSequence": True, "userInfo": True, "words": []}

SIGN_IN_MODES = ("SignIn", "Register", "SignInAndRegister")


def get_sign_in_experience(conn: Connection) -> dict[str, Any]:
    row = conn.execute(
        select(sign_in_experiences.c.data).where(sign_in_experiences.c.id == ROW_ID)
    ).first()
    stored = row.data if row is not None else {}
    return {key: stored.get(key, copy.deepcopy(value)) for key, value in DEFAULTS.items()}


def update_sign_in_experience(conn: Connection, body: dict[str, Any]) -> dict[str, Any]:
    """`PATCH /sign-in-exp`: validated top-level keys replace the stored ones."""
    current = get_sign_in_experience(conn)
    changes = {key: _validate(key, value) for key, value in body.items() if key in _CHECKS}
    merged = {**current, **changes}
    stored = {k: v for k, v in merged.items() if k not in ("tenantId", "id")}
    exists = conn.execute(
        select(sign_in_experiences.c.id).where(sign_in_experiences.c.id == ROW_ID)
    ).first()
    if exists is None:
        conn.execute(insert(sign_in_experiences).values(id=ROW_ID, data=stored))
    else:
        conn.execute(
            update(sign_in_experiences)
            .where(sign_in_experiences.c.id == ROW_ID)
            .values(data=stored)
        )
    return get_sign_in_experience(conn)


def sentinel_policy(settings: dict[str, Any]) -> dict[str, int]:
    return {**DEFAULT_SENTINEL, **settings["sentinelPolicy"]}


def rate_limit_policy(settings: dict[str, Any]) -> dict[str, int]:
    return {**DEFAULT_RATE_LIMIT, **settings["messageRateLimitPolicy"]}


# Validation: each returns the value to store, or raises 400 guard.invalid_input.


def _fail(key: str, why: str) -> ApiError:
    return invalid_input(f'Error in key path "{key}": {why}')


def _int(key: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _fail(key, f"expected an integer between {low} and {high}")
    return value


def _bool(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _fail(key, "expected a boolean")
    return value


def _object(key: str, value: Any, allowed: tuple[str, ...] | None = None) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(key, "expected an object")
    if allowed is not None:
        return {k: v for k, v in value.items() if k in allowed}
    return value


def _sentinel(key: str, value: Any) -> dict[str, int]:
    value = _object(key, value, ("maxAttempts", "lockoutDuration"))
    out = {}
    if "maxAttempts" in value:
        out["maxAttempts"] = _int(f"{key}.maxAttempts", value["maxAttempts"], 1, 10_000)
    if "lockoutDuration" in value:
        out["lockoutDuration"] = _int(
            f"{key}.lockoutDuration", value["lockoutDuration"], 1, 525_600
        )
    return out


def _rate_limit(key: str, value: Any) -> dict[str, int]:
    value = _object(key, value, ("maxSendsPerRecipient", "sendWindow"))
    out = {}
    if "maxSendsPerRecipient" in value:
        out["maxSendsPerRecipient"] = _int(
            f"{key}.maxSendsPerRecipient", value["maxSendsPerRecipient"], 1, 10_000
        )
    if "sendWindow" in value:
        out["sendWindow"] = _int(f"{key}.sendWindow", value["sendWindow"], 1, 86_400)
    return out


def _password_policy(key: str, value: Any) -> dict[str, Any]:
    value = _object(key, value, ("length", "characterTypes", "rejects"))
    out: dict[str, Any] = {}
    if "length" in value:
        length = {**DEFAULT_LENGTH, **_object(f"{key}.length", value["length"], ("min", "max"))}
        low = _int(f"{key}.length.min", length["min"], 1, 256)
        high = _int(f"{key}.length.max", length["max"], 1, 256)
        if low > high:
            raise _fail(f"{key}.length", "min must not exceed max")
        out["length"] = {"min": low, "max": high}
    if "characterTypes" in value:
        types = {
            **DEFAULT_CHARACTER_TYPES,
            **_object(f"{key}.characterTypes", value["characterTypes"], ("min",)),
        }
        out["characterTypes"] = {"min": _int(f"{key}.characterTypes.min", types["min"], 1, 4)}
    if "rejects" in value:
        rejects = {
            **DEFAULT_REJECTS,
            **_object(f"{key}.rejects", value["rejects"], tuple(DEFAULT_REJECTS)),
        }
        for flag in ("pwned", "repetitionAndSequence", "userInfo"):
            _bool(f"{key}.rejects.{flag}", rejects[flag])
        words = rejects["words"]
        if not isinstance(words, list) or not all(isinstance(w, str) and w for w in words):
            raise _fail(f"{key}.rejects.words", "expected an array of non-empty strings")
        out["rejects"] = rejects
    return out


def _sign_up(key: str, value: Any) -> dict[str, Any]:
    value = _object(key, value)
    identifiers = value.get("identifiers")
    if not isinstance(identifiers, list) or not all(i in IDENTIFIER_TYPES for i in identifiers):
        raise _fail(f"{key}.identifiers", f"expected an array of {', '.join(IDENTIFIER_TYPES)}")
    out: dict[str, Any] = {
        "identifiers": identifiers,
        "password": _bool(f"{key}.password", value.get("password")),
        "verify": _bool(f"{key}.verify", value.get("verify")),
    }
    if "secondaryIdentifiers" in value:
        if not isinstance(value["secondaryIdentifiers"], list):
            raise _fail(f"{key}.secondaryIdentifiers", "expected an array")
        out["secondaryIdentifiers"] = value["secondaryIdentifiers"]
    return out


def _sign_in(key: str, value: Any) -> dict[str, Any]:
    methods = _object(key, value).get("methods")
    if not isinstance(methods, list):
        raise _fail(f"{key}.methods", "expected an array")
    out = []
    for i, method in enumerate(methods):
        path = f"{key}.methods.{i}"
        method = _object(path, method)
        if method.get("identifier") not in IDENTIFIER_TYPES:
            raise _fail(f"{path}.identifier", f"expected one of {', '.join(IDENTIFIER_TYPES)}")
        out.append(
            {
                "identifier": method["identifier"],
                "password": _bool(f"{path}.password", method.get("password")),
                "verificationCode": _bool(
                    f"{path}.verificationCode", method.get("verificationCode")
                ),
                "isPasswordPrimary": _bool(
                    f"{path}.isPasswordPrimary", method.get("isPasswordPrimary")
                ),
            }
        )
    return {"methods": out}


def _sign_in_mode(key: str, value: Any) -> str:
    if value not in SIGN_IN_MODES:
        raise _fail(key, f"expected one of {', '.join(SIGN_IN_MODES)}")
    return value


def _typed(*types: type) -> Any:
    def check(key: str, value: Any) -> Any:
        if not isinstance(value, types) or (bool not in types and isinstance(value, bool)):
            raise _fail(key, "invalid type")
        return value

    return check


_NULLABLE_STRING = _typed(str, type(None))
_CHECKS: dict[str, Any] = {
    "color": _typed(dict),
    "branding": _typed(dict),
    "hideLogtoBranding": _typed(bool),
    "languageInfo": _typed(dict),
    "termsOfUseUrl": _NULLABLE_STRING,
    "privacyPolicyUrl": _NULLABLE_STRING,
    "agreeToTermsPolicy": _typed(str),
    "signIn": _sign_in,
    "signUp": _sign_up,
    "socialSignIn": _typed(dict),
    "socialSignInConnectorTargets": _typed(list),
    "signInMode": _sign_in_mode,
    "customCss": _NULLABLE_STRING,
    "customContent": _typed(dict),
    "customUiAssets": _typed(dict, type(None)),
    "passwordPolicy": _password_policy,
    "mfa": _typed(dict),
    "adaptiveMfa": _typed(dict),
    "singleSignOnEnabled": _typed(bool),
    "supportEmail": _NULLABLE_STRING,
    "supportWebsiteUrl": _NULLABLE_STRING,
    "unknownSessionRedirectUrl": _NULLABLE_STRING,
    "captchaPolicy": _typed(dict),
    "sentinelPolicy": _sentinel,
    "emailBlocklistPolicy": _typed(dict),
    "forgotPasswordMethods": _typed(list),
    "passkeySignIn": _typed(dict),
    "messageRateLimitPolicy": _rate_limit,
}


def _validate(key: str, value: Any) -> Any:
    return _CHECKS[key](key, value)
