"""How long to wait before starting again something that keeps failing (a dispatcher, a
dispatcher process), so that a lasting fault costs a line in the log now and then, not a
tight loop."""

from __future__ import annotations

_STABLE_AFTER = 30.0  # seconds: a run this long failed of something new


class Backoff:
    """Twice as long each time it fails soon after its start, from `first` up to `longest`;
    `after_stable` after a run of 30 s or more."""

    def __init__(self, first: float, longest: float, after_stable: float) -> None:
        self._first, self._longest, self._after_stable = first, longest, after_stable
        self.delay: float | None = None

    def next(self, lived: float | None = None) -> float:
        """The wait before the next start; `lived`: how long the last run lasted, if it ran."""
        if lived is not None and lived >= _STABLE_AFTER:
            self.delay = self._after_stable
        elif self.delay is None:
            self.delay = self._first
        else:
            self.delay = min(max(self._first, self.delay * 2), self._longest)
        return self.delay
