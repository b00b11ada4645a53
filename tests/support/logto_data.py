"""Loaders for the real Logto reference data in `fixtures/` (see fixtures/README.md)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent.parent / "fixtures"


@dataclass(frozen=True)
class Capture:
    index: int
    source: str
    event: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes  # the exact bytes received (from body_b64)
    verified_with: str

    def header(self, name: str) -> str:
        values = [v for k, v in self.headers if k.lower() == name]
        assert len(values) == 1, (name, values)
        return values[0]

    def json(self) -> dict[str, Any]:
        return json.loads(self.body)

    @property
    def id(self) -> str:
        return f"{self.index:02d}-{self.path.strip('/')}-{self.event}"


@cache
def captures() -> tuple[Capture, ...]:
    rows = []
    lines = (FIXTURES / "logto_captures.jsonl").read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        row = json.loads(line)
        body = base64.b64decode(row["body_b64"])
        assert body == row["body_raw"].encode("utf-8")
        rows.append(
            Capture(
                i,
                row["source"],
                row["event"],
                row["path"],
                [tuple(h) for h in row["headers"]],
                body,
                row["signature_verified_with_key"],
            )
        )
    return tuple(rows)


@cache
def signing_keys() -> dict[str, str]:
    data = json.loads((FIXTURES / "logto_signing_keys.json").read_text(encoding="utf-8"))
    return {"original": data["original"], "regenerated": data["after_regenerate"]}


@cache
def hook_logs() -> tuple[dict[str, Any], ...]:
    lines = (FIXTURES / "logto_hook_logs.jsonl").read_text(encoding="utf-8").splitlines()
    return tuple(json.loads(line) for line in lines)


def logto_exchange(name: str) -> dict[str, Any]:
    """One real Logto exchange from api-responses.json (key `hooks_endpoints`)."""
    with (FIXTURES / "logto_api_responses.json").open() as f:
        return json.load(f)["hooks_endpoints"][name]


def logto_captures(path: str) -> list[dict[str, Any]]:
    """Real webhook requests Logto sent to `path`, as stored (JSON rows)."""
    with (FIXTURES / "logto_captures.jsonl").open() as f:
        return [c for c in map(json.loads, f) if c["path"] == path]
