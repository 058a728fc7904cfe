"""POST /zalo/webhook: present only when the Zalo channel is configured (404 otherwise)."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from assistant.channels.zalo import Rejected, verify

router = APIRouter(tags=["zalo"])


@router.post("/zalo/webhook", responses={401: {"description": "signature missing, wrong, or event too old"}})
async def zalo_webhook(request: Request) -> JSONResponse:
    """Verify over the raw bytes, acknowledge at once, answer in the background."""
    raw = await request.body()
    try:
        event = verify(request.app.state.settings, raw, request.headers.get("x-zevent-signature"))
    except Rejected as exc:
        return JSONResponse({"error": "unauthorized", "detail": str(exc)}, 401)
    try:  # the dedupe write is SQLite: off the event loop
        duplicate = not await run_in_threadpool(request.app.state.zalo.accept, event)
    except RuntimeError:  # shutting down: Zalo will retry the event elsewhere or later
        return JSONResponse({"error": "unavailable", "detail": "shutting down"}, 503, headers={"Retry-After": "5"})
    return JSONResponse({"status": "duplicate" if duplicate else "accepted"})
