"""What keeps the service standing in production: request ids and JSON logs, Prometheus
metrics, per-client rate limits, request time limits and security headers. Pure ASGI
middleware, so streamed responses pass through untouched."""
from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import re
import threading
import time
import uuid

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
access_log = logging.getLogger("assistant.access")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the request id of the request being served."""

    def format(self, record: logging.LogRecord) -> str:
        out = {"ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
               "level": record.levelname.lower(), "logger": record.name, "msg": record.getMessage(),
               "request_id": getattr(record, "request_id", None) or request_id.get()}
        out.update(getattr(record, "fields", {}))
        if record.exc_info:
            out["error"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


class RequestIdFilter(logging.Filter):
    """Stamp each record with the request id of the thread/task that logged it (the formatter
    may run later, elsewhere)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = request_id.get()
        return True


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("bm25s", "httpx", "httpcore", "chromadb", "urllib3"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


class Metrics:
    """The service's counters, in their own registry (tests build several apps in one process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("assistant_http_requests_total", "HTTP requests", ["method", "route", "status"],
                                registry=self.registry)
        self.latency = Histogram("assistant_http_request_duration_seconds", "Time to the response's first byte",
                                 ["route"], registry=self.registry,
                                 buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60))
        self.answers = Counter("assistant_answers_total", "Answers given, by path and whether the documents covered "
                               "the question (found=false is a refusal)", ["mode", "found"], registry=self.registry)
        self.llm_fallbacks = Counter("assistant_llm_fallbacks_total", "Answers that fell back from the LLM to the "
                                     "documents", registry=self.registry)
        self.rate_limited = Counter("assistant_rate_limited_total", "Requests refused with 429", ["route"],
                                    registry=self.registry)
        self.shed = Counter("assistant_shed_total", "Questions refused with 503 because too many were waiting "
                            "for the embedder", ["route"], registry=self.registry)
        self.ingest_runs = Counter("assistant_ingest_runs_total", "Ingest runs started from the admin API",
                                   ["result"], registry=self.registry)

    def answered(self, mode: str, found: bool) -> None:
        self.answers.labels(mode, str(found).lower()).inc()
        if mode == "extractive-fallback":
            self.llm_fallbacks.inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


def _route(scope) -> str:
    """The route template ("/api/documents/{doc_id}"), never the raw path: bounded label values."""
    route = scope.get("route")
    return getattr(route, "path", None) or ("unmatched" if scope.get("type") == "http" else "-")


class RequestContext:
    """Request id (X-Request-ID kept if sane, else made), timing, metrics, and one access-log
    line per request: method, route, status, milliseconds — never the body or a message."""

    def __init__(self, app, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        given = dict(scope.get("headers") or {}).get(b"x-request-id", b"").decode("latin-1")
        rid = given if _SAFE_ID.match(given) else uuid.uuid4().hex[:16]
        token = request_id.set(rid)
        started = time.perf_counter()
        status = {"code": 500}

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                status["code"], status["started"] = message["status"], True
                message.setdefault("headers", []).append((b"x-request-id", rid.encode()))
                self.metrics.latency.labels(_route(scope)).observe(time.perf_counter() - started)
            await send(message)
        try:
            await self.app(scope, receive, send_with_id)
        except Exception:  # noqa: BLE001 - answered here, inside the request's context and id
            logging.getLogger("assistant.api").exception("unhandled error on %s %s", scope["method"], scope["path"])
            if status.get("started"):
                raise
            body = json.dumps({"error": "internal", "detail": "internal error; the request was not processed",
                               "request_id": rid}).encode()
            await send_with_id({"type": "http.response.start", "status": 500,
                                "headers": [(b"content-type", b"application/json"),
                                            (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
        finally:
            route = _route(scope)
            self.metrics.requests.labels(scope["method"], route, str(status["code"])).inc()
            if route not in ("/healthz", "/metrics"):
                access_log.info("request", extra={"request_id": rid, "fields": {
                    "method": scope["method"], "route": route, "status": status["code"],
                    "ms": round((time.perf_counter() - started) * 1000, 1)}})
            request_id.reset(token)


SECURITY_HEADERS = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"strict-origin-when-cross-origin"),
                    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()")]
API_CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")


class SecurityHeaders:
    """Headers every response carries; JSON and event streams also get a CSP that forbids
    everything (a browser must never render them as a page)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                present = {k.lower() for k, _ in headers}
                headers.extend(h for h in SECURITY_HEADERS if h[0] not in present)
                ctype = dict(headers).get(b"content-type", b"")
                if b"content-security-policy" not in present and (b"json" in ctype or b"event-stream" in ctype):
                    headers.append(API_CSP)
            await send(message)
        await self.app(scope, receive, send_with_headers)


class TokenBucket:
    """Per-client buckets: `burst` requests at once, refilled at `per_minute`."""

    def __init__(self, per_minute: int, burst: int) -> None:
        self.rate, self.burst = per_minute / 60.0, float(burst)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()
        self._pruned = time.monotonic()

    def take(self, key: str, now: float | None = None) -> float:
        """0 if allowed, else the seconds until a request would be."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                wait = 0.0
            else:
                self._buckets[key] = (tokens, now)
                wait = (1 - tokens) / self.rate
            if len(self._buckets) > 10000 and now - self._pruned > 60:  # at most a scan a minute
                self._pruned = now
                full = [k for k, (t, at) in self._buckets.items() if t + (now - at) * self.rate >= self.burst]
                for k in full:
                    del self._buckets[k]
            return wait


class RateLimit:
    """429 with Retry-After for a client (by address) asking faster than the bucket allows, on
    the routes that cost an answer. Answered at once: a burst gets refusals, not timeouts."""

    def __init__(self, app, bucket: TokenBucket, paths: tuple[tuple[str, str], ...], metrics: Metrics) -> None:
        self.app, self.bucket, self.paths, self.metrics = app, bucket, paths, metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or (scope["method"], scope["path"]) not in self.paths:
            return await self.app(scope, receive, send)
        client = (scope.get("client") or ("-", 0))[0]
        wait = self.bucket.take(client)
        if wait <= 0:
            return await self.app(scope, receive, send)
        self.metrics.rate_limited.labels(scope["path"]).inc()
        retry = max(1, int(wait + 0.999))
        body = json.dumps({"error": "rate_limited", "detail": f"too many questions from this address; "
                           f"try again in {retry} s / bạn hỏi quá nhanh, vui lòng thử lại sau {retry} giây"},
                          ensure_ascii=False).encode()
        await send({"type": "http.response.start", "status": 429,
                    "headers": [(b"content-type", b"application/json"), (b"retry-after", str(retry).encode()),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


class TimeLimit:
    """A request that has not started its response within `seconds` gets 504 (the work it was
    waiting for is abandoned). Streams count from their first byte, which comes at once."""

    def __init__(self, app, seconds: float) -> None:
        self.app, self.seconds = app, seconds

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = asyncio.Event()

        async def send_marking(message):
            if message["type"] == "http.response.start":
                started.set()
            await send(message)
        task = asyncio.ensure_future(self.app(scope, receive, send_marking))
        waiter = asyncio.ensure_future(started.wait())
        done, _ = await asyncio.wait({task, waiter}, timeout=self.seconds, return_when=asyncio.FIRST_COMPLETED)
        if not done:
            task.cancel()
            waiter.cancel()
            body = json.dumps({"error": "timeout", "detail": f"no answer within {self.seconds:g} s; try again"}).encode()
            await send({"type": "http.response.start", "status": 504,
                        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        waiter.cancel()
        await task
