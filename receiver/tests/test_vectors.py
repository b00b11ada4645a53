"""Every vector of vectors/webhooks.json, and the file as its generator writes it."""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest

from hookline_receiver import VerificationError
from signed_requests import VECTORS, VECTORS_DIR, verify_vector


@pytest.mark.parametrize("v", VECTORS["vectors"], ids=lambda v: v["name"])
def test_vector(v: dict[str, Any]) -> None:
    expected = v["expected"]
    if not expected["ok"]:
        with pytest.raises(VerificationError) as refused:
            verify_vector(v)
        assert refused.value.reason == expected["reason"]
        return
    webhook = verify_vector(v)
    assert webhook.body == v["request"]["body"].encode()
    assert {
        "scheme": webhook.scheme,
        "id": webhook.id,
        "timestamp": webhook.timestamp,
        "subject": webhook.subject,
        "sequence": webhook.sequence,
    } == {key: value for key, value in expected.items() if key != "ok"}


def test_the_vectors_are_what_the_generator_writes() -> None:
    spec = importlib.util.spec_from_file_location("generate", VECTORS_DIR / "generate.py")
    assert spec is not None and spec.loader is not None
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    assert (VECTORS_DIR / "webhooks.json").read_text(encoding="utf-8") == generate.render()


def test_every_reason_a_signature_can_be_refused_for_has_a_vector() -> None:
    reasons = {v["expected"].get("reason") for v in VECTORS["vectors"]}
    assert reasons >= {
        "missing_headers",
        "bad_timestamp",
        "stale",
        "future",
        "no_key",
        "no_matching_signature",
    }
