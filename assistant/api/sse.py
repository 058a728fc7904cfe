"""Server-Sent Events over a POST response: the framing, and a keep-alive while the answer
is being worked out."""
from __future__ import annotations

import asyncio
import json
import threading
from concurrent.futures import ThreadPoolExecutor
import logging
from collections.abc import AsyncIterator, Callable, Iterator

log = logging.getLogger(__name__)

KEEPALIVE_SECONDS = 15.0  # proxies close idle connections after 30-60 s
STREAM_WORKERS = 8        # answers computed at once for streams; more wait their turn (kept alive)
_DONE = object()
_workers = ThreadPoolExecutor(max_workers=STREAM_WORKERS, thread_name_prefix="sse")


def event(name: str, data: dict) -> str:
    """One SSE event; the JSON is on one line, so no data line can break the framing."""
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def comment(text: str) -> str:
    return f": {text}\n\n"


async def relay(events: Iterator[tuple[str, dict]], describe: Callable[[Exception], dict],
                keepalive: float = KEEPALIVE_SECONDS) -> AsyncIterator[str]:
    """Run a blocking event generator on a bounded worker pool and relay its events as SSE text.

    A comment goes out first (so the client knows the stream is open) and whenever no event
    has come for `keepalive` seconds. An exception in the generator becomes an `error` event,
    never a broken stream. When the client goes away the worker stops at its next event."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue = asyncio.Queue()
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in events:
                if stop.is_set():
                    break
                loop.call_soon_threadsafe(queue.put_nowait, item)
        except Exception as exc:  # noqa: BLE001 - reported to the client as an error event
            log.exception("stream failed")
            loop.call_soon_threadsafe(queue.put_nowait, ("error", describe(exc)))
        finally:
            loop.call_soon_threadsafe(queue.put_nowait, _DONE)

    _workers.submit(produce)
    yield comment("stream open")
    try:
        while True:
            try:
                item = await asyncio.wait_for(queue.get(), timeout=keepalive)
            except asyncio.TimeoutError:
                yield comment("keep-alive")
                continue
            if item is _DONE:
                break
            name, data = item
            yield event(name, data)
    finally:
        stop.set()
