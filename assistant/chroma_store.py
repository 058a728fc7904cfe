"""Chroma, as this project uses it: a client per build folder (embedded) or per server, its
release when a build is replaced, and a server connection that cannot hang a request.

Kept apart from the index's layout (assistant/index.py) because it leans on chromadb
internals that may move between versions (a private session attribute, the shared System
registry): when they do, this is the one file to read."""
from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

from assistant.config import Settings
from assistant.errors import IndexUnavailable

log = logging.getLogger(__name__)


def collection_name(build_id: str) -> str:
    return f"chunks_{build_id}"


def chroma_client(settings: Settings, build_dir: Path):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_server:
        client = chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
        _bound_requests(client)
        return client
    return chromadb.PersistentClient(path=str(build_dir / "chroma"), settings=chroma_settings)


def release_chroma(build_dir: Path) -> None:
    """Stop the embedded Chroma "System" chromadb keeps per folder for the life of the process:
    once a build is built or replaced, its System would hold its SQLite and index files open
    (about 17 descriptors and 5 MB per rebuild, measured) for nothing. Server mode has one
    client per server, not per build."""
    try:
        from chromadb.api.shared_system_client import SharedSystemClient as Shared
    except ImportError:  # pragma: no cover - another chromadb layout: nothing we can release
        return
    ident = str(build_dir / "chroma")
    with Shared._refcount_lock:
        Shared._identifier_to_refcount.pop(ident, None)
        system = Shared._identifier_to_system.pop(ident, None)
    if system is not None:
        try:
            system.stop()
        except Exception as exc:  # a System that will not stop must not stop the swap
            log.warning("could not release Chroma at %s: %s", ident, exc)


CHROMA_TIMEOUT_S = 10.0  # a Chroma server that hangs (rather than refuses) must not hold requests
_openers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="chroma-open")
_opening: dict[tuple, Future] = {}
_opening_lock = threading.Lock()


def open_server_collection(settings: Settings, name: str):
    """The collection on the Chroma server, or IndexUnavailable within CHROMA_TIMEOUT_S.

    chromadb's client talks to the server while it is being built, with no timeout, so the
    connection is made on a small pool and waited for with one; one attempt per collection is
    in flight at a time, so a wedged server costs at most two threads, not one per request."""
    key = (settings.chroma_host, settings.chroma_port, name)
    with _opening_lock:
        attempt = _opening.get(key)
        if attempt is None or attempt.done():
            attempt = _openers.submit(lambda: chroma_client(settings, Path(".")).get_collection(name))
            _opening[key] = attempt
    try:
        return attempt.result(timeout=CHROMA_TIMEOUT_S)
    except FutureTimeout:
        raise IndexUnavailable(f"the Chroma server at {settings.chroma_host}:{settings.chroma_port} did not "
                               f"answer within {CHROMA_TIMEOUT_S:g} s") from None


def _bound_requests(client) -> None:
    """chromadb's HTTP client is built with no timeout at all; give its session one, so a hung
    server becomes a 503 in seconds instead of requests that never end. (A private attribute of
    chromadb 1.5: if it moves, log it and carry on with the library's behaviour.)"""
    import httpx
    session = getattr(getattr(client, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = httpx.Timeout(CHROMA_TIMEOUT_S, connect=5.0)
    else:
        log.warning("could not set a timeout on the Chroma client (chromadb internals changed)")
