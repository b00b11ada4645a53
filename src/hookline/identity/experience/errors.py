"""The sign-in flows' errors, with Logto's codes and messages."""

from __future__ import annotations

from hookline.errors import ApiError, invalid_input

_RESTART = "The verification was not successful. Restart the verification flow and try again."


def interaction_not_found() -> ApiError:
    return ApiError(
        404,
        "session.interaction_not_found",
        "Interaction session not found. Please go back and start the session again.",
    )


def verification_not_found() -> ApiError:
    return ApiError(404, "session.verification_session_not_found", _RESTART)


def verification_failed() -> ApiError:
    return ApiError(400, "session.verification_failed", _RESTART)


def identifier_not_found() -> ApiError:
    return ApiError(
        404,
        "session.identifier_not_found",
        "User identifier not found. Please go back and sign in again.",
    )


def user_not_exist(value: str) -> ApiError:
    return ApiError(
        404, "user.user_not_exist", f"User with {value} does not exist.", {"identifier": value}
    )


def suspended() -> ApiError:
    return ApiError(401, "user.suspended", "This account is suspended.")


def invalid_credentials() -> ApiError:
    return ApiError(
        422,
        "session.invalid_credentials",
        "Incorrect account or password. Please check your input.",
    )


def same_password() -> ApiError:
    return ApiError(
        422, "user.same_password", "New password cannot be the same as your old password."
    )


def forbidden() -> ApiError:
    return ApiError(403, "auth.forbidden", "Forbidden.")


def not_for_forgot_password() -> ApiError:
    return ApiError(
        400,
        "session.not_supported_for_forgot_password",
        "This operation is not supported for forgot password.",
    )


def invalid_value(key: str, why: str) -> ApiError:
    return invalid_input(f'Error in key path "{key}": {why}')
