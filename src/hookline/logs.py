"""Process-wide logging: one stderr handler, as readable lines or as JSON lines.

Log calls pass their facts as `extra={"action": ..., ...}`; both formats show every one."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

FORMATS = ("text", "json")
MASK = "***"

# What every LogRecord carries; anything else on a record came from `extra=`.
# uvicorn adds `color_message`, the message again with terminal colours.
_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}

# Alembic announces its plugins and dialect at every start; its warnings still show.
_QUIET = ("alembic",)

# libpq's `password` query parameter.
_QUERY_PASSWORD = re.compile(r"([?&]password=)[^&#]*", re.IGNORECASE)


def configure(level: str, fmt: str) -> None:
    """Send every log record at `level` or above to stderr, in `fmt` ("text" or "json")."""
    if fmt not in FORMATS:
        raise ValueError(f"log format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    # On the handler too: a logger with a level of its own (uvicorn's) would pass it by.
    handler.setLevel(level.upper())
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)


def mask_url(url: str) -> str:
    """`url` with its password, if it has one, replaced by ***.

    Everything between the user name and the last `@` is the password, as SQLAlchemy reads
    it, whatever it holds (`/`, `?`, `#`, `@`); where that guess is wrong, it masks too much,
    never too little."""
    scheme, separator, rest = url.partition("://")
    if separator and "@" in rest:
        userinfo, _, hosts = rest.rpartition("@")
        user, colon, _ = userinfo.partition(":")
        if colon:
            rest = f"{user}:{MASK}@{hosts}"
    return _QUERY_PASSWORD.sub(rf"\g<1>{MASK}", f"{scheme}{separator}{rest}")


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _RECORD_FIELDS}


def _utc_time(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class TextFormatter(logging.Formatter):
    """`2025-06-01T12:00:00.000Z INFO hookline.dispatcher released orphaned leases
    action=release_orphans count=3`, then the traceback, if any, on the lines below."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        fields = " ".join(f"{k}={_text_value(v)}" for k, v in _extras(record).items())
        line = f"{_utc_time(record)} {record.levelname} {record.name} {record.message}"
        return f"{line} {fields}" if fields else line


def _text_value(value: Any) -> str:
    text = str(value)
    # Quoted (and control characters escaped) when a reader could not tell where it ends,
    # or a terminal would act on it.
    if not text or not text.isprintable() or any(c.isspace() or c in '"=' for c in text):
        return json.dumps(text, ensure_ascii=False)
    return text


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the extra fields, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _utc_time(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in _extras(record).items():
            entry.setdefault(key, value)  # an extra never hides one of the four above
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
