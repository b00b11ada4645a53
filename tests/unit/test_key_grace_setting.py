"""`HOOKLINE_KEY_GRACE`: how long a rotated-out signing key goes on signing, a duration."""

from __future__ import annotations

import pytest

from hookline.config import Settings


def test_the_default_is_a_day(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOOKLINE_KEY_GRACE", raising=False)
    assert Settings().key_grace == 86400


@pytest.mark.parametrize(
    ("text", "seconds"), [("0s", 0), ("90s", 90), ("2h", 7200), ("30d", 2592000)]
)
def test_a_duration_is_read(monkeypatch: pytest.MonkeyPatch, text: str, seconds: float) -> None:
    monkeypatch.setenv("HOOKLINE_KEY_GRACE", text)
    assert Settings().key_grace == seconds


@pytest.mark.parametrize("text", ["31d", "soon", "-1s", "24"])
def test_anything_else_is_refused(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setenv("HOOKLINE_KEY_GRACE", text)
    with pytest.raises(ValueError, match="key_grace"):
        Settings()
