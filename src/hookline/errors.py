"""hookline's exceptions.

HooklineError
 ├── ApiError(status, code, message, data)   answered as Logto's {code, message, data?}
 └── StorageError                             a database failure hookline cannot recover from
"""

from __future__ import annotations

from typing import Any


class HooklineError(Exception):
    """Something went wrong in hookline."""


class StorageError(HooklineError):
    """The database refused an operation."""


class ApiError(HooklineError):
    """An API request failed; answered with Logto's error body."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        data: Any = None,
        details: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.data = data
        self.details = details
        self.headers = headers  # sent with the answer (`Retry-After`, say)

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            body["data"] = self.data
        if self.details:
            body["details"] = self.details
        return body


def not_exists_with_id(entity: str, entity_id: str) -> ApiError:
    return ApiError(
        404, "entity.not_exists_with_id", f"The {entity} with ID `{entity_id}` does not exist."
    )


def invalid_input(details: str, data: Any = None) -> ApiError:
    """400 `guard.invalid_input` for a request body."""
    return ApiError(400, "guard.invalid_input", "The request body is invalid.", data, details)


def invalid_query(details: str) -> ApiError:
    """400 `guard.invalid_input` for a query string."""
    return ApiError(400, "guard.invalid_input", "The request query is invalid.", details=details)


def invalid_request(status: int, details: str) -> ApiError:
    """Logto's `request.invalid_input`, which carries its reason in the message too."""
    return ApiError(
        status, "request.invalid_input", f"Input is invalid. {details}", details=details
    )


def foreign_key_not_found() -> ApiError:
    return ApiError(
        422,
        "entity.relation_foreign_key_not_found",
        "Cannot find one or more foreign keys. Please check the input and ensure that all"
        " referenced entities exist.",
    )


def constraint_violated(driver_message: str) -> ApiError:
    """Logto's answer to a write the database refused: a reference to nothing, a value
    already taken (by a concurrent request that won the race, say), or a value missing."""
    message = driver_message.upper()
    if "FOREIGN KEY" in message:
        return foreign_key_not_found()
    if "UNIQUE" in message or "DUPLICATE KEY" in message:
        return ApiError(
            422,
            "entity.unique_integrity_violation",
            "The entity already exists. Please check the input and try again.",
        )
    return invalid_input(f"A value is missing or not allowed: {driver_message.splitlines()[0]}")
