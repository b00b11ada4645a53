"""Every error answered as Logto's `{code, message, data?, details?}` body."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException

from hookline.api.deps import needs_token, require_token
from hookline.api.responses import JSON
from hookline.db.errors import KNOWN_ERRORS, Kind, driver_message, kind_of
from hookline.errors import ApiError, constraint_violated, invalid_input

log = logging.getLogger("hookline.api")


def _issues(exc: RequestValidationError) -> tuple[list[dict], str]:
    issues, lines = [], []
    for error in exc.errors():
        path = [p for p in error.get("loc", ()) if p not in ("body", "query", "path")]
        message = str(error.get("msg", "invalid"))
        if error.get("type") == "json_invalid" and error.get("ctx", {}).get("error"):
            message = f"{message}: {error['ctx']['error']}"
        issues.append({"code": error.get("type"), "message": message, "path": path})
        key = ".".join(str(p) for p in path) or "(root)"
        lines.append(f'Error in key path "{key}": ({error.get("type")}) {message}')
    return issues, "\n".join(lines)


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSON:
        return JSON(exc.body(), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSON:
        # FastAPI parses the body before it runs the router's dependencies; without this, a
        # malformed body would be answered 400 to a caller that has no valid token.
        if needs_token(request.url.path):
            try:
                await require_token(request)
            except ApiError as auth_error:
                return await _api_error(request, auth_error)
        issues, details = _issues(exc)
        in_query = any(e.get("loc", ("",))[0] == "query" for e in exc.errors())
        message = "The request query is invalid." if in_query else "The request body is invalid."
        return JSON(
            {
                "code": "guard.invalid_input",
                "message": message,
                "data": {"issues": issues},
                "details": details,
            },
            status_code=400,
        )

    async def _database(request: Request, exc: Exception) -> JSON:
        match kind_of(exc):
            case Kind.REFUSED:
                # What a check before the write could not see: another process wrote first.
                refused = constraint_violated(driver_message(exc))
                return JSON(refused.body(), status_code=refused.status)
            case Kind.UNSTORABLE:
                refused = invalid_input("A value cannot be stored as given.")
                return JSON(refused.body(), status_code=refused.status)
            case Kind.IN_DOUBT:
                log.error("commit in doubt", exc_info=exc, extra={"path": request.url.path})
                # No Retry-After: the change may be there already.
                return JSON(
                    {"code": "database.commit_in_doubt", "message": str(exc)}, status_code=500
                )
            case Kind.UNAVAILABLE:
                # The database is away, full, or locked by a stuck process: nothing was
                # written, and the caller may try again. The driver's words, not the statement.
                reason = (driver_message(exc).splitlines() or [type(exc).__name__])[0]
                log.error(
                    "database unavailable",
                    extra={"action": "request", "path": request.url.path, "reason": reason},
                )
                return JSON(
                    {
                        "code": "database.unavailable",
                        "message": "The database is unavailable; try again.",
                    },
                    status_code=503,
                    headers={"retry-after": "1"},
                )
        raise exc  # a fault of the code: a 500, and its traceback in the log

    for database_error in KNOWN_ERRORS:
        app.add_exception_handler(database_error, _database)

    @app.exception_handler(HTTPException)
    async def _http(_request: Request, exc: HTTPException) -> JSON:
        codes = {404: "entity.not_found", 405: "request.method_not_allowed"}
        code = codes.get(exc.status_code, "request.general")
        return JSON(
            {"code": code, "message": str(exc.detail)},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )
