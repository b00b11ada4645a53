"""hookline.logs: the two line formats, the process-wide handler, and masked database URLs."""

from __future__ import annotations

import io
import json
import logging
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hookline import logs

TEXT_LINE = re.compile(
    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO hookline\.test released 3 leases"
    r" action=release_orphans count=3 note=\"two words\"\n"
)


def logged(formatter: logging.Formatter, emit: Callable[[logging.Logger], None]) -> str:
    """What `emit` writes through a handler that uses `formatter`."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    logger = logging.getLogger("hookline.test")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        emit(logger)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    return stream.getvalue()


def release(logger: logging.Logger) -> None:
    logger.info(
        "released %d leases",
        3,
        extra={"action": "release_orphans", "count": 3, "note": "two words"},
    )


def fail(logger: logging.Logger) -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        logger.exception("claim failed", extra={"action": "claim"})


def test_json_line_has_time_level_logger_message_and_every_extra() -> None:
    line = logged(logs.JsonFormatter(), release)
    assert line.endswith("\n") and line.count("\n") == 1
    entry = json.loads(line)
    assert entry == {
        "time": entry["time"],
        "level": "INFO",
        "logger": "hookline.test",
        "message": "released 3 leases",
        "action": "release_orphans",
        "count": 3,
        "note": "two words",
    }
    assert entry["time"].endswith("Z")
    moment = datetime.fromisoformat(entry["time"])
    assert moment.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - moment) < timedelta(seconds=5)


def test_json_line_carries_the_traceback_and_stays_one_line() -> None:
    line = logged(logs.JsonFormatter(), fail)
    assert line.count("\n") == 1
    entry = json.loads(line)
    assert entry["level"] == "ERROR"
    assert entry["message"] == "claim failed"
    assert entry["action"] == "claim"
    assert entry["exception"].startswith("Traceback (most recent call last):")
    assert entry["exception"].endswith("ValueError: boom")


def test_json_line_writes_values_json_cannot_hold_as_text() -> None:
    line = logged(logs.JsonFormatter(), lambda log: log.info("x", extra={"path": Path("/a/b")}))
    assert json.loads(line)["path"] == "/a/b"


def test_text_line_ends_with_the_extras_as_key_value() -> None:
    assert TEXT_LINE.fullmatch(logged(logs.TextFormatter(), release))


def test_text_line_escapes_control_characters() -> None:
    line = logged(logs.TextFormatter(), lambda log: log.info("x", extra={"path": "/a\x1b[2Jb"}))
    assert "\x1b" not in line and 'path="/a\\u001b[2Jb"' in line


def test_text_line_is_followed_by_the_traceback() -> None:
    first, *rest = logged(logs.TextFormatter(), fail).splitlines()
    assert first.endswith(" ERROR hookline.test claim failed action=claim")
    assert rest[0] == "Traceback (most recent call last):"
    assert rest[-1] == "ValueError: boom"


CONFIGURED = """
import logging
from hookline import logs

logs.configure("info", "json")
logging.getLogger("hookline.dispatcher").info("released", extra={"action": "release_orphans"})
logging.getLogger("hookline.dispatcher").debug("below the level")
logging.getLogger("alembic.runtime.migration").info("Context impl SQLiteImpl.")
"""


def test_configure_writes_records_at_its_level_to_stderr_and_quiets_alembic() -> None:
    result = subprocess.run(
        [sys.executable, "-c", CONFIGURED], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    entries = [json.loads(line) for line in result.stderr.splitlines()]
    assert [(e["logger"], e["message"], e["action"]) for e in entries] == [
        ("hookline.dispatcher", "released", "release_orphans")
    ]


LOUDER_LOGGER = """
import logging
from hookline import logs

logs.configure("error", "text")
logging.getLogger("uvicorn.error").setLevel(logging.WARNING)  # as uvicorn sets it
logging.getLogger("uvicorn.error").warning("below the level")
"""


def test_configure_level_holds_for_loggers_with_a_level_of_their_own() -> None:
    result = subprocess.run(
        [sys.executable, "-c", LOUDER_LOGGER], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_configure_refuses_an_unknown_format() -> None:
    with pytest.raises(ValueError, match="text, json"):
        logs.configure("info", "xml")


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        (
            "postgresql://hookline:s3cret@db:5432/hookline",
            "postgresql://hookline:***@db:5432/hookline",
        ),
        ("postgresql+asyncpg://u:p%40ss@db/h", "postgresql+asyncpg://u:***@db/h"),
        ("postgresql://u:p@ss@db/h", "postgresql://u:***@db/h"),  # an unescaped @
        ("postgresql://u:pw@h1:5432,h2:5433/h", "postgresql://u:***@h1:5432,h2:5433/h"),
        (
            "postgresql://u@db/h?sslmode=require&password=s3cret",
            "postgresql://u@db/h?sslmode=require&password=***",
        ),
        ("postgresql://u:pw@db/h?PASSWORD=pw2", "postgresql://u:***@db/h?PASSWORD=***"),
        # Characters a URL should escape, which SQLAlchemy still reads as the password.
        ("postgresql://u:a/b@db/h", "postgresql://u:***@db/h"),
        ("postgresql://u:a?b@db/h", "postgresql://u:***@db/h"),
        ("postgresql://u:a#b@db/h", "postgresql://u:***@db/h"),
    ],
)
def test_mask_url_hides_the_password(url: str, masked: str) -> None:
    assert logs.mask_url(url) == masked


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///./data/hookline.db",
        "sqlite:////var/lib/hookline/hookline.db",
        "postgresql://hookline@db:5432/hookline",
        "postgresql:///hookline?host=/run/postgresql",
        "postgresql://db/hookline?sslmode=require",
    ],
)
def test_mask_url_leaves_a_url_without_password_as_it_is(url: str) -> None:
    assert logs.mask_url(url) == url
