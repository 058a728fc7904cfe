"""Load shedding in front of the embedder: a question that would wait behind too many others
is refused at once (503 with Retry-After) instead of queueing a thread that the time limit
answers with 504 a minute later while the work goes on.

The engine embeds one question at a time (about 15-50 ms on 2 cores), so a queue of
MAX_WAITING questions is at most about a second of waiting; past that, waiting longer only
turns answers into timeouts and holds server threads (anyio's pool has 40)."""
from __future__ import annotations

import threading
from contextlib import contextmanager

MAX_WAITING = 16  # questions in or waiting for the embedder before the next is refused
RETRY_AFTER = 1   # seconds: a full queue drains in about that


class Overloaded(RuntimeError):
    """Too many questions are waiting for the embedder; try again in `retry_after` seconds."""

    def __init__(self, retry_after: int = RETRY_AFTER) -> None:
        super().__init__(f"the server is busy; try again in {retry_after} s")
        self.retry_after = retry_after


class EmbeddingQueue:
    def __init__(self, limit: int = MAX_WAITING) -> None:
        if limit < 1:
            raise ValueError("the embedding queue needs room for at least one question")
        self.limit = limit
        self._slots = threading.BoundedSemaphore(limit)

    @contextmanager
    def slot(self):
        """Hold a place while embedding; Overloaded at once when every place is taken."""
        if not self._slots.acquire(blocking=False):
            raise Overloaded()
        try:
            yield
        finally:
            self._slots.release()
