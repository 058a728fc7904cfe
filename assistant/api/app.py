"""The FastAPI application: routes, error shapes, and the middleware that keeps it standing
(body limit, rate limit, time limit, request ids, metrics, security headers, CORS)."""
from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.admission import Overloaded
from assistant.config import Settings, get_settings
from assistant.index import IndexNotReady, IndexUnavailable
from assistant.service import AssistantService

log = logging.getLogger(__name__)
MAX_BODY = 64 * 1024
LARGE_BODIES = {"/api/admin/documents": 21 * 1024 * 1024}  # uploads; the route checks 20 MB itself
# the routes that cost a query embedding and a ranking, sharing one budget per client
RATE_LIMITED = (("POST", "/api/chat"), ("POST", "/api/chat/stream"), ("GET", "/api/search"))


class BodyLimit:
    """Refuse bodies over MAX_BODY (uploads: their own larger limit) with 413 before they are
    read into memory, whether the client announced the length or streams it chunked."""

    def __init__(self, app, limit: int = MAX_BODY, large: dict[str, int] | None = None) -> None:
        self.app, self.default, self.large = app, limit, large or {}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.large.get(scope["path"], self.default)  # per request: middleware is shared
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    too_big = int(value) > limit
                except ValueError:
                    too_big = False
                if too_big:
                    return await self._reject(scope, receive, send, limit)
        # Read the body here (it is small by definition) so an over-long chunked upload is
        # refused as soon as it crosses the limit, then replay it to the app.
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return await self.app(scope, _replay([message], receive), send)
            body = message.get("body", b"")
            size += len(body)
            if size > limit:
                return await self._reject(scope, receive, send, limit)
            chunks.append(body)
            more = message.get("more_body", False)
        whole = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, _replay([whole], receive), send)

    @staticmethod
    async def _reject(scope, receive, send, limit: int):
        response = JSONResponse({"error": "too_large", "detail": f"request body over {limit // 1024} KB"}, 413)
        await response(scope, receive, send)


def _replay(messages: list[dict], receive):
    pending = list(messages)

    async def replay():
        if pending:
            return pending.pop(0)
        return await receive()
    return replay


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", []) if p not in ("body",)) or "body"
        msg = err.get("msg", "invalid").removeprefix("Value error, ")
        if err.get("type") == "json_invalid":
            msg, loc = "malformed JSON", "body"
        elif err.get("type") == "missing":
            msg = "field required"
        parts.append(f"{loc}: {msg}")
    return "; ".join(parts) or "invalid request"


def create_app(settings: Settings | None = None, service: AssistantService | None = None) -> FastAPI:
    settings = settings or get_settings()
    service = service or AssistantService(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        try:  # warm up: open the index and load the model before the first question
            service.index()
            service.embedder.embed_query("khởi động")
        except (IndexNotReady, IndexUnavailable) as exc:
            log.warning("not ready yet: %s", exc)
        yield
        if zalo is not None:
            zalo.close()
        service.close()

    app = FastAPI(title="Trợ lý kinh tế tập thể", version="0.1.0", lifespan=lifespan,
                  description="Answers about the Law on Cooperatives 2023, Decree 92/2024 and the action "
                              "program for Resolution 20-NQ/TW, with exact citations.")
    app.state.service = service
    app.state.settings = settings
    zalo = None
    if settings.zalo_enabled:
        from assistant.channels.zalo import ZaloChannel
        zalo = ZaloChannel(settings, service)
    app.state.zalo = zalo
    from assistant.api.ops import Metrics
    app.state.metrics = metrics = Metrics()
    if settings.admin_api_key:
        from assistant.api.admin import IngestJobs
        app.state.ingest_jobs = IngestJobs(settings, service, metrics)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        return JSONResponse({"error": "invalid_request", "detail": _validation_message(exc)}, 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        code = {401: "unauthorized", 404: "not_found", 405: "method_not_allowed", 409: "conflict", 413: "too_large",
                422: "invalid_request"}.get(exc.status_code, "error")
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return JSONResponse({"error": code, "detail": detail}, exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(IndexNotReady)
    async def _not_ready(request: Request, exc: IndexNotReady):
        return JSONResponse({"error": "not_ready", "detail": str(exc)}, 503)

    @app.exception_handler(IndexUnavailable)
    async def _unavailable(request: Request, exc: IndexUnavailable):
        return JSONResponse({"error": "unavailable", "detail": str(exc)}, 503, headers={"Retry-After": "5"})

    @app.exception_handler(Overloaded)
    async def _overloaded(request: Request, exc: Overloaded):
        request.app.state.metrics.shed.labels(request.url.path).inc()
        return JSONResponse({"error": "overloaded", "detail": f"{exc} / máy chủ đang bận, vui lòng thử lại sau "
                             f"{exc.retry_after} giây"}, 503, headers={"Retry-After": str(exc.retry_after)})

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse({"error": "internal", "detail": "internal error; the request was not processed"}, 500)

    from assistant.api.routes import router
    from assistant.api.web import router as web_router
    app.include_router(router)
    app.include_router(web_router)
    if settings.zalo_enabled:
        from assistant.api.zalo import router as zalo_router
        app.include_router(zalo_router)
    if settings.admin_api_key:  # no key, no admin routes: they answer 404
        from assistant.api.admin import router as admin_router
        app.include_router(admin_router)

    # Middleware, innermost first: the body limit sits next to the app; the rate limit refuses
    # before any body is read; CORS answers preflights; request context and security headers
    # wrap everything, so even a 429 or 413 carries a request id and is counted.
    from assistant.api.ops import RateLimit, RequestContext, SecurityHeaders, TimeLimit, TokenBucket
    app.add_middleware(BodyLimit, large=LARGE_BODIES if settings.admin_api_key else {})
    app.add_middleware(TimeLimit, seconds=settings.effective_request_timeout)
    app.add_middleware(RateLimit, bucket=TokenBucket(settings.rate_limit_per_minute, settings.rate_limit_burst),
                       paths=RATE_LIMITED, metrics=metrics)
    if settings.origins:
        # other sites that embed the widget: only these may call the API from a browser
        app.add_middleware(CORSMiddleware, allow_origins=settings.origins, allow_methods=["GET", "POST"],
                           allow_headers=["Content-Type", "Accept"], expose_headers=["Retry-After", "X-Request-ID"],
                           max_age=600)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestContext, metrics=metrics)
    return app
