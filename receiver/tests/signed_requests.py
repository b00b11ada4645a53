"""The test vectors, and `verify` called as a vector says."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hookline_receiver import Webhook, verify

VECTORS_DIR = Path(__file__).resolve().parents[1] / "vectors"
VECTORS: dict[str, Any] = json.loads((VECTORS_DIR / "webhooks.json").read_text(encoding="utf-8"))


def vector(name: str) -> dict[str, Any]:
    return next(v for v in VECTORS["vectors"] if v["name"] == name)


def verify_vector(v: dict[str, Any], **overrides: Any) -> Webhook:
    """`verify` as the vector says to call it; `overrides` change its options."""
    options = {
        "secrets": v["verifier"]["secrets"],
        "public_keys": v["verifier"]["publicKeys"],
        "tolerance": v["verifier"]["tolerance"],
        "now": v["verifier"]["now"],
    } | overrides
    return verify(v["request"]["headers"], v["request"]["body"].encode(), **options)
