"""What one attempt came to: a value the dispatcher decides on and the recorder stores."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import orjson


class Failure(Enum):
    HTTP_STATUS = "HTTPError"
    TIMEOUT = "TimeoutError"
    CONNECT = "ConnectionError"
    BLOCKED = "BlockedError"
    INVALID_URL = "TypeError"


# Not frozen: a frozen dataclass's __init__ costs ten times a plain one's, and one is made
# for every delivery.
@dataclass(slots=True)
class Outcome:
    status: int | None
    body: str | None
    duration_ms: float
    failure: Failure | None = None
    message: str = ""
    retry_after: float | None = None
    # The answer's headers a caller asked for (a synchronous hook's signature), by lower name.
    headers: dict[str, str] | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None

    def error_text(self) -> str | None:
        """Logto's log error string: `<ErrorName>: <JSON of its properties>`."""
        if self.failure is None:
            return None
        return f"{self.failure.value}: {orjson.dumps({'message': self.message}).decode()}"
