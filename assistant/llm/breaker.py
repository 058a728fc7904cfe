"""A circuit breaker: after repeated failures stop calling the LLM for a while, then let one
call through to see whether it is back."""
from __future__ import annotations

import threading
import time

FAILURES_TO_OPEN = 3
OPEN_SECONDS = 60.0


class CircuitBreaker:
    """Every `allow()` that returns True must be followed by `success()`, `failure()` or
    `release()` (a call that ended without a verdict, e.g. the client went away). A trial
    call in half-open state that never reports back expires after `trial_seconds`."""

    def __init__(self, failures_to_open: int = FAILURES_TO_OPEN, open_seconds: float = OPEN_SECONDS,
                 trial_seconds: float = 120.0) -> None:
        self.failures_to_open, self.open_seconds, self.trial_seconds = failures_to_open, open_seconds, trial_seconds
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_at: float | None = None
        self._lock = threading.Lock()
        self.last_error = ""

    @property
    def state(self) -> str:
        with self._lock:
            return self._state()

    def _state(self) -> str:
        if self._opened_at is None:
            return "closed"
        if time.monotonic() - self._opened_at >= self.open_seconds:
            return "half-open"
        return "open"

    def would_allow(self) -> bool:
        """Whether `allow()` would say yes now, without taking the half-open trial: a read."""
        with self._lock:
            state = self._state()
            return state == "closed" or (state == "half-open" and (
                self._trial_at is None or time.monotonic() - self._trial_at > self.trial_seconds))

    def allow(self) -> bool:
        """May a call go out now? In half-open state only one trial call at a time."""
        with self._lock:
            state = self._state()
            if state == "closed":
                return True
            if state == "half-open":
                now = time.monotonic()
                if self._trial_at is None or now - self._trial_at > self.trial_seconds:
                    self._trial_at = now
                    return True
            return False

    def success(self) -> None:
        with self._lock:
            self._failures, self._opened_at, self._trial_at = 0, None, None

    def failure(self, reason: str) -> None:
        with self._lock:
            self.last_error = reason
            self._failures += 1
            if self._trial_at is not None or self._failures >= self.failures_to_open:
                self._opened_at = time.monotonic()
            self._trial_at = None

    def release(self) -> None:
        """A call ended without telling whether the LLM works: free the trial slot."""
        with self._lock:
            self._trial_at = None

    def snapshot(self) -> dict:
        with self._lock:
            return {"state": self._state(), "consecutive_failures": self._failures, "last_error": self.last_error}
