"""Why there is no index to answer from: raised by storage, turned into 503s by the API."""
from __future__ import annotations


class IndexNotReady(RuntimeError):
    """No usable index; the message tells the operator what to run."""


class IndexUnavailable(RuntimeError):
    """The index exists but a backing service (the Chroma server) cannot be reached."""
