"""The OpenAPI document as the server behaves: the bearer token the Management API takes, the
error statuses each route answers with Logto's {code, message} body (FastAPI would list a
422 validation error that hookline answers 400), and the hook's shape."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from hookline.api.deps import needs_token
from hookline.api.hook_keys import JwkSet
from hookline.hooks.validation import HookConfig

BEARER = "bearerAuth"
ERROR = {"$ref": "#/components/schemas/Error"}

# The routes that answer 422 themselves, as Logto's do: an identifier, a name or a membership
# already taken, a role of the wrong kind, a reference to something missing, an invitation
# in the wrong state, a password or profile the flow refuses. FastAPI's own 422 never leaves
# hookline (a request it cannot read is a 400).
SENDS_422 = frozenset(
    {
        ("post", "/api/users"),
        ("patch", "/api/users/{userId}"),
        ("post", "/api/users/{userId}/roles"),
        ("put", "/api/users/{userId}/roles"),
        ("post", "/api/roles"),
        ("patch", "/api/roles/{id}"),
        ("post", "/api/roles/{id}/scopes"),
        ("post", "/api/resources/{resourceId}/scopes"),
        ("patch", "/api/resources/{resourceId}/scopes/{scopeId}"),
        ("post", "/api/resources"),
        # Roles of an application that is not machine-to-machine: listed, changed or removed.
        ("get", "/api/applications/{id}/roles"),
        ("post", "/api/applications/{id}/roles"),
        ("put", "/api/applications/{id}/roles"),
        ("delete", "/api/applications/{id}/roles/{roleId}"),
        ("post", "/api/organizations/{id}/users"),
        ("put", "/api/organizations/{id}/users"),
        ("post", "/api/organizations/{id}/users/roles"),
        ("post", "/api/organizations/{id}/users/{userId}/roles"),
        ("put", "/api/organizations/{id}/users/{userId}/roles"),
        ("post", "/api/organization-roles/{id}/scopes"),
        ("put", "/api/organization-roles/{id}/scopes"),
        ("post", "/api/organization-roles/{id}/resource-scopes"),
        ("put", "/api/organization-roles/{id}/resource-scopes"),
        ("post", "/api/organization-invitations"),
        ("put", "/api/organization-invitations/{id}/status"),
        ("post", "/api/experience/verification/password"),
        ("post", "/api/experience/verification/new-password-identity"),
        ("post", "/api/experience/identification"),
        ("post", "/api/experience/profile"),
        ("put", "/api/experience/profile/password"),
        ("post", "/api/experience/submit"),
    }
)

_WHY = {
    "400": "The request's body, query or parameters are invalid (`guard.invalid_input`).",
    "401": "No bearer token, or one this server did not issue or that has expired.",
    "403": "The token lacks the `all` scope, or its application lost Management API access.",
    "404": "Nothing exists with that id.",
    "422": "The change conflicts with what is stored (Logto's code says what).",
}


class ExecutionStats(BaseModel):
    requestCount: int
    successCount: int


class Hook(BaseModel):
    """A hook as the API answers it (Logto's fields, then hookline's)."""

    tenantId: str
    id: str
    name: str
    event: str | None
    events: list[str]
    config: HookConfig
    signingKey: str
    enabled: bool
    createdAt: int
    previousSigningKeyExpiresAt: int | None = None
    signingPublicKey: str | None = None  # `whpk_…`, once config.asymmetricSignature was on
    executionStats: ExecutionStats | None = None


class SentRequest(BaseModel):
    body: dict[str, Any]


class Answer(BaseModel):
    statusCode: int
    body: Any = None


class SyncDecision(BaseModel):
    """What a synchronous hook's call decided (on its last attempt), and why: `answer` when
    the receiver decided, else what made the hook's `onError` decide."""

    action: Literal["allow", "deny"]
    reason: str


class AttemptPayload(BaseModel):
    key: str
    result: Literal["Success", "Failed"]
    hookId: str
    hookRequest: SentRequest | None = None
    response: Answer | None = None
    error: str | None = None
    deliveryId: str | None
    attempt: int | None
    durationMs: float | None
    decision: SyncDecision | None = None


class HookLog(BaseModel):
    """An attempt, as Logto's hook logs (`payload.key`, `result`, the request and the
    answer), and hookline's delivery id, attempt number and duration."""

    id: str
    key: str
    payload: AttemptPayload
    createdAt: int


class Delivery(BaseModel):
    """An event's delivery to a hook and where it stands (hookline's)."""

    id: str
    hookId: str
    event: str
    eventId: str
    status: Literal["pending", "succeeded", "failed", "cancelled"]
    attempts: int
    createdAt: int
    firstAttemptAt: int | None
    lastAttemptAt: int | None
    nextAttemptAt: int | None
    lastStatusCode: int | None
    error: str | None


class Error(BaseModel):
    """Every error's body, as Logto's."""

    code: str
    message: str
    data: Any = None
    details: str | None = None


def _one(model: type[BaseModel]) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _list(model: type[BaseModel]) -> dict[str, Any]:
    return {"type": "array", "items": _one(model)}


_MODELS: dict[tuple[str, str], dict[str, Any]] = {
    ("get", "/api/hooks"): _list(Hook),
    ("post", "/api/hooks"): _one(Hook),
    ("get", "/api/hooks/{id}"): _one(Hook),
    ("patch", "/api/hooks/{id}"): _one(Hook),
    ("patch", "/api/hooks/{id}/signing-key"): _one(Hook),
    ("get", "/api/hooks/{id}/recent-logs"): _list(HookLog),
    # FastAPI leaves out a route's response_model when the route answers its own Response.
    ("get", "/api/hooks/{id}/jwks"): _one(JwkSet),
    ("get", "/api/deliveries"): _list(Delivery),
    ("get", "/api/hooks/{id}/deliveries"): _list(Delivery),
}


def install(app: FastAPI) -> None:
    """`app.openapi()` (and so the served document) builds this document, once."""

    def document() -> dict[str, Any]:
        if app.openapi_schema is None:
            built = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = as_served(built)
        return app.openapi_schema

    app.openapi = document  # type: ignore[method-assign]


def as_served(document: dict[str, Any]) -> dict[str, Any]:
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    for model in (Hook, HookLog, Delivery, JwkSet, Error):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, nested in schema.pop("$defs", {}).items():
            schemas.setdefault(name, nested)  # HookConfig is there already, as FastAPI wrote it
        schemas[model.__name__] = schema
    components["securitySchemes"] = {
        BEARER: {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "An access token from `POST /oidc/token` (client credentials of a"
            " machine-to-machine application with Management API access, resource"
            " `https://default.logto.app/api`, scope `all`).",
        }
    }
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            _describe(method, path, operation)
    return document


def _describe(method: str, path: str, operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    responses.pop("422", None)  # FastAPI's; hookline answers a request it cannot read 400
    for status, answered in responses.items():
        content = answered.get("content", {}).get("application/json")
        if content is None or not status.startswith("2"):
            continue
        if (method, path) in _MODELS:
            content["schema"] = _MODELS[method, path]
        elif content.get("schema") == {"type": "string"}:
            content["schema"] = {}  # FastAPI's word for an untyped answer; it may be any JSON
    errors = []
    if operation.get("parameters") or operation.get("requestBody"):
        errors.append("400")
    if needs_token(path):
        operation["security"] = [{BEARER: []}]
        errors += ["401", "403"]
    if "{" in path:
        errors.append("404")
    if (method, path) in SENDS_422:
        errors.append("422")
    for status in errors:
        responses[status] = {
            "description": _WHY[status],
            "content": {"application/json": {"schema": ERROR}},
        }
